import { Binary, Decimal128, Double, Long, UUID, type Document } from 'bson';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConversionError, ValidationError } from '../interfaces/errors.js';
import { fieldOf, fieldsOf, isTenantScoped, type ResolvedField } from '../codec/fields.js';
import { jsonProblem, validateEntity } from '../codec/validate.js';
import { canonicalEntity, canonicalJson } from '../codec/canonical.js';
import { legacyExtraOf, withLegacyExtra } from '../codec/legacy-extra.js';
import { toTypedValue, typedJsonProblem, typedToJson } from '../codec/typed-json.js';
import { fingerprint } from '../codec/sensitive.js';
import { idFromLegacyId } from '../codec/ids.js';
import { uuidTextKind } from '../codec/uuid-text.js';
import { legacyIdOf, mongoIdForUuid, mongoIdOf } from './legacy-id.js';
import { TenantRegistry } from '../codec/tenant-registry.js';

/**
 * Legacy MongoDB documents <-> domain entities, for one entity declaration. Decoding is strict:
 * a value that cannot be represented exactly raises a ConversionError naming the field and the
 * reason, so conversion quarantines the document instead of altering it. Exact type variance converts
 * (an Int32 or Int64 within 2^53 in a `float` field, an integral double within range in an `int` or
 * `bigint` field); fields the declaration does not name become the overflow (`legacyExtra`).
 *
 * Documents may come as the driver returns them by default (promoted numbers) or type-exact
 * ({@link EXACT_DOCUMENT_READ}: Int32 / Double / Long wrappers, BSONRegExp), which is how the
 * repositories, conversion and parity read, so that JSON payloads keep Int64 and doubles apart.
 */

/** Read options that keep every BSON type (the driver's and the memory store's find options). */
export const EXACT_DOCUMENT_READ = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

export interface DecodedDocument {
  readonly entity: Record<string, unknown>;
  readonly legacyId: string;
}

const BINARY_UUID = Binary.SUBTYPE_UUID;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const bsontype = (value as { _bsontype?: string })._bsontype;
  return bsontype ?? (value as object).constructor?.name ?? 'object';
}

/** A raw value as an error may show it: a sensitive field's only by its fingerprint. */
function shown(field: ResolvedField, raw: unknown, text: string): string {
  return field.sensitive ? fingerprint(raw) : text;
}

