import { createHash } from 'node:crypto';
import { canonicalEntity, canonicalJson } from '../codec/canonical.js';
import { fieldsOf } from '../codec/fields.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { FieldDifference } from './report-types.js';

/**
 * What data parity compares for one row: the canonical entity (`canonicalEntity`) and the traced
 * legacy id. A PostgreSQL row born in PostgreSQL has `legacy_id` null; its MongoDB copy is keyed by
 * the same UUID (`_id` Binary subtype 4), whose canonical legacy id is `uuid:<id>`, so a null
 * legacy_id reads as that.
 */
export function effectiveLegacyId(id: string, legacyId: string | null): string {
  return legacyId ?? `uuid:${id}`;
}

/** Canonical entity plus legacy id: the compared form. */
export function comparedForm(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): Record<string, unknown> {
  return { ...canonicalEntity(spec, entity), legacyId };
}

/** First 16 bytes of sha256 over the canonical JSON of the compared form (collisions: 2^-64 at 1e9 rows). */
export function rowDigest(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): Buffer {
  return createHash('sha256').update(canonicalJson(comparedForm(spec, entity, legacyId))).digest().subarray(0, 16);
}

/**
 * Field-level differences of two compared forms, in declaration order (then `legacyId`).
 * Values are compared by their canonical JSON text.
 *
 * @example
 * diffFields(spec, comparedForm(spec, a, 'oid:..'), comparedForm(spec, b, 'oid:..'));
 * // [{ field: 'email', mongoField: 'email', column: 'email', mongo: 'a@x', postgres: 'b@x' }]
 */
export function diffFields(spec: EntitySpec, mongo: Record<string, unknown> | null, postgres: Record<string, unknown> | null): FieldDifference[] {
  const out: FieldDifference[] = [];
  const named = [...fieldsOf(spec).map((f) => ({ field: f.name, mongoField: f.mongo, column: f.column })), { field: 'legacyId', mongoField: '_id', column: 'legacy_id' }];
  for (const f of named) {
    const a = mongo ? (mongo[f.field] ?? null) : null;
    const b = postgres ? (postgres[f.field] ?? null) : null;
    if (canonicalJson(a) !== canonicalJson(b)) out.push({ ...f, mongo: a, postgres: b });
  }
  return out;
}
