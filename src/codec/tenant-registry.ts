import { ConfigError, ConversionError } from '../interfaces/errors.js';
import { isUuid } from '../interfaces/tenant-context.js';
import { uuidV5 } from './uuid-v5.js';
import { uuidTextKind } from './uuid-text.js';

/**
 * Legacy tenant keys <-> tenant UUIDs (README "Tenant registry"). A legacy document names its tenant
 * by a string: either a UUID (any case: it is that tenant, as before) or a name ("acme"). A name maps
 * to the UUID config pins for it (`Tenants.<key>`), else to UUIDv5(TENANT_NAMESPACE, key), so the
 * mapping is a pure function of the key and the pins: the same on every run, process and database.
 *
 * What the registry learns (keys it meets: conversion, MongoDB reads, discovery) only serves the
 * reverse direction, UUID -> legacy keys, which a UUIDv5 cannot answer by itself: a MongoDB repository
 * asked for tenant U filters on the keys that map to U. Every key in that filter maps to U by the same
 * function decoding uses, so the filter can never match another tenant's documents.
 *
 * Isolation rules (refused, never guessed): two keys never map to one UUID (two pins to one UUID; a
 * UUIDv5 equal to a pinned UUID; a document naming a pinned UUID itself, which would merge it with the
 * pinned key's tenant); a key is never pinned when it is itself a UUID.
 *
 * @example
 * const tenants = new TenantRegistry({ globex: '5b1d0c4e-2f3a-4b5c-8d6e-7f8091a2b3c4' });
 * tenants.uuidOf('acme');   // UUIDv5(TENANT_NAMESPACE, 'acme'): 'c6a7...'
 * tenants.uuidOf('globex'); // '5b1d0c4e-2f3a-4b5c-8d6e-7f8091a2b3c4' (pinned)
 * tenants.legacyKeysOf(tenants.uuidOf('acme')); // ['acme'] once 'acme' was met
 */

/**
 * The namespace of tenant UUIDv5s: UUIDv5('tenant-key', ROOT_NAMESPACE) (src/codec/ids.ts), written out
 * because it is part of the contract (README): changing it would move every named tenant.
 */
export const TENANT_NAMESPACE = '07c9fb2d-ed78-56ca-877a-4b223acf4cce';
const NAMESPACE_BYTES = Buffer.from(TENANT_NAMESPACE.replace(/-/g, ''), 'hex');

/** `Tenants` config: legacy key -> pinned tenant UUID. */
export type TenantPins = Readonly<Record<string, string>>;

export type TenantOrigin = 'pinned' | 'derived';

/** One named key and its tenant. */
export interface TenantMapping {
  readonly key: string;
  readonly tenantId: string;
  readonly origin: TenantOrigin;
}

