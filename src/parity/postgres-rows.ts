import type { QueryResult } from 'pg';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { PostgresDataSource, Tx } from '../postgres/data-source.js';
import { selectList, tableOf } from '../postgres/entity-sql.js';
import { fromRow } from '../postgres/row-codec.js';

/**
 * Every row of an entity's table, across tenants, read as the admin role for parity: the declared
 * columns plus legacy_id, decoded with the same `fromRow` the repository uses.
 */
export interface PostgresRow {
  readonly entity: Record<string, unknown>;
  readonly legacyId: string | null;
}

const FETCH_SIZE = 2000;

/**
 * A transaction that sees every tenant: row security is switched off for it, which PostgreSQL only
 * allows a superuser or a BYPASSRLS role; anyone else gets an error instead of silently filtered
 * rows (FORCE ROW LEVEL SECURITY applies to table owners too), which we turn into a clear message.
 */
async function allTenants<T>(ds: PostgresDataSource, spec: EntitySpec, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await ds.transaction(async (tx) => {
      await tx.query('set local row_security = off');
      return fn(tx);
    });
  } catch (err) {
    if ((err as { code?: string }).code === '42501' && /row-level security/i.test((err as Error).message)) {
      throw new Error(
        `verify reads every row of ${spec.schema}.${spec.table} across tenants, but the PostgreSQL admin role (POSTGRES_ADMIN_URL) is subject to row-level security: ` +
          'use a superuser or a role with BYPASSRLS for verify',
        { cause: err },
      );
    }
    throw err;
  }
}

/** Fails with a clear message when the module's table is not there (migrations not applied). */
export async function assertTable(ds: PostgresDataSource, spec: EntitySpec): Promise<void> {
  const res = await ds.query<{ present: boolean }>('select to_regclass($1) is not null as present', [tableOf(spec)]);
  if (!res.rows[0]?.present) throw new Error(`PostgreSQL table ${spec.schema}.${spec.table} does not exist: apply the ${spec.module} migrations first (migrate --module ${spec.module})`);
}

/**
 * Streams every row in id order (uuid order is byte order) through a server-side cursor, a batch at
 * a time, inside one repeatable-read snapshot; memory stays at one batch.
 *
 * @example
 * await drainRows(ds, spec, (row) => index.append(uuidBytes(row.entity.id as string), digest(row)));
 */
export async function drainRows(
  ds: PostgresDataSource,
  spec: EntitySpec,
  onRow: (row: PostgresRow) => void,
  fetchSize = FETCH_SIZE,
  range: { readonly lower: string | null; readonly upper: string | null } = { lower: null, upper: null },
): Promise<number> {
  return allTenants(ds, spec, async (tx) => {
    // A slice of the id space (verify --workers): lower inclusive, upper exclusive, null = open.
    const bounds: string[] = [];
    const params: string[] = [];
    if (range.lower !== null) bounds.push(`id >= $${params.push(range.lower)}::uuid`);
    if (range.upper !== null) bounds.push(`id < $${params.push(range.upper)}::uuid`);
    const where = bounds.length ? ` where ${bounds.join(' and ')}` : '';
    await tx.query(`declare parity_rows no scroll cursor for select ${selectList(spec)} from ${tableOf(spec)}${where} order by id`, params);
    const fetch = `fetch forward ${Math.trunc(fetchSize)} from parity_rows`;
    let total = 0;
    // The next batch is requested before this one is digested: the server and the wire work while we hash.
    let pending: Promise<QueryResult> | null = tx.query(fetch);
    while (pending) {
      const res: QueryResult = await pending;
      pending = res.rows.length === fetchSize ? tx.query(fetch) : null;
      for (const row of res.rows) onRow({ entity: fromRow(spec, row), legacyId: (row.legacy_id as string | null) ?? null });
      total += res.rows.length;
    }
    await tx.query('close parity_rows');
    return total;
  });
}

/** The rows with these ids (first row per id), by id. */
export async function rowsByIds(ds: PostgresDataSource, spec: EntitySpec, ids: readonly string[]): Promise<Map<string, PostgresRow>> {
  const out = new Map<string, PostgresRow>();
  if (ids.length === 0) return out;
  const rows = await allTenants(ds, spec, async (tx) => (await tx.query(`select ${selectList(spec)} from ${tableOf(spec)} where id = any($1::uuid[]) order by id`, [ids])).rows);
  for (const row of rows) {
    const entity = fromRow<Record<string, unknown>>(spec, row);
    if (!out.has(entity.id as string)) out.set(entity.id as string, { entity, legacyId: (row.legacy_id as string | null) ?? null });
  }
  return out;
}

/** Row count of the table across tenants (tier C reporting). */
export async function countRows(ds: PostgresDataSource, spec: EntitySpec): Promise<number> {
  return allTenants(ds, spec, async (tx) => Number((await tx.query<{ n: string }>(`select count(*)::text as n from ${tableOf(spec)}`)).rows[0]!.n));
}
