import { hash } from 'node:crypto';
import { canonicalEntity, canonicalJson, canonicalScalar } from '../codec/canonical.js';
import { typedToJson } from '../codec/typed-json.js';
import { isoDate } from '../codec/iso-date.js';
import { fieldsOf } from '../codec/fields.js';
import { hasLegacyExtra, legacyExtraJson } from '../codec/legacy-extra.js';
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

/**
 * Canonical entity plus legacy id: the compared form. The overflow (undeclared legacy fields) joins it
 * as `legacyExtra`, in the typed JSON encoding, only when there is one: rows without any compare and
 * digest exactly as they always did.
 */
export function comparedForm(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): Record<string, unknown> {
  const form: Record<string, unknown> = { ...canonicalEntity(spec, entity), legacyId };
  if (hasLegacyExtra(entity)) form.legacyExtra = legacyExtraJson(entity);
  return form;
}

/**
 * First 16 bytes of sha256 over the canonical JSON of the compared form (collisions: 2^-64 at 1e9 rows),
 * as a string of 16 latin1 characters (one per byte; 'binary' is latin1: node's one-shot hash returns a string about
 * twice as fast as a Buffer). The text is written by a per-entity plan ({@link comparedText}) instead
 * of building the compared form and canonicalising it: the same characters, without an object, a
 * key sort and a closure per row.
 *
 * @example
 * digestHex(rowDigest(userSpec, user, 'oid:65b0...')); // 32 hex digits
 */
export function rowDigest(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): string {
  return hash('sha256', comparedText(spec, entity, legacyId), 'binary').slice(0, 16);
}

/** A row digest in hex, as reports and suspects spell it. */
export function digestHex(digest: string): string {
  return Buffer.from(digest, 'latin1').toString('hex');
}

type Slot = { readonly prefix: string; readonly field: string | null; readonly json: boolean };

/** The compared form's keys in RFC 8785 order (UTF-16 code units), each with its `"key":` prefix. */
const plans = new WeakMap<EntitySpec, readonly Slot[] | null>();

function planOf(spec: EntitySpec): readonly Slot[] | null {
  let plan = plans.get(spec);
  if (plan !== undefined) return plan;
  const fields = fieldsOf(spec);
  // A field named like the legacy id key would be overwritten by it: let the general path handle that.
  if (fields.some((f) => f.name === 'legacyId' || f.name === 'legacyExtra')) plan = null;
  else {
    const keys = [...fields.map((f) => ({ key: f.name, field: f.name, json: f.type === 'json' })), { key: 'legacyId', field: null, json: false }].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    plan = keys.map((k, i) => ({ prefix: `${i === 0 ? '' : ','}${JSON.stringify(k.key)}:`, field: k.field, json: k.json }));
  }
  plans.set(spec, plan);
  return plan;
}

/** Canonical JSON of a JSON field's value in the typed JSON encoding (plain JSON needs no rewriting). */
function jsonText(value: unknown): string {
  return canonicalJson(typedToJson(value ?? null));
}

/** Characters JSON.stringify would escape (and surrogates, paired or not: it decides). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Canonical JSON of one non-JSON field's value, as `canonicalJson(canonicalScalar(value))` spells it. */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : `{"$float":${JSON.stringify(String(value))}}`;
    case 'bigint':
      return `{"$bigint":"${value.toString()}"}`;
    default:
      // An ISO date-time has nothing to escape (an invalid Date throws here, as in JSON.stringify).
      if (value instanceof Date) return `"${isoDate(value)}"`;
      if (Buffer.isBuffer(value)) return `{"$bytes":"${value.toString('base64')}"}`;
      return canonicalJson(canonicalScalar(value));
  }
}

/**
 * `canonicalJson(comparedForm(spec, entity, legacyId))`, character for character.
 *
 * @example
 * comparedText(userSpec, user, 'oid:65b0...'); // '{"createdAt":"2025-01-01T00:00:00.000Z",...,"legacyId":"oid:65b0..."}'
 */
export function comparedText(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): string {
  const plan = planOf(spec);
  if (plan === null || hasLegacyExtra(entity)) return canonicalJson(comparedForm(spec, entity, legacyId));
  let out = '{';
  for (const slot of plan) {
    if (slot.field === null) out += slot.prefix + JSON.stringify(legacyId);
    else {
      const value = entity[slot.field];
      out += slot.prefix + (slot.json ? jsonText(value) : scalarText(value));
    }
  }
  return `${out}}`;
}

/**
 * Field-level differences of two compared forms, in declaration order (then `legacyId`, then the overflow).
 * Values are compared by their canonical JSON text.
 *
 * @example
 * diffFields(spec, comparedForm(spec, a, 'oid:..'), comparedForm(spec, b, 'oid:..'));
 * // [{ field: 'email', mongoField: 'email', column: 'email', mongo: 'a@x', postgres: 'b@x' }]
 */
export function diffFields(spec: EntitySpec, mongo: Record<string, unknown> | null, postgres: Record<string, unknown> | null): FieldDifference[] {
  const out: FieldDifference[] = [];
  const named = [
    ...fieldsOf(spec).map((f) => ({ field: f.name, mongoField: f.mongo, column: f.column })),
    { field: 'legacyId', mongoField: '_id', column: 'legacy_id' },
    { field: 'legacyExtra', mongoField: '(undeclared fields)', column: 'legacy_extra' },
  ];
  for (const f of named) {
    const a = mongo ? (mongo[f.field] ?? null) : null;
    const b = postgres ? (postgres[f.field] ?? null) : null;
    if (canonicalJson(a) !== canonicalJson(b)) out.push({ ...f, mongo: a, postgres: b });
  }
  return out;
}
