import { Binary, Decimal128, Long, UUID, type Document } from 'bson';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConversionError, ValidationError } from '../interfaces/errors.js';
import { fieldOf, fieldsOf, isTenantScoped, type ResolvedField } from '../codec/fields.js';
import { jsonProblem, validateEntity } from '../codec/validate.js';
import { fingerprint } from '../codec/sensitive.js';
import { idFromLegacyId } from '../codec/ids.js';
import { uuidTextKind } from '../codec/uuid-text.js';
import { legacyIdOf, mongoIdForUuid, mongoIdOf } from './legacy-id.js';
import { TenantRegistry } from '../codec/tenant-registry.js';

/**
 * Legacy MongoDB documents <-> domain entities, for one entity declaration. Decoding is strict:
 * a value that cannot be represented exactly raises a ConversionError naming the field and the
 * reason, so conversion quarantines the document instead of altering it.
 */

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

function decodeValue(field: ResolvedField, raw: unknown, path: string): unknown {
  if (raw === undefined || raw === null) return null;
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
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (raw instanceof Long && raw.greaterThanOrEqual(Long.fromInt(-(2 ** 31))) && raw.lessThanOrEqual(Long.fromInt(2 ** 31 - 1))) return raw.toNumber();
      return fail(path, `expected a 32-bit integer, found ${typeName(raw)} ${shown(field, raw, String(raw).slice(0, 40))}`);
    case 'bigint':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
      if (raw instanceof Long) return raw.toBigInt();
      if (typeof raw === 'bigint') return raw;
      return fail(path, `expected a 64-bit integer, found ${typeName(raw)} ${shown(field, raw, String(raw).slice(0, 40))}`);
    case 'float':
      if (typeof raw === 'number') return raw;
      if (raw instanceof Long) return fail(path, 'expected a double, found Int64 (not exact as a double)');
      return fail(path, `expected a double, found ${typeName(raw)}`);
    case 'numeric':
      if (raw instanceof Decimal128) return raw.toString();
      if (raw instanceof Long) return raw.toString();
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
      return fail(path, `expected a Decimal128, found ${typeName(raw)}`);
    case 'bool':
      return typeof raw === 'boolean' ? raw : fail(path, `expected a boolean, found ${typeName(raw)}`);
    case 'timestamp':
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) return raw;
      return fail(path, `expected a Date, found ${typeName(raw)}`);
    case 'json':
      return bsonToJson(raw, path);
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
 * A BSON value as plain JSON, exactly, or a ConversionError: Int64 beyond 2^53, Decimal128,
 * Dates, Binary, ObjectId and other BSON-only types have no exact plain-JSON form.
 */
export function bsonToJson(raw: unknown, path: string): unknown {
  if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) fail(path, `${raw} cannot be stored in jsonb`);
    return raw;
  }
  if (raw instanceof Long) {
    if (raw.lessThanOrEqual(Long.fromNumber(Number.MAX_SAFE_INTEGER)) && raw.greaterThanOrEqual(Long.fromNumber(Number.MIN_SAFE_INTEGER))) return raw.toNumber();
    return fail(path, `Int64 ${raw.toString()} is beyond 2^53 and has no exact JSON number in this payload`);
  }
  if (Array.isArray(raw)) return raw.map((v, i) => bsonToJson(v === undefined ? null : v, `${path}[${i}]`));
  if (typeof raw === 'object' && !(raw as { _bsontype?: string })._bsontype && !(raw instanceof Date) && !Buffer.isBuffer(raw) && !(raw instanceof RegExp)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (v === undefined) fail(`${path}.${k}`, 'undefined value');
      out[k] = bsonToJson(v, `${path}.${k}`);
    }
    return out;
  }
  return fail(path, `${typeName(raw)} inside a JSON payload has no exact JSON form`);
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
  for (const key of Object.keys(doc)) {
    if (!known.has(key)) fail(key, `unknown field (not declared for ${spec.collection}); nothing is dropped silently`);
  }
  entity.id = idFromLegacyId(spec.collection, legacyId);
  try {
    // Derived (generated) fields are computed from the document: a value they cannot derive from
    // (an unparseable timestamp...) is a reason to quarantine the document, like any other.
    if (spec.derive) Object.assign(entity, spec.derive(entity));
    return { entity: validateEntity(spec, entity), legacyId };
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
      // Keep doubles as doubles even when integral (the driver would otherwise write an Int32).
      return value;
    default:
      return value;
  }
}

/**
 * Domain entity -> legacy document (`_id` first). Generated fields are not stored. With `tenants`, the
 * tenant is written as its legacy key (a named tenant's name, as the legacy services write it).
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
  return doc;
}

/** A filter value for equality on a field. */
export function filterValue(field: ResolvedField, value: unknown): unknown {
  if (field.name === 'id') return mongoIdForUuid(value as string);
  return encodeValue(field, value);
}

export { jsonProblem };
