import type pg from 'pg';
import type { MigrationCategory, MigrationInfo } from './migration-types.js';

/**
 * Everything the runner reads and writes in `core`: the bootstrap DDL and the history statements,
 * kept in one place. Every value is a parameter.
 */

/**
 * Created by the runner itself before any module's migrations, so even `core`'s first migration is
 * recorded. `schema_version` is the seeds' table (docs/postgres-patterns.md §12.1): per module, the highest
 * startup/release version applied and that migration's checksum. `data_migration_progress` tracks the
 * batches of data migrations (DM) still running, so an interrupted one shows how far it got.
 */
const BOOTSTRAP_DDL = `
create schema if not exists core;

create table if not exists core.migration_history (
  module      text        not null,
  version     text        not null,
  name        text        not null,
  category    text        not null check (category in ('startup', 'release', 'seed', 'data')),
  checksum    text        not null,
  applied_at  timestamptz not null default now(),
  duration_ms integer     not null,
  primary key (module, version)
);

create table if not exists core.schema_version (
  module         text        primary key,
  version        int         not null,
  applied_at     timestamptz not null default now(),
  migration_hash text        not null
);

create table if not exists core.data_migration_progress (
  module        text        not null,
  version       text        not null,
  checksum      text        not null,
  batches       bigint      not null default 0,
  rows_affected bigint      not null default 0,
  started_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (module, version)
);
`;

/** Advisory lock class of the migration runner (two-int form: ours never meet one-bigint users). */
export const MIGRATION_LOCK_CLASS = 0x53544d47; // 'STMG'

/**
 * Creates `core` and the history tables. Idempotent; concurrent runners serialise on a global
 * transaction-level advisory lock, because two concurrent `create ... if not exists` can still both
 * try to insert the catalog row and one fails.
 */
export async function bootstrapHistory(client: pg.ClientBase): Promise<void> {
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, 'stellaops-migrate-bootstrap']);
    await client.query(BOOTSTRAP_DDL);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** True when the history table exists (status must not create anything). */
export async function historyExists(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(
    "select to_regclass('core.migration_history') is not null as present",
  );
  return rows[0]?.present === true;
}

export interface HistoryRow {
  version: string;
  name: string;
  category: MigrationCategory;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
}

/** A module's recorded migrations, keyed by version. */
export async function readHistory(client: pg.ClientBase, module: string): Promise<Map<string, HistoryRow>> {
  const { rows } = await client.query<HistoryRow>(
    `select version, name, category, checksum, applied_at as "appliedAt", duration_ms as "durationMs"
       from core.migration_history
      where module = $1`,
    [module],
  );
  return new Map(rows.map((r) => [r.version, r]));
}

/** Records an applied migration; for startup/release ones also moves `core.schema_version` forward. */
export async function recordApplied(client: pg.ClientBase, info: MigrationInfo, durationMs: number): Promise<void> {
  await client.query(
    `insert into core.migration_history (module, version, name, category, checksum, applied_at, duration_ms)
     values ($1, $2, $3, $4, $5, date_trunc('milliseconds', clock_timestamp()), $6)`,
    [info.module, info.version, info.name, info.category, info.checksum, Math.round(durationMs)],
  );
  if (info.category === 'startup' || info.category === 'release') {
    // A startup migration added after a release one was applied must not move the version back.
    await client.query(
      `insert into core.schema_version as sv (module, version, migration_hash)
       values ($1, $2, $3)
       on conflict (module) do update
          set version = excluded.version, applied_at = now(), migration_hash = excluded.migration_hash
        where sv.version <= excluded.version`,
      [info.module, Number(info.version), info.checksum],
    );
  }
}

/** Adds one data-migration batch to its progress row; answers the totals so far. */
export async function recordBatch(
  client: pg.ClientBase,
  info: MigrationInfo,
  rows: number,
): Promise<{ batches: number; rows: number }> {
  const result = await client.query<{ batches: string; rows: string }>(
    `insert into core.data_migration_progress as p (module, version, checksum, batches, rows_affected)
     values ($1, $2, $3, 1, $4)
     on conflict (module, version) do update
        set batches = p.batches + 1,
            rows_affected = p.rows_affected + excluded.rows_affected,
            checksum = excluded.checksum,
            updated_at = now()
     returning batches::text, rows_affected::text as rows`,
    [info.module, info.version, info.checksum, rows],
  );
  const row = result.rows[0]!;
  return { batches: Number(row.batches), rows: Number(row.rows) };
}
