import type { Command } from 'commander';
import { adminUrlOf } from '../../config/persistence-config.js';
import { migrationSetsFor } from '../../container/migration-sets.js';
import { grantAppRole, runMigrations, type MigrationCategory } from '../../postgres/migrations/index.js';
import pg from 'pg';
import { cliLog, configFrom, lineLog, out, printJson, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

/**
 * `migrate`: applies startup migrations (and release / seed / data ones when asked) of every
 * module, or of `--module` ones, as the owner role (POSTGRES_ADMIN_URL, else POSTGRES_URL).
 * Concurrent runs are safe: a per-module advisory lock lets one apply and the others find nothing.
 */
export function registerMigrate(program: Command): void {
  withConfigOption(
    program
      .command('migrate')
      .description('Apply PostgreSQL migrations (startup by default; --release, --seed, --data for the others)')
      .option('--module <names...>', 'only these modules (default: all)')
      .option('--release', 'also apply release migrations (100-199)')
      .option('--seed', 'also apply seed migrations (S001-S999)')
      .option('--data', 'also run data migrations (DM001-DM999), batched until done')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts: { module?: string[]; release?: boolean; seed?: boolean; data?: boolean; json?: boolean; config?: string }) => {
    const config = configFrom(opts, { postgres: true });
    const modules = selectModules(opts.module);
    const categories: MigrationCategory[] = ['startup'];
    if (opts.release) categories.push('release');
    if (opts.seed) categories.push('seed');
    if (opts.data) categories.push('data');
    const adminUrl = adminUrlOf(config)!;
    const log = cliLog();
    const reports = await runMigrations(adminUrl, migrationSetsFor(modules), { categories, log: lineLog(log) });
    const appUser = decodeURIComponent(new URL(config.Postgres.Url!).username);
    if (appUser && appUser !== decodeURIComponent(new URL(adminUrl).username)) await grantAppRole(adminUrl, appUser);
    await warnUnlessBypassRls(adminUrl, (line) => log.warn(line));
    if (opts.json) {
      printJson(reports.map((r) => ({ module: r.module, applied: r.applied.map((m) => m.version), pendingRelease: r.pendingRelease.map((m) => m.version), pendingOther: r.pendingOther.map((m) => m.version) })));
      return;
    }
    for (const r of reports) {
      const applied = r.applied.length ? `applied ${r.applied.map((m) => `${m.version}_${m.name}`).join(', ')}` : 'up to date';
      const pending = r.pendingRelease.length ? `; pending release: ${r.pendingRelease.map((m) => m.version).join(', ')} (migrate --release)` : '';
      out(`${r.module}: ${applied}${pending}`);
    }
  });
}

/**
 * Row-level security is forced on every tenant table, owners included: the maintenance role that
 * converts, verifies, reconciles across tenants and refreshes materialized views must be superuser
 * or BYPASSRLS. Migrations themselves do not need it, so this only warns.
 */
async function warnUnlessBypassRls(adminUrl: string, warn: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query<{ ok: boolean; name: string }>('select (rolsuper or rolbypassrls) as ok, rolname as name from pg_roles where rolname = current_user');
    if (!r.rows[0]?.ok) {
      warn(`warning: the maintenance role ${r.rows[0]?.name} is neither superuser nor BYPASSRLS; verify, reconcile and materialized-view refreshes need one of them (convert works tenant by tenant)`);
    }
  } finally {
    await client.end();
  }
}
