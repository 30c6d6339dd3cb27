import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldsOf, type ResolvedField } from '../codec/fields.js';
import { LEGACY_EXTRA_COLUMN, legacyExtraJson, withLegacyExtra } from '../codec/legacy-extra.js';
import { typedFromJson, typedToJson } from '../codec/typed-json.js';
import { isoTimestamp } from './timestamp-text.js';

/**
 * Domain values <-> PostgreSQL parameters and rows. Int64 travels as text and comes back as
 * bigint (the pool's int8 parser), numeric as text, JSON as the text of its typed JSON encoding
 * (typed-json.ts; text, because pg would turn a JS array into a PostgreSQL array literal otherwise),
 * timestamps as ISO text with an explicit era (`0001-01-01 BC`...: the driver's own spelling of a
 * year before 1 or past 9999 is one PostgreSQL does not parse). Every row also carries the
 * overflow column `legacy_extra` (legacy-extra.ts).
 */
export function toParam(field: ResolvedField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'bigint':
      return (value as bigint).toString();
    case 'json':
      return JSON.stringify(typedToJson(value));
    case 'float':
      return Number.isFinite(value as number) && !Object.is(value, -0) ? value : Object.is(value, -0) ? '-0' : String(value);
    case 'timestamp':
      return value instanceof Date ? isoTimestamp(value) : value;
    default:
      return value;
  }
}

export function fromColumn(field: ResolvedField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'bigint':
      return typeof value === 'bigint' ? value : BigInt(value as string);
    case 'float':
      return typeof value === 'number' ? value : Number(value);
    case 'timestamp':
      return value instanceof Date ? value : new Date(value as string);
    case 'json':
      return typedFromJson(value);
    default:
      return value;
  }
}

/** A row (with columns named as declared) -> entity. */
export function fromRow<E>(spec: EntitySpec, row: Record<string, unknown>): E {
  const entity: Record<string, unknown> = {};
  for (const field of fieldsOf(spec)) entity[field.name] = fromColumn(field, row[field.column]);
  const extra = row[LEGACY_EXTRA_COLUMN];
  return withLegacyExtra(entity, extra ? (typedFromJson(extra) as Record<string, unknown>) : null) as E;
}

/** Writable columns and their parameters, in declaration order, then the overflow column. */
export function toParams(spec: EntitySpec, entity: Record<string, unknown>): { columns: string[]; params: unknown[] } {
  const columns: string[] = [];
  const params: unknown[] = [];
  for (const field of fieldsOf(spec)) {
    if (field.generated) continue;
    columns.push(field.column);
    params.push(toParam(field, entity[field.name]));
  }
  columns.push(LEGACY_EXTRA_COLUMN);
  params.push(JSON.stringify(legacyExtraJson(entity)));
  return { columns, params };
}
