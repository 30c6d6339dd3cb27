import type { EntitySpec, OrderSpec } from '../interfaces/entity-spec.js';
import { fieldOf, fieldsOf, isTenantScoped } from '../codec/fields.js';
import { ident, qualified } from './data-source.js';
import { toParam } from './row-codec.js';
import { LEGACY_EXTRA_COLUMN } from '../codec/legacy-extra.js';

/**
 * All SQL the generic PostgreSQL repository runs, built from an entity declaration. Identifiers
 * come only from declarations and are quoted; every value is a parameter.
 */

export function tableOf(spec: EntitySpec): string {
  return qualified(spec.schema, spec.table);
}

/** Every declared column plus legacy_id and the overflow (legacy_extra), as a select list. */
export function selectList(spec: EntitySpec): string {
  return [...fieldsOf(spec).map((f) => ident(f.column)), 'legacy_id', LEGACY_EXTRA_COLUMN].join(', ');
}

/** Columns of the conflict target: id, plus the partition key on partitioned tables. */
export function conflictTarget(spec: EntitySpec): string {
  const cols = ['id'];
  if (spec.partitionedBy) cols.push(fieldOf(spec, spec.partitionedBy).column);
  return cols.map(ident).join(', ');
}

export function insertSql(spec: EntitySpec, columns: string[]): string {
  const cols = [...columns, 'legacy_id'];
  const values = cols.map((_, i) => `$${i + 1}`).join(', ');
  return `insert into ${tableOf(spec)} (${cols.map(ident).join(', ')}) values (${values}) returning ${selectList(spec)}`;
}

/** Upsert for replicas and conversion: never replaces a newer row (greater updated_at). */
export function upsertSql(spec: EntitySpec, columns: string[]): string {
  const cols = [...columns, 'legacy_id'];
  const values = cols.map((_, i) => `$${i + 1}`).join(', ');
  const set = cols.filter((c) => c !== 'id').map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ');
  return (
    `insert into ${tableOf(spec)} as t (${cols.map(ident).join(', ')}) values (${values}) ` +
    `on conflict (${conflictTarget(spec)}) do update set ${set} where t.updated_at <= excluded.updated_at ` +
    `returning ${selectList(spec)}`
  );
}

/** `id = $1` plus the tenant (explicit, besides RLS, so tenant-leading indexes serve it). */
function byId(spec: EntitySpec): string {
  return isTenantScoped(spec) ? `id = $1 and tenant_id = $2` : `id = $1`;
}

export function idParams(spec: EntitySpec, id: string, tenantId: string): unknown[] {
  return isTenantScoped(spec) ? [id, tenantId] : [id];
}

export function getSql(spec: EntitySpec, forUpdate = false): string {
  return `select ${selectList(spec)} from ${tableOf(spec)} where ${byId(spec)}${forUpdate ? ' for update' : ''}`;
}

/**
 * `update ... set` of the columns (parameters after the id and tenant). The overflow column keeps what
 * is stored whatever its parameter says: no service update changes the undeclared legacy fields, and
 * custom stores that rebuild an entity from its declared fields cannot drop them. (Replicas and
 * conversion write the overflow through insert / upsert.)
 */
export function updateSql(spec: EntitySpec, columns: string[]): { sql: string; offset: number } {
  const base = isTenantScoped(spec) ? 2 : 1;
  const sets = columns
    .map((c, i) => (c === LEGACY_EXTRA_COLUMN ? `${ident(c)} = coalesce(${ident(c)}, $${base + i + 1}::jsonb)` : `${ident(c)} = $${base + i + 1}`))
    .join(', ');
  return { sql: `update ${tableOf(spec)} set ${sets} where ${byId(spec)} returning ${selectList(spec)}`, offset: base };
}

export function deleteSql(spec: EntitySpec, guardUpdatedAt: boolean): string {
  const guard = guardUpdatedAt ? ` and updated_at <= $${isTenantScoped(spec) ? 3 : 2}` : '';
  return `delete from ${tableOf(spec)} where ${byId(spec)}${guard} returning ${selectList(spec)}`;
}

/** Builds a select with equality filters, a time range, a keyset condition, order and limit. */
export class SelectBuilder {
  private readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  constructor(private readonly spec: EntitySpec) {}

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  tenant(tenantId: string): this {
    if (isTenantScoped(this.spec)) this.conditions.push(`tenant_id = ${this.param(tenantId)}`);
    return this;
  }

  where(where: Record<string, unknown> | undefined): this {
    for (const [name, value] of Object.entries(where ?? {})) {
      if (value === undefined) continue;
      const f = fieldOf(this.spec, name);
      if (value === null) this.conditions.push(`${ident(f.column)} is null`);
      else this.conditions.push(`${ident(f.column)} = ${this.param(toParam(f, value))}`);
    }
    return this;
  }

  range(range: { field: string; gte?: Date; lt?: Date } | undefined): this {
    if (!range) return this;
    const col = ident(fieldOf(this.spec, range.field).column);
    if (range.gte) this.conditions.push(`${col} >= ${this.param(range.gte)}`);
    if (range.lt) this.conditions.push(`${col} < ${this.param(range.lt)}`);
    return this;
  }

  /** Rows strictly after (keys, id) in the order's direction. */
  after(order: OrderSpec, keys: readonly unknown[], id: string): this {
    const ors: string[] = [];
    const eq: string[] = [];
    order.fields.forEach(({ field, dir }, i) => {
      const f = fieldOf(this.spec, field);
      const col = sortExpr(this.spec, field);
      const p = `${this.param(toParam(f, keys[i]))}${f.type === 'text' ? ' collate "C"' : ''}`;
      ors.push([...eq, `${col} ${dir === 'asc' ? '>' : '<'} ${p}`].join(' and '));
      eq.push(`${col} = ${p}`);
    });
    ors.push([...eq, `id > ${this.param(id)}`].join(' and '));
    this.conditions.push(`(${ors.map((o) => `(${o})`).join(' or ')})`);
    return this;
  }

  build(order: OrderSpec, limit: number): string {
    const orderBy = [...order.fields.map(({ field, dir }) => `${sortExpr(this.spec, field)} ${dir}`), 'id asc'].join(', ');
    const where = this.conditions.length ? ` where ${this.conditions.join(' and ')}` : '';
    return `select ${selectList(this.spec)} from ${tableOf(this.spec)}${where} order by ${orderBy} limit ${this.param(limit)}`;
  }
}

/** Text sorts by bytes (COLLATE "C"), as MongoDB compares strings. */
function sortExpr(spec: EntitySpec, field: string): string {
  const f = fieldOf(spec, field);
  return f.type === 'text' ? `${ident(f.column)} collate "C"` : ident(f.column);
}
