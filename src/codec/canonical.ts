import { createHash } from 'node:crypto';
import canonicalizeImport from 'canonicalize';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldsOf } from './fields.js';
import { isoDate } from './iso-date.js';
import { typedToJson } from './typed-json.js';

// canonicalize ships CommonJS with a default export; normalise the interop shape once.
const canonicalizeFn = ((canonicalizeImport as unknown as { default?: unknown }).default ??
  canonicalizeImport) as (input: unknown) => string | undefined;

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by UTF-16 code units,
 * numbers in ECMAScript form (`5.0` and `5` are the same), no whitespace.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The plain-JSON projection of a domain entity that parity compares: every declared field in
 * declaration order, with typed values spelled so that no information is lost
 * (Date -> ISO string with milliseconds, bigint -> `{"$bigint":"..."}`, Buffer -> `{"$bytes":base64}`,
 * non-finite floats -> `{"$float":"NaN"}`, numeric stays a string). JSON payloads are spelled in the
 * typed JSON encoding (typed-json.ts): plain JSON as is, BSON-only values as Extended JSON wrappers.
 */
export function canonicalEntity(spec: EntitySpec, entity: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fieldsOf(spec)) {
    const value = entity[field.name];
    out[field.name] = field.type === 'json' ? typedToJson(value ?? null) : canonicalScalar(value);
  }
  return out;
}

/** The canonical spelling of one non-JSON field value (see {@link canonicalEntity}). */
export function canonicalScalar(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return isoDate(value);
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $float: String(value) };
  if (Array.isArray(value)) return value.map(canonicalScalar);
  return value;
}

/** sha256 of the canonical text of an entity. */
export function entityDigest(spec: EntitySpec, entity: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(canonicalEntity(spec, entity)));
}
