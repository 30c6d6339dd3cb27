import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ValidationError } from '../interfaces/errors.js';
import { isUuid } from '../interfaces/tenant-context.js';
import { normalizeDecimal } from './decimal.js';
import { legacyExtraOf, withLegacyExtra } from './legacy-extra.js';
import { toTypedValue, typedJsonProblem } from './typed-json.js';
import { fieldsOf, qualifiedName, type ResolvedField } from './fields.js';
import { fingerprint } from './sensitive.js';
import { uuidTextKind } from './uuid-text.js';

/**
 * Checks domain values before any backend stores them, so every backend refuses the same input
 * with the same error, and nothing is altered on the way in (PostgreSQL would reject U+0000;
 * jsonb cannot hold NaN; an int column would wrap a 64-bit value...).
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** PostgreSQL timestamptz starts at 4714-11-24 00:00 UTC BC (JS Dates reach much further back). */
const MIN_TIMESTAMP_MS = Date.UTC(-4713, 10, 24);
/** Lone UTF-16 surrogates have no UTF-8 form: drivers would silently write U+FFFD instead. */
const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

const NUMERIC_RE = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^-?Infinity$|^NaN$/;

/**
 * Why a value cannot be a JSON field's value stored in jsonb, or null when it can: any typed JSON value
 * (plain JSON plus the BSON values of typed-json.ts) whose strings and keys PostgreSQL can hold.
 */
export function jsonProblem(value: unknown, path: string): string | null {
  return typedJsonProblem(value, path);
}

/** Why `value` is not a legal value of `field`, or null when it is. */
export function valueProblem(field: ResolvedField, value: unknown): string | null {
  if (value === null || value === undefined) return field.nullable ? null : 'is required';
  // A sensitive field's value is never echoed: its fingerprint stands in for it.
  const describe = (v: unknown) => (field.sensitive ? `${kindOf(v)} ${fingerprint(v)}` : describeValue(v));
  switch (field.type) {
    case 'uuid':
      return isUuid(value) ? null : `must be a lowercase UUID, got ${describe(value)}`;
    case 'text':
      if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
      if (value.includes('\u0000')) return 'contains U+0000, which PostgreSQL text cannot store';
      if (!isWellFormed(value)) return 'contains a lone surrogate, which UTF-8 cannot encode';
      if (field.enum && !field.enum.includes(value)) return `must be one of ${field.enum.join(', ')}, got ${field.sensitive ? fingerprint(value) : JSON.stringify(value)}`;
      return null;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
        ? null
        : `must be a 32-bit integer, got ${describe(value)}`;
    case 'bigint':
      return typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX
        ? null
        : `must be a bigint within 64 bits, got ${describe(value)}`;
    case 'float':
      if (typeof value !== 'number') return `must be a number, got ${describe(value)}`;
      return Number.isFinite(value) || field.allowNonFinite ? null : `${value} is not allowed here`;
    case 'numeric':
      return typeof value === 'string' && NUMERIC_RE.test(value) ? null : `must be a decimal string, got ${describe(value)}`;
    case 'bool':
      return typeof value === 'boolean' ? null : `must be a boolean, got ${describe(value)}`;
    case 'timestamp':
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) return `must be a valid Date, got ${describe(value)}`;
      return value.getTime() >= MIN_TIMESTAMP_MS ? null : `${value.toISOString()} is before 4714 BC, which PostgreSQL timestamptz cannot store`;
    case 'json':
      return jsonProblem(value, field.name);
    case 'bytes':
      return Buffer.isBuffer(value) ? null : `must be a Buffer, got ${describe(value)}`;
    case 'text[]':
    case 'uuid[]': {
      if (!Array.isArray(value)) return `must be an array, got ${describe(value)}`;
      const element = { ...field, type: field.type === 'text[]' ? 'text' : 'uuid', nullable: false, enum: null } as ResolvedField;
      for (let i = 0; i < value.length; i++) {
        const p = valueProblem(element, value[i]);
        if (p) return `[${i}] ${p}`;
      }
      return null;
    }
  }
}

function kindOf(value: unknown): string {
  return typeof value === 'object' && value !== null ? ((value as object).constructor?.name ?? 'object') : typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return 'Invalid Date';
  if (typeof value === 'object' && value !== null) return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/**
 * A quick test that a value is legal, for the common types (true means `valueProblem` returns null);
 * false sends the value to `valueProblem`, which has the last word and the message. Validation runs
 * once per document in conversion, so the type dispatch is done once per field, here.
 */
function quickCheck(field: ResolvedField): (value: unknown) => boolean {
  const enumSet = field.enum ? new Set(field.enum) : null;
  switch (field.type) {
    case 'text':
      return (v) => typeof v === 'string' && !v.includes('\u0000') && isWellFormed(v) && (enumSet === null || enumSet.has(v));
    case 'uuid':
      return (v) => typeof v === 'string' && uuidTextKind(v) === 1;
    case 'bool':
      return (v) => typeof v === 'boolean';
    case 'timestamp':
      return (v) => v instanceof Date && v.getTime() >= MIN_TIMESTAMP_MS;
    case 'int':
      return (v) => typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
    default:
      return () => false;
  }
}

interface CompiledField {
  readonly field: ResolvedField;
  readonly quick: (value: unknown) => boolean;
}

interface CompiledValidator {
  readonly fields: readonly CompiledField[];
  readonly known: ReadonlySet<string>;
}

const compiled = new WeakMap<EntitySpec, CompiledValidator>();

function validatorOf(spec: EntitySpec): CompiledValidator {
  let v = compiled.get(spec);
  if (!v) {
    const fields = fieldsOf(spec);
    v = { fields: fields.map((field) => ({ field, quick: quickCheck(field) })), known: new Set(fields.map((f) => f.name)) };
    compiled.set(spec, v);
  }
  return v;
}

/**
 * Validates a whole entity and returns it with every declared field present (missing nullable
 * fields become null), JSON values in their domain form (typed-json.ts), no undeclared property,
 * and the overflow (`legacyExtra`, non-enumerable) carried over: `extra`, by default the input's. Throws
 * ValidationError naming the field.
 */
export function validateEntity<T extends Record<string, unknown>>(
  spec: EntitySpec,
  entity: Record<string, unknown>,
  extra: Readonly<Record<string, unknown>> | null = legacyExtraOf(entity),
): T {
  const { fields, known } = validatorOf(spec);
  const out: Record<string, unknown> = {};
  for (const { field, quick } of fields) {
    const value = entity[field.name];
    if (field.generated) {
      out[field.name] = value ?? null;
      continue;
    }
    if (value === null || value === undefined ? !field.nullable : !quick(value)) {
      const problem = valueProblem(field, value);
      if (problem) throw new ValidationError(qualifiedName(spec), field.name, problem);
    }
    out[field.name] =
      field.type === 'numeric' && typeof value === 'string' ? normalizeDecimal(value) : field.type === 'json' ? toTypedValue(value) : (value ?? null);
  }
  for (const key of Object.keys(entity)) {
    if (!known.has(key) && entity[key] !== undefined) {
      throw new ValidationError(qualifiedName(spec), key, 'is not a declared field');
    }
  }
  return withLegacyExtra(out, extra) as T;
}
