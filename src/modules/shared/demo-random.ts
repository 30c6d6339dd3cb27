import { ObjectId, UUID, type Document } from 'bson';
import type { EntitySpec } from '../../interfaces/entity-spec.js';
import { derivedUuid, idFromLegacyId } from '../../codec/ids.js';
import { validateEntity } from '../../codec/validate.js';
import { encodeDocument } from '../../mongo/document-codec.js';

/**
 * Deterministic helpers for the modules' `demo` generators:
 * the same options always yield byte-identical legacy documents.
 */

/** A seeded PRNG (mulberry32): `next()` in [0, 1). */
export class DemoRandom {
  private state: number;

  constructor(seed: number, ...salt: string[]) {
    let h = seed >>> 0;
    for (const s of salt.join('|')) h = Math.imul(h ^ s.charCodeAt(0), 0x9e3779b1) >>> 0;
    this.state = h;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  bool(pTrue = 0.5): boolean {
    return this.next() < pTrue;
  }

  /** A 24-hex ObjectId drawn from the stream (legacy documents mostly have ObjectId `_id`s). */
  objectId(): ObjectId {
    return new ObjectId(this.hex(24));
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}

/** A deterministic UUID for a demo document. */
export function demoId(module: string, collection: string, tenant: string, seed: number, i: number | string): string {
  return derivedUuid('demo', module, collection, tenant, String(seed), String(i));
}

/**
 * The legacy `_id` of the i-th document of a collection nothing references by id: in turn a UUID
 * (null: the entity's own UUID is the `_id`), an ObjectId and a string, as legacy collections mix
 * them. Collections whose ids other documents reference keep UUID ids.
 */
export function mixedLegacyId(r: DemoRandom, collection: string, tenantId: string, i: number): string | null {
  switch (i % 3) {
    case 0:
      return null;
    case 1:
      return `oid:${r.hex(24)}`;
    default:
      // `_id` is unique per collection, not per tenant.
      return `str:${collection}/${tenantId}/${i}`;
  }
}

/** The entity id a document gets: the UUIDv5 of its legacy id (as conversion computes it), or `fallback`. */
export function idFor(collection: string, legacyId: string | null, fallback: string): string {
  return legacyId ? idFromLegacyId(collection, legacyId) : fallback;
}

/** A stable UUID `_id` (Binary subtype 4) for documents that others reference by uuid. */
export function demoUuid(seed: number, collection: string, tenant: string, i: number): UUID {
  return new UUID(derivedUuid(`demo:${collection}`, String(seed), tenant, String(i)));
}

/** `now` minus a number of milliseconds, as a millisecond Date. */
export function before(now: Date, ms: number): Date {
  return new Date(Math.trunc(now.getTime() - ms));
}

/** `now` shifted by minutes, at millisecond precision (BSON Dates are milliseconds). */
export function minutesBefore(now: Date, minutes: number): Date {
  return new Date(Math.trunc(now.getTime()) - Math.round(minutes * 60_000));
}

/**
 * A domain entity as the legacy store holds it: validated against its declaration first (a demo
 * generator bug fails here, not in conversion), then encoded in the legacy shape (`_id` a UUID,
 * string tenant, BSON Dates), `_id` from `legacyId` when given. `explicitNulls` writes null-valued optional fields as `null`
 * instead of leaving them out: legacy documents have both spellings.
 */
export function legacyDocument(spec: EntitySpec, entity: Record<string, unknown>, explicitNulls = false, legacyId: string | null = null): Document {
  const valid = validateEntity<Record<string, unknown>>(spec, entity);
  if (legacyId && idFromLegacyId(spec.collection, legacyId) !== valid.id) throw new Error(`${spec.collection}: demo id does not derive from ${legacyId}`);
  const doc = encodeDocument(spec, valid, legacyId);
  if (explicitNulls) {
    for (const f of spec.fields) {
      if (f.nullable && valid[f.name] === null) doc[f.mongo ?? f.name] = null;
    }
  }
  return doc;
}
