import type { ResolvedField } from '../codec/fields.js';

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

const DIGITS2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const DIGITS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from there on `toISOString` writes six-digit years. */
const YEAR_10000_MS = 253_402_300_800_000;

/**
 * `date.toISOString()`, computed from the epoch milliseconds for 1970..9999 (conversion writes a
 * few timestamps per document, and the built-in is slow); other dates use the built-in itself.
 * The calendar arithmetic is the proleptic Gregorian days-to-civil conversion.
 */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return date.toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return `${year}-${DIGITS2[month]}-${DIGITS2[day]}T${DIGITS2[hour]}:${DIGITS2[minute]}:${DIGITS2[second]}.${DIGITS3[rest - second * 1000]}Z`;
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
      return JSON.stringify(value);
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

/**
 * A COPY text-format line encoder for rows of these fields followed by `legacy_id`:
 * `encode(entity, legacyId)` equals `copyLine([...fields.map((f) => pgText(f, entity[f.name])), legacyId])`.
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
    return `${line}${copyEscaped(legacyId)}\n`;
  };
}
