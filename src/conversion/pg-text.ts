import type { ResolvedField } from '../codec/fields.js';
import { typedToJson } from '../codec/typed-json.js';
import { legacyExtraJson } from '../codec/legacy-extra.js';
import { isoTimestamp } from '../postgres/timestamp-text.js';

export { isoTimestamp };

/**
 * Domain values as PostgreSQL input text, for COPY (text format) and for the per-document fallback's
 * parameters alike: one spelling for both paths, so a row never differs by the path that loaded it.
 * Every value here has already passed `validateEntity`, so it is representable exactly.
 */

function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  // String(-0) is "0": keep the sign, double precision has a negative zero.
  if (Object.is(value, -0)) return '-0';
  // Shortest round-trip form; float8in parses it back to the same double.
  return String(value);
}

/** A PostgreSQL array literal of strings: every element quoted, `"` and `\` escaped. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** The PostgreSQL input text of one field's value, or null for SQL NULL. */
export function pgText(field: ResolvedField, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'uuid':
    case 'text':
    case 'numeric':
      return value as string;
    case 'int':
      return String(value as number);
    case 'bigint':
      return (value as bigint).toString();
    case 'float':
      return floatText(value as number);
    case 'bool':
      return value ? 't' : 'f';
    case 'timestamp':
      return isoTimestamp(value as Date);
    case 'json':
      return JSON.stringify(typedToJson(value));
    case 'bytes':
      return `\\x${(value as Buffer).toString('hex')}`;
    case 'text[]':
    case 'uuid[]':
      return arrayLiteral(value as string[]);
  }
}

/** Escapes one field for COPY text format (`\N` is NULL). */
export function copyField(text: string | null): string {
  if (text === null) return '\\N';
  return text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** One COPY text-format line (with its newline). */
export function copyLine(fields: readonly (string | null)[]): string {
  return `${fields.map(copyField).join('\t')}\n`;
}

const COPY_SPECIAL = /[\\\n\r\t]/;

/** `copyField` for a non-null text, skipping the replace when nothing needs escaping (the usual case). */
function copyEscaped(text: string): string {
  return COPY_SPECIAL.test(text) ? copyField(text) : text;
}

/**
 * The COPY field of one value of `field`: `copyField(pgText(field, value))`, with the type dispatch
 * done once. Types whose text never holds a tab, newline or backslash skip the escaping.
 */
function copyFieldEncoder(field: ResolvedField): (value: unknown) => string {
  switch (field.type) {
    case 'uuid':
    case 'int':
    case 'bigint':
    case 'float':
    case 'bool':
    case 'timestamp':
      return (v) => (v === null || v === undefined ? '\\N' : pgText(field, v)!);
    default:
      return (v) => (v === null || v === undefined ? '\\N' : copyEscaped(pgText(field, v)!));
  }
}

/** The overflow column's input text (`{}` when the entity has none). */
export function legacyExtraText(entity: Record<string, unknown>): string {
  return JSON.stringify(legacyExtraJson(entity));
}

/**
 * A COPY text-format line encoder for rows of these fields followed by `legacy_extra` and `legacy_id`:
 * `encode(entity, legacyId)` equals
 * `copyLine([...fields.map((f) => pgText(f, entity[f.name])), legacyExtraText(entity), legacyId])`.
 *
 * @example
 * const line = copyRowEncoder(fields)(row.entity, row.legacyId);
 */
export function copyRowEncoder(fields: readonly ResolvedField[]): (entity: Record<string, unknown>, legacyId: string) => string {
  const names = fields.map((f) => f.name);
  const encoders = fields.map(copyFieldEncoder);
  const n = fields.length;
  return (entity, legacyId) => {
    let line = '';
    for (let i = 0; i < n; i++) line += `${encoders[i]!(entity[names[i]!])}\t`;
    return `${line}${copyEscaped(legacyExtraText(entity))}\t${copyEscaped(legacyId)}\n`;
  };
}
