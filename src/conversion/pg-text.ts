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
      return (value as Date).toISOString();
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
