import { join } from 'node:path';
import type pg from 'pg';
import type { PostgresDataSource } from '../data-source.js';
import { withDataSource } from './data-source-for.js';
import { MigrationChecksumError } from './migration-errors.js';
import { applyMigration } from './migration-executor.js';
import { migrationOrder } from './migration-file.js';
import { bootstrapHistory, historyExists, readHistory, type HistoryRow } from './migration-history.js';
import { readMigrationSources, type MigrationSource } from './migration-loader.js';
import { acquireModuleLock, releaseModuleLock } from './migration-lock.js';
import type {
  AppliedMigration,
  ChangedMigration,
  MigrationCategory,
  MigrationRunReport,
  MigrationSet,
  MigrationStatus,
  RunMigrationsOptions,
} from './migration-types.js';

/**
 * Applies the pending migrations of the selected categories, module by module in the order given
 * (put `core` first), and reports what it applied and what it left pending.
 *
 * Every file name of every set is validated before the database is touched. Per module, the runner
 * holds that module's advisory lock on one connection for the whole module: concurrent runners (other
 * processes, other hosts) wait, then re-read the history and find nothing to do. A changed checksum of
 * an applied migration stops the module before anything of it is applied ({@link MigrationChecksumError}).
 * A failing migration throws a `MigrationError` naming the file; later modules are not run.
 *
 * @param adminUrlOrDs the owner role (URL: a pool of 4 without statement timeout, closed afterwards)
 * @param options.categories default `['startup']` (service start-up); `migrate --release` adds 'release',
 *   `--seed` 'seed', `--data` 'data'. Data migrations (`DMnnn`) are batches repeated until their last
 *   statement affects 0 rows (the contract is on `applyDataMigration` in migration-executor.ts).
 *
 * @example
 * const [core] = await runMigrations(adminUrl, [coreMigrationSet()], { log: console.log });
 * if (core.pendingRelease.length) console.warn('release migrations pending: run migrate --release');
 */
export async function runMigrations(
  adminUrlOrDs: string | PostgresDataSource,
  sets: MigrationSet[],
  options: RunMigrationsOptions = {},
): Promise<MigrationRunReport[]> {
  const selected = new Set<MigrationCategory>(options.categories ?? ['startup']);
  const log = options.log ?? (() => undefined);
  const modules = await readSets(sets);
  return withDataSource(adminUrlOrDs, async (ds) => {
    await withClient(ds, (client) => bootstrapHistory(client));
    const reports: MigrationRunReport[] = [];
    for (const { module, sources } of modules) {
      reports.push(await withClient(ds, (client) => runModule(client, module, sources, selected, log)));
    }
    return reports;
  });
}

/**
 * What is applied, what is pending and which applied files changed since (checksum differs), per
 * module, without changing anything (no lock, no bootstrap).
 *
 * @example
 * for (const m of await migrationStatus(adminUrl, [coreMigrationSet()])) console.log(m.module, m.pending.length);
 */
export async function migrationStatus(adminUrlOrDs: string | PostgresDataSource, sets: MigrationSet[]): Promise<MigrationStatus[]> {
  const modules = await readSets(sets);
  return withDataSource(adminUrlOrDs, (ds) =>
    withClient(ds, async (client) => {
      const bootstrapped = await historyExists(client);
      const statuses: MigrationStatus[] = [];
      for (const { module, dir, sources } of modules) {
        const history = bootstrapped ? await readHistory(client, module) : new Map<string, HistoryRow>();
        const byVersion = new Map(sources.map((s) => [s.info.version, s.info]));
        const applied: AppliedMigration[] = [...history.values()]
          .map((row) => {
            const info = byVersion.get(row.version);
            return {
              module,
              version: row.version,
              name: row.name,
              category: row.category,
              checksum: row.checksum,
              // A file removed after it was applied still shows, where it used to be.
              file: info?.file ?? join(dir, `${row.version}_${row.name}.sql`),
              transactional: info?.transactional ?? true,
              appliedAt: row.appliedAt,
              durationMs: row.durationMs,
            };
          })
          .sort(migrationOrder);
        const pending = sources.filter((s) => !history.has(s.info.version)).map((s) => s.info);
        statuses.push({ module, applied, pending, changed: changedMigrations(sources, history) });
      }
      return statuses;
    }),
  );
}

async function runModule(
  client: pg.ClientBase,
  module: string,
  sources: MigrationSource[],
  selected: Set<MigrationCategory>,
  log: (line: string) => void,
): Promise<MigrationRunReport> {
  // Long DDL and the wait for the lock must not hit the data source's statement timeout.
  await client.query('set statement_timeout = 0');
  await acquireModuleLock(client, module, log);
  try {
    // Read under the lock: what another runner applied while we waited is not pending any more.
    const history = await readHistory(client, module);
    verifyChecksums(module, sources, history, log);
    const pending = sources.filter((s) => !history.has(s.info.version));
    const applied = [];
    for (const source of pending.filter((s) => selected.has(s.info.category))) {
      await applyMigration(client, source, log);
      applied.push(source.info);
    }
    const left = pending.filter((s) => !selected.has(s.info.category)).map((s) => s.info);
    const report: MigrationRunReport = {
      module,
      applied,
      pendingRelease: left.filter((m) => m.category === 'release'),
      pendingOther: left.filter((m) => m.category !== 'release'),
    };
    if (applied.length === 0) log(`[${module}] nothing to apply`);
    if (report.pendingRelease.length) {
      log(`[${module}] release migrations pending (run migrate --release): ${report.pendingRelease.map((m) => m.version).join(', ')}`);
    }
    return report;
  } finally {
    await releaseModuleLock(client, module).catch(() => undefined); // closing the connection frees it anyway
  }
}

/** Applied migrations whose file's checksum differs from the recorded one, in history order. */
function changedMigrations(sources: MigrationSource[], history: Map<string, HistoryRow>): ChangedMigration[] {
  const byVersion = new Map(sources.map((s) => [s.info.version, s.info]));
  const changed: ChangedMigration[] = [];
  for (const row of history.values()) {
    const info = byVersion.get(row.version);
    if (info && info.checksum !== row.checksum) changed.push({ version: row.version, file: info.file, recorded: row.checksum, actual: info.checksum });
  }
  return changed;
}

/** Refuses a module whose applied migrations' files changed: before anything of it is applied. */
function verifyChecksums(module: string, sources: MigrationSource[], history: Map<string, HistoryRow>, log: (line: string) => void): void {
  const versions = new Set(sources.map((s) => s.info.version));
  for (const row of history.values()) {
    if (!versions.has(row.version)) log(`[${module}] applied migration ${row.version}_${row.name}.sql has no file any more`);
  }
  const [first] = changedMigrations(sources, history);
  if (first) throw new MigrationChecksumError(first.file, module, first.recorded, first.actual);
}

async function readSets(sets: MigrationSet[]): Promise<{ module: string; dir: string; sources: MigrationSource[] }[]> {
  const seen = new Set<string>();
  for (const set of sets) {
    if (seen.has(set.module)) throw new Error(`Module ${set.module} is listed twice among the migration sets`);
    seen.add(set.module);
  }
  return Promise.all(sets.map(async (set) => ({ module: set.module, dir: set.dir, sources: await readMigrationSources(set) })));
}

/**
 * A dedicated connection, destroyed afterwards rather than returned to the pool: its session settings
 * (no statement timeout, whatever a no-transaction migration left) must not reach the pool's next user.
 */
async function withClient<T>(ds: PostgresDataSource, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await ds.pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release(true);
  }
}
