import type { Command } from 'commander';
import { adminUrlOf, type PersistenceConfig } from '../../config/persistence-config.js';
import { APP_GROUP_ROLE } from '../../postgres/migrations/app-role.js';
import { rlsCheck, TENANT_DATA_MARKER, type RlsTableReport } from '../../postgres/rls-check.js';
import { configFrom, ExitCode, out, withConfigOption } from '../cli-support.js';
import { schemasOf, selectModules } from './module-options.js';

/**
 * `rls check`: every relation holding tenant data in our schemas (a `tenant_id` column, or the
 * `@tenant-data` comment marker) must keep it from the application role: RLS enabled AND forced AND a
 * policy where there is a `tenant_id`, no privilege at all otherwise. The application role is the group
 * role `stellaops_app` and the login role of Postgres.Url. Exit 1 below 100% coverage.
 */
export function registerRls(program: Command): void {
  const rls = program.command('rls').description('Row-level security tools');
  withConfigOption(
    rls
      .command('check')
      .description('Fail unless every tenant-data table has RLS enabled, forced and a policy, or is out of the application role\u2019s reach (100% coverage)')
      .option('--module <names...>', 'only these modules\u2019 schemas (default: all)')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts: { module?: string[]; json?: boolean; config?: string }) => {
    // PostgreSQL only: the modules' backends (Mongo by default) must not make it ask for MONGO_URL.
    const config = configFrom(opts, { postgres: true, mongo: false });
    const report = await rlsCheck(adminUrlOf(config)!, schemasOf(selectModules(opts.module)), { appRoles: appRolesOf(config) });
    if (opts.json) out(JSON.stringify(report, null, 2));
    else {
      for (const t of report.tables) out(`${t.ok ? '✓' : '✗'} ${t.schema}.${t.table}${t.partitionOf ? ` (partition of ${t.partitionOf})` : ''}: ${verdict(t)}`);
      out(`RLS coverage: ${(report.coverage * 100).toFixed(1)}% of ${report.tables.length} tenant-data tables (application roles checked: ${report.appRoles.join(', ') || 'none exist yet'})`);
    }
    if (!report.ok) throw new ExitCode(1);
  });
}

/** The group role, and the login role of Postgres.Url unless that is the maintenance role itself. */
function appRolesOf(config: PersistenceConfig): string[] {
  const roles = [APP_GROUP_ROLE];
  const login = config.Postgres.Url ? decodeURIComponent(new URL(config.Postgres.Url).username) : '';
  const admin = decodeURIComponent(new URL(adminUrlOf(config)!).username);
  if (login && login !== admin) roles.push(login);
  return roles;
}

function verdict(t: RlsTableReport): string {
  if (t.tenantColumn && t.kind !== 'materialized view') {
    return t.ok ? 'ok' : `MISSING${t.rlsEnabled ? '' : ' enable'}${t.rlsForced ? '' : ' force'}${t.policies.length ? '' : ' policy'}`;
  }
  const why = t.kind === 'materialized view' ? 'materialized view (no RLS possible)' : `no tenant_id, marked ${TENANT_DATA_MARKER}`;
  return t.ok ? `ok (${why}; no application access)` : `REACHABLE by the application role (${t.appPrivileges.join(', ')}): ${why}, so it must not be granted to it`;
}