function fail(path: string, reason: string): never {
  throw new ConversionError(path, reason);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A number of the type-exact view, with its BSON type: `Int32` and `Double` wrappers unwrapped, promoted numbers as `number`. */
function numberOf(raw: unknown): { kind: 'int32' | 'double' | 'number'; value: number } | null {
  if (typeof raw === 'number') return { kind: 'number', value: raw };
  const t = typeof raw === 'object' && raw !== null ? (raw as { _bsontype?: string })._bsontype : undefined;
  if (t === 'Int32') return { kind: 'int32', value: (raw as { value: number }).value };
  if (t === 'Double') return { kind: 'double', value: (raw as Double).value };
  return null;
}

function decodeValue(field: ResolvedField, raw: unknown, path: string): unknown {
  if (raw === undefined || raw === null) return null;
  if (field.type === 'json') return bsonToJson(raw, path);
  const num = numberOf(raw);
  switch (field.type) {
    case 'uuid': {
      if (typeof raw === 'string') {
        const kind = uuidTextKind(raw);
        if (kind === 1) return raw;
        if (kind === 2) return raw.toLowerCase();
        const lower = raw.toLowerCase();
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(lower)) fail(path, `not a UUID: ${shown(field, raw, JSON.stringify(raw.slice(0, 60)))}`);
        return lower;
      }
      if (raw instanceof Binary && raw.sub_type === BINARY_UUID && raw.length() === 16) return new UUID(raw.buffer).toHexString(true);
      return fail(path, `expected a UUID, found ${typeName(raw)}`);
    }
    case 'text':
      return typeof raw === 'string' ? raw : fail(path, `expected a string, found ${typeName(raw)}`);
    case 'int':
      // An Int32, an Int64 or an integral double within 32 bits is the same integer; 1.5 or -0.0 would change.
      if (num && Number.isInteger(num.value) && !Object.is(num.value, -0) && num.value >= INT32_MIN && num.value <= INT32_MAX) return num.value;
      if (raw instanceof Long && raw.greaterThanOrEqual(Long.fromInt(INT32_MIN)) && raw.lessThanOrEqual(Long.fromInt(INT32_MAX))) return raw.toNumber();
      return fail(path, `expected a 32-bit integer, found ${typeName(num ? num.value : raw)} ${shown(field, raw, String(num ? num.value : raw).slice(0, 40))}${num && !Number.isInteger(num.value) ? ' (not integral: it would change)' : ''}`);
    case 'bigint':
      if (num && Number.isInteger(num.value) && !Object.is(num.value, -0)) {
        // Every integral double is an exact integer; within 64 bits it converts as it is.
        const n = BigInt(num.value);
        if (n >= INT64_MIN && n <= INT64_MAX) return n;
      }
      if (raw instanceof Long) return raw.toBigInt();
      if (typeof raw === 'bigint') return raw;
      return fail(path, `expected a 64-bit integer, found ${typeName(num ? num.value : raw)} ${shown(field, raw, String(num ? num.value : raw).slice(0, 40))}${num && !Number.isInteger(num.value) ? ' (not integral: it would change)' : ''}`);
    case 'float':
      if (num) return num.value;
      if (raw instanceof Long) {
        // Within 2^53 an Int64 is exactly a double; beyond, it would round.
        if (raw.lessThanOrEqual(Long.fromNumber(Number.MAX_SAFE_INTEGER)) && raw.greaterThanOrEqual(Long.fromNumber(Number.MIN_SAFE_INTEGER))) return raw.toNumber();
        return fail(path, `expected a double, found Int64 ${shown(field, raw, raw.toString())} beyond 2^53 (not exact as a double)`);
      }
      return fail(path, `expected a double, found ${typeName(raw)}`);
    case 'numeric':
      if (raw instanceof Decimal128) return raw.toString();
      if (raw instanceof Long) return raw.toString();
      // An integral number within 2^53 (Int32, or a double as the driver's promoted view always allowed) is exact.
      if (num && Number.isSafeInteger(num.value)) return String(num.value);
      return fail(path, `expected a Decimal128, found ${typeName(raw)}`);
    case 'bool':
      return typeof raw === 'boolean' ? raw : fail(path, `expected a boolean, found ${typeName(raw)}`);
    case 'timestamp':
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) return raw;
      return fail(path, `expected a Date, found ${typeName(raw)}`);
    case 'bytes':
      if (raw instanceof Binary) return Buffer.from(raw.buffer);
      if (Buffer.isBuffer(raw)) return raw;
      return fail(path, `expected Binary, found ${typeName(raw)}`);
    case 'text[]':
    case 'uuid[]': {
      if (!Array.isArray(raw)) return fail(path, `expected an array, found ${typeName(raw)}`);
      const element = { ...field, type: field.type === 'text[]' ? 'text' : 'uuid' } as ResolvedField;
      return raw.map((v, i) => {
        if (v === null || v === undefined) fail(`${path}[${i}]`, 'null element');
        return decodeValue(element, v, `${path}[${i}]`);
      });
    }
  }
}

/**
 * A BSON value of a JSON payload (or of the overflow) as its domain value (typed-json.ts), exactly,
 * or a ConversionError when PostgreSQL cannot hold it (U+0000 in a string or key, a lone surrogate).
 */
export function bsonToJson(raw: unknown, path: string): unknown {
  const problem = typedJsonProblem(raw, path);
  if (problem) fail(path, problem.startsWith(`${path}: `) ? problem.slice(path.length + 2) : problem.replace(/^[^:]*: /, ''));
  return toTypedValue(raw);
}

/** The registry of callers that pass none (custom stores): no pins, so named keys map to their UUIDv5. */
const UNPINNED_TENANTS = new TenantRegistry();

