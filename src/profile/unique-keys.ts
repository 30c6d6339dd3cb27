import { createHash } from 'node:crypto';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldOf, type ResolvedField } from '../codec/fields.js';

/**
 * Duplicates of the declared unique keys among the documents that would convert, as PostgreSQL's
 * unique indexes (tenant, key fields) will see them: in `_id` order, the first document of a key keeps
 * it and every later one is refused (conversion quarantines it). A key with a null part never
 * conflicts (PostgreSQL's NULLs are distinct in a unique index).
 *
 * Memory: one Map entry per distinct key value seen, per unique key: a 22-character hash of
 * (tenant, key values) and the first legacy id, about 150 bytes with the Map's overhead, i.e.
 * ~150 MB per million documents per unique key. `profile --sample N` bounds it.
 */

export interface DuplicateExample {
  /** The tenant the key belongs to (legacy value when it differs from the decoded UUID: `acme (uuid)`). */
  readonly tenant: string;
  /** The key's values as a report shows them (sensitive ones hidden). */
  readonly value: Readonly<Record<string, string | null>>;
  /** The legacy id of the document that keeps the key (the first in `_id` order). */
  readonly keptBy: string;
  /** The legacy id of the later document that duplicates it. */
  readonly duplicate: string;
}

export interface UniqueKeyDuplicates {
  /** The key's fields (the tenant is implied for tenant-scoped entities). */
  readonly key: readonly string[];
  /** Later documents refused for this key. */
  readonly duplicateDocuments: number;
  /** Distinct key values that have at least one duplicate. */
  readonly duplicatedValues: number;
  /** Duplicate documents per tenant, sorted by tenant. */
  readonly perTenant: readonly { readonly tenant: string; readonly duplicates: number }[];
  /** The duplicates with the smallest legacy ids, sorted by it. */
  readonly examples: readonly DuplicateExample[];
}

/** The text of one key part, or null for SQL NULL (never equal to anything in a unique index). */
function partText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'bigint') return `n${value.toString()}`;
  // float8 and int equality: 0 and -0 are one key, NaN equals NaN in PostgreSQL.
  if (typeof value === 'number') return `n${Object.is(value, -0) ? 0 : value}`;
  if (typeof value === 'boolean') return `b${value}`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (Buffer.isBuffer(value)) return `x${value.toString('hex')}`;
  return `j${JSON.stringify(value)}`;
}

function shownValue(field: ResolvedField, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // A fingerprint is keyed per process: a deterministic report cannot show one.
  if (field.sensitive) return '(sensitive)';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

class KeyTracker {
  private readonly first = new Map<string, string>();
  /** Key hashes that already have a duplicate (to count distinct duplicated values). */
  private readonly duplicated = new Set<string>();
  private readonly perTenant = new Map<string, number>();
  private readonly examples: DuplicateExample[] = [];
  duplicateDocuments = 0;

  constructor(
    readonly key: readonly string[],
    private readonly fields: readonly ResolvedField[],
    private readonly exampleLimit: number,
  ) {}

  /** The key's hash for this entity, or null when a part is null (it never conflicts). */
  hashOf(entity: Record<string, unknown>): string | null {
    const parts: string[] = [String(entity.tenantId ?? '')];
    for (const f of this.fields) {
      const text = partText(entity[f.name]);
      if (text === null) return null;
      parts.push(text);
    }
    return createHash('sha256').update(parts.join('\u0000')).digest('base64').slice(0, 22);
  }

  /** The legacy id holding this key hash, if any. */
  holder(hash: string): string | undefined {
    return this.first.get(hash);
  }

  hold(hash: string, legacyId: string): void {
    this.first.set(hash, legacyId);
  }

  duplicate(hash: string, entity: Record<string, unknown>, legacyId: string, keptBy: string, tenantLabel: string): void {
    this.duplicateDocuments++;
    this.duplicated.add(hash);
    this.perTenant.set(tenantLabel, (this.perTenant.get(tenantLabel) ?? 0) + 1);
    this.offer({ tenant: tenantLabel, value: Object.fromEntries(this.fields.map((f) => [f.name, shownValue(f, entity[f.name])])), keptBy, duplicate: legacyId });
  }

  private offer(example: DuplicateExample): void {
    const list = this.examples;
    if (list.length === this.exampleLimit && !(example.duplicate < list[list.length - 1]!.duplicate)) return;
    let i = list.length;
    while (i > 0 && example.duplicate < list[i - 1]!.duplicate) i--;
    list.splice(i, 0, example);
    if (list.length > this.exampleLimit) list.pop();
  }

  summary(): UniqueKeyDuplicates {
    return {
      key: this.key,
      duplicateDocuments: this.duplicateDocuments,
      duplicatedValues: this.duplicated.size,
      perTenant: [...this.perTenant.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([tenant, duplicates]) => ({ tenant, duplicates })),
      examples: [...this.examples],
    };
  }
}

/**
 * Tracks every declared unique key of one entity.
 *
 * @example
 * const keys = new UniqueKeys(userSpec, 5);
 * keys.see(entity, 'oid:65a...', 'acme'); // null: first holder; else { key, keptBy }
 */
export class UniqueKeys {
  private readonly trackers: KeyTracker[];

  constructor(spec: EntitySpec, examples: number) {
    this.trackers = (spec.uniqueKeys ?? []).map((key) => new KeyTracker(key, key.map((f) => fieldOf(spec, f)), examples));
  }

  /**
   * Records a document that would convert. Returns the first key it duplicates (declaration order)
   * with the legacy id that keeps it, or null. A refused document holds none of its keys (PostgreSQL
   * never stores it) and is counted under every key it breaks.
   */
  see(entity: Record<string, unknown>, legacyId: string, tenantLabel: string): { key: readonly string[]; keptBy: string } | null {
    const hashes = this.trackers.map((t) => t.hashOf(entity));
    let found: { key: readonly string[]; keptBy: string } | null = null;
    this.trackers.forEach((t, i) => {
      const hash = hashes[i];
      const kept = hash == null ? undefined : t.holder(hash);
      if (hash == null || kept === undefined) return;
      t.duplicate(hash, entity, legacyId, kept, tenantLabel);
      found ??= { key: t.key, keptBy: kept };
    });
    if (found === null) this.trackers.forEach((t, i) => hashes[i] != null && t.hold(hashes[i]!, legacyId));
    return found;
  }

  summary(): UniqueKeyDuplicates[] {
    return this.trackers.map((t) => t.summary());
  }
}
