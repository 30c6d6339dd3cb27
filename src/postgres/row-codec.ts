import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldsOf, type ResolvedField } from '../codec/fields.js';

/**
 * Domain values <-> PostgreSQL parameters and rows. Int64 travels as text and comes back as
 * bigint (the pool's int8 parser), numeric as text, JSON as text cast to jsonb (pg would turn a
 * JS array into a PostgreSQL array literal otherwise).
 */
export function toParam(field: ResolvedField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'bigint':
      return (value as bigint).toString();
    case 'json':
      return JSON.stringify(value);
    case 'float':
      return Number.isFinite(value as number) ? value : String(value);
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
    default:
      return value;
  }
}

/** A row (with columns named as declared) -> entity. */
export function fromRow<E>(spec: EntitySpec, row: Record<string, unknown>): E {
  const entity: Record<string, unknown> = {};
  for (const field of fieldsOf(spec)) entity[field.name] = fromColumn(field, row[field.column]);
  return entity as E;
}

/** Writable columns and their parameters, in declaration order. */
export function toParams(spec: EntitySpec, entity: Record<string, unknown>): { columns: string[]; params: unknown[] } {
  const columns: string[] = [];
  const params: unknown[] = [];
  for (const field of fieldsOf(spec)) {
    if (field.generated) continue;
    columns.push(field.column);
    params.push(toParam(field, entity[field.name]));
  }
  return { columns, params };
}