/** The tenant of a legacy tenant value: a string through the registry (UUID or named key), else the codec's UUID rule. */
function decodeTenant(field: ResolvedField, raw: unknown, tenants: TenantRegistry): unknown {
  return typeof raw === 'string' ? tenants.uuidOf(raw) : decodeValue(field, raw, field.mongo);
}

/**
 * The tenant a legacy document names, when it names a valid one by the codec's own rule (a UUID or a
 * named key mapped by the tenant registry, or a subtype-4 Binary in the tenant field), else null: what
 * the quarantine records beside a document it could not convert, so the row stays that tenant's under
 * row-level security.
 *
 * @example
 * legacyTenantOf(userSpec, { _id: 'u1', tenantId: '11111111-1111-4111-8111-111111111111' }); // '11111111-...'
 * legacyTenantOf(userSpec, { _id: 'u2', tenantId: 'acme' }, tenants); // tenants.uuidOf('acme')
 */
export function legacyTenantOf(spec: EntitySpec, doc: Document, tenants: TenantRegistry = UNPINNED_TENANTS): string | null {
  if (!isTenantScoped(spec)) return null;
  const field = fieldOf(spec, 'tenantId');
  try {
    const tenant = decodeTenant(field, doc[field.mongo], tenants);
    return typeof tenant === 'string' ? tenant : null;
  } catch (err) {
    if (err instanceof ConversionError) return null;
    throw err;
  }
}

/** What decoding needs of a declaration, worked out once per declaration (conversion decodes every document). */
interface DecodePlan {
  /** Stored fields, in declaration order: every field but the id (from `_id`) and generated ones. */
  readonly stored: readonly ResolvedField[];
  /** Legacy names a document may have. */
  readonly known: ReadonlySet<string>;
  /** The tenant field of a tenant-scoped entity (decoded through the tenant registry). */
  readonly tenant: ResolvedField | null;
}

const plans = new WeakMap<EntitySpec, DecodePlan>();

function planOf(spec: EntitySpec): DecodePlan {
  let plan = plans.get(spec);
  if (!plan) {
    const stored = fieldsOf(spec).filter((f) => f.name !== 'id' && !f.generated);
    plan = { stored, known: new Set(['_id', ...stored.map((f) => f.mongo)]), tenant: isTenantScoped(spec) ? fieldOf(spec, 'tenantId') : null };
    plans.set(spec, plan);
  }
  return plan;
}

/**
 * Legacy document -> domain entity. Throws ConversionError. `legacyId`, when the caller already has
 * it, is `legacyIdOf(doc._id)`; `tenants` maps a named legacy tenant to its UUID (README "Tenant registry").
 */
export function decodeDocument(spec: EntitySpec, doc: Document, legacyId: string = legacyIdOf(doc._id), tenants: TenantRegistry = UNPINNED_TENANTS): DecodedDocument {
  const { stored, known, tenant } = planOf(spec);
  const entity: Record<string, unknown> = {};
  for (const field of stored) {
    const raw = doc[field.mongo];
    if (raw === null && !field.nullable) fail(field.mongo, 'is null but required');
    entity[field.name] = field === tenant ? decodeTenant(field, raw, tenants) : decodeValue(field, raw, field.mongo);
  }
  let extra: Record<string, unknown> | null = null;
  for (const key of Object.keys(doc)) {
    if (known.has(key) || doc[key] === undefined) continue;
    // Undeclared: kept as the overflow, exactly (only what jsonb cannot hold is refused).
    extra ??= {};
    extra[key] = bsonToJson(doc[key], key);
  }
  entity.id = idFromLegacyId(spec.collection, legacyId);
  try {
    // Derived (generated) fields are computed from the document: a value they cannot derive from
    // (an unparseable timestamp...) is a reason to quarantine the document, like any other. They
    // see the overflow too; validation attaches it to the entity it returns.
    if (spec.derive) Object.assign(entity, spec.derive(withLegacyExtra(entity, extra)));
    return { entity: validateEntity(spec, entity, extra), legacyId };
  } catch (err) {
    if (err instanceof ValidationError) throw new ConversionError(err.path, err.message.replace(/^[^:]*: /, ''));
    if (err instanceof ConversionError) throw err;
    throw new ConversionError('', `cannot derive generated fields: ${(err as Error).message}`);
  }
}