const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** Code-unit order (COLLATE "C" for these strings): the order of every list the registry gives. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class TenantRegistry {
  private readonly pins = new Map<string, string>();
  /** Pinned UUID -> its key. */
  private readonly pinnedBy = new Map<string, string>();
  /** UUID -> the keys met or pinned that map to it (named keys, and UUID spellings other than the lowercase one). */
  private readonly keysByUuid = new Map<string, Set<string>>();
  /** Named keys met, with their tenant. */
  private readonly named = new Map<string, string>();
  /** Tenants met under their own (lowercase) UUID. */
  private readonly seenUuids = new Set<string>();
  /** Named keys met but not yet written to core.tenant_registry by conversion. */
  private readonly unrecordedKeys = new Set<string>();

  /** Validates the pins (ConfigError naming the key): each a lowercase UUID, unique, for a key that is not a UUID. */
  constructor(pins: TenantPins = {}) {
    for (const key of Object.keys(pins).sort(byCodeUnit)) {
      const uuid = pins[key];
      if (!isUuid(uuid)) throw new ConfigError(`Tenants.${key}: ${JSON.stringify(uuid)} is not allowed; allowed: a lowercase UUID`);
      if (uuidTextKind(key) !== 0) throw new ConfigError(`Tenants.${key}: a key that is a UUID is its own tenant and cannot be pinned`);
      if (key.includes('\u0000') || !isWellFormed(key)) throw new ConfigError(`Tenants.${JSON.stringify(key)}: a key with U+0000 or a lone surrogate cannot be stored`);
      const other = this.pinnedBy.get(uuid);
      if (other !== undefined) throw new ConfigError(`Tenants.${key}: ${uuid} is already pinned to ${JSON.stringify(other)}; two legacy keys cannot be one tenant`);
      this.pins.set(key, uuid);
      this.pinnedBy.set(uuid, key);
      this.addKey(uuid, key);
    }
  }

  /** The pins, sorted by key. */
  pinned(): TenantMapping[] {
    return [...this.pins].map(([key, tenantId]) => ({ key, tenantId, origin: 'pinned' as const }));
  }

  /** Whether a legacy tenant value is a UUID (any case): its own tenant, never a named key. */
  static isUuidKey(key: string): boolean {
    return uuidTextKind(key) !== 0;
  }

  /** UUIDv5(TENANT_NAMESPACE, key), ignoring pins. */
  static derived(key: string): string {
    return uuidV5(NAMESPACE_BYTES, key);
  }

  /**
   * The tenant UUID of a legacy tenant key, learning the key. Throws ConversionError (the document is
   * quarantined with it) for a key no tenant can have.
   */
  uuidOf(key: string): string {
    const kind = uuidTextKind(key);
    if (kind !== 0) {
      const uuid = kind === 1 ? key : key.toLowerCase();
      const pinnedKey = this.pinnedBy.get(uuid);
      if (pinnedKey !== undefined) {
        throw new ConversionError('tenantId', `the tenant ${key} is the UUID pinned to legacy key ${JSON.stringify(pinnedKey)} (Tenants config): a document naming it directly would merge two tenants`);
      }
      if (kind === 2) this.addKey(uuid, key);
      else this.seenUuids.add(uuid);
      return uuid;
    }
    const known = this.named.get(key) ?? this.pins.get(key);
    if (known !== undefined) {
      if (!this.named.has(key)) this.meet(key, known);
      return known;
    }
    if (key.includes('\u0000')) throw new ConversionError('tenantId', 'a tenant key with U+0000 cannot be stored in PostgreSQL (core.tenant_registry)');
    if (!isWellFormed(key)) throw new ConversionError('tenantId', 'a tenant key with a lone surrogate has no UTF-8 form');
    const uuid = TenantRegistry.derived(key);
    const taken = this.pinnedBy.get(uuid) ?? [...(this.keysByUuid.get(uuid) ?? [])].find((k) => this.named.has(k));
    if (taken !== undefined) throw new ConversionError('tenantId', `tenant key ${JSON.stringify(key)} maps to ${uuid}, already the tenant of ${JSON.stringify(taken)}`);
    this.meet(key, uuid);
    return uuid;
  }

  /** {@link uuidOf}, or null when the key cannot be a tenant (or is not a string). */
  tryUuidOf(key: unknown): string | null {
    if (typeof key !== 'string') return null;
    try {
      return this.uuidOf(key);
    } catch (err) {
      if (err instanceof ConversionError) return null;
      throw err;
    }
  }

  /**
   * Learns the tenant values found in legacy documents (MongoDB discovery: `distinct('tenantId')`).
   * Values that are not strings or cannot be tenants are left out (reading such a document fails with
   * its reason); returns how many were left out.
   */
  learn(values: Iterable<unknown>): number {
    let refused = 0;
    for (const v of values) if (typeof v !== 'string' || this.tryUuidOf(v) === null) refused++;
    return refused;
  }

  /** Whether this tenant is pinned, or was met under some key. */
  knows(uuid: string): boolean {
    return this.pinnedBy.has(uuid) || this.keysByUuid.has(uuid) || this.seenUuids.has(uuid);
  }

  /**
   * The legacy keys naming this tenant, sorted: the pinned key alone when it is pinned; otherwise the
   * UUID itself plus every key met that maps to it (other spellings of the UUID, its named key).
   */
  legacyKeysOf(uuid: string): string[] {
    const pinned = this.pinnedBy.get(uuid);
    if (pinned !== undefined) return [pinned];
    return [uuid, ...[...(this.keysByUuid.get(uuid) ?? [])].filter((k) => k !== uuid).sort(byCodeUnit)];
  }

  /** The key a new legacy document of this tenant carries: its pinned or named key when there is one, else the UUID. */
  legacyKeyFor(uuid: string): string {
    const pinned = this.pinnedBy.get(uuid);
    if (pinned !== undefined) return pinned;
    const named = [...(this.keysByUuid.get(uuid) ?? [])].filter((k) => this.named.has(k)).sort(byCodeUnit);
    return named[0] ?? uuid;
  }

  /** Named keys met (and pinned ones), sorted by key. */
  mappings(): TenantMapping[] {
    const keys = new Set([...this.named.keys(), ...this.pins.keys()]);
    return [...keys].sort(byCodeUnit).map((key) => ({ key, tenantId: this.pins.get(key) ?? this.named.get(key)!, origin: this.pins.has(key) ? 'pinned' : 'derived' }));
  }

  /** Named keys met that conversion has not yet written to core.tenant_registry. */
  unrecorded(): TenantMapping[] {
    return [...this.unrecordedKeys].sort(byCodeUnit).map((key) => ({ key, tenantId: this.named.get(key)!, origin: this.pins.has(key) ? 'pinned' : 'derived' }));
  }

  /** Conversion committed these keys to core.tenant_registry. */
  markRecorded(keys: Iterable<string>): void {
    for (const k of keys) this.unrecordedKeys.delete(k);
  }

  private meet(key: string, uuid: string): void {
    this.named.set(key, uuid);
    this.unrecordedKeys.add(key);
    this.addKey(uuid, key);
  }

  private addKey(uuid: string, key: string): void {
    let keys = this.keysByUuid.get(uuid);
    if (!keys) this.keysByUuid.set(uuid, (keys = new Set()));
    keys.add(key);
  }
}