/** A domain value as stored in the legacy shape. */
export function encodeValue(field: ResolvedField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'bigint':
      return Long.fromBigInt(value as bigint);
    case 'numeric':
      return Decimal128.fromString(value as string);
    case 'bytes':
      return new Binary(value as Buffer);
    case 'float':
      // A double stays a double even when integral (the driver would otherwise write an Int32).
      return new Double(value as number);
    default:
      return value;
  }
}

/**
 * Domain entity -> legacy document (`_id` first, then the declared fields, then the overflow). Generated
 * fields are not stored. With `tenants`, the tenant is written as its legacy key (a named tenant's name,
 * as the legacy services write it).
 */
export function encodeDocument(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string | null, tenants?: TenantRegistry): Document {
  const doc: Document = { _id: legacyId ? mongoIdOf(legacyId) : mongoIdForUuid(entity.id as string) };
  for (const field of fieldsOf(spec)) {
    if (field.name === 'id' || field.generated) continue;
    const value = entity[field.name];
    if (value === null || value === undefined) {
      if (field.nullable) continue; // legacy shape: absent rather than null
    }
    doc[field.mongo] = tenants && field.name === 'tenantId' && isTenantScoped(spec) && typeof value === 'string' ? tenants.legacyKeyFor(value) : encodeValue(field, value);
  }
  for (const [key, value] of Object.entries(legacyExtraOf(entity))) if (!(key in doc)) doc[key] = value;
  return doc;
}

/**
 * The `$set` / `$unset` update that turns the stored document of `before` into that of `after`,
 * touching only what changed (declared fields by their canonical value, overflow fields by their
 * typed JSON): a field left alone keeps its legacy bytes and position, whatever its BSON type
 * (an Int32 in a `float` field stays an Int32 until the field is written; then it is a double).
 * A nullable field that becomes null is unset (the legacy shape: absent rather than null).
 *
 * @example
 * await collection.updateOne({ _id, updatedAt: before.updatedAt }, documentUpdate(spec, before, after));
 */
export function documentUpdate(spec: EntitySpec, before: Record<string, unknown>, after: Record<string, unknown>): Document {
  const $set: Document = {};
  const $unset: Record<string, ''> = {};
  const a = canonicalEntity(spec, before);
  const b = canonicalEntity(spec, after);
  for (const field of fieldsOf(spec)) {
    // The tenant never changes by update; its stored legacy key (a named tenant's name) stays as written.
    if (field.name === 'id' || field.name === 'tenantId' || field.generated) continue;
    if (canonicalJson(a[field.name] ?? null) === canonicalJson(b[field.name] ?? null)) continue;
    const value = after[field.name];
    if ((value === null || value === undefined) && field.nullable) $unset[field.mongo] = '';
    else $set[field.mongo] = encodeValue(field, value);
  }
  const oldExtra = legacyExtraOf(before);
  const newExtra = legacyExtraOf(after);
  for (const [key, value] of Object.entries(newExtra)) {
    if (!(key in oldExtra) || canonicalJson(typedToJson(oldExtra[key])) !== canonicalJson(typedToJson(value))) $set[key] = value;
  }
  for (const key of Object.keys(oldExtra)) if (!(key in newExtra)) $unset[key] = '';
  const update: Document = {};
  if (Object.keys($set).length) update.$set = $set;
  if (Object.keys($unset).length) update.$unset = $unset;
  return update;
}

/** A filter value for equality on a field. */
export function filterValue(field: ResolvedField, value: unknown): unknown {
  if (field.name === 'id') return mongoIdForUuid(value as string);
  // Equality and ranges compare numbers across BSON number types: a float filter stays a plain number.
  if (field.type === 'float') return value;
  return encodeValue(field, value);
}

export { jsonProblem };
