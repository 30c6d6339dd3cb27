import type { Command } from 'commander';
import { adminUrlOf } from '../../config/persistence-config.js';
import { rlsCheck } from '../../postgres/rls-check.js';
import { configFrom, ExitCode, out, withConfigOption } from '../cli-support.js';
import { schemasOf, selectModules } from './module-options.js';

/**
 * `rls check`: every table with a tenant_id column in our schemas must have row-level security
 * enabled AND forced AND a policy. Exit 1 below 100% coverage.
 */
export function registerRls(program: Command): void {
  const rls = program.command('rls').description('Row-level security tools');
  withConfigOption(
    rls
      .command('check')
      .description('Fail unless every tenant table has RLS enabled, forced and a policy (100% coverage)')
      .option('--module <names...>', 'only these modules\u2019 schemas (default: all)')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts: { module?: string[]; json?: boolean; config?: string }) => {
    // PostgreSQL only: the modules' backends (Mongo by default) must not make it ask for MONGO_URL.
    const config = configFrom(opts, { postgres: true, mongo: false });
    const report = await rlsCheck(adminUrlOf(config)!, schemasOf(selectModules(opts.module)));
    if (opts.json) out(JSON.stringify(report, null, 2));
    else {
      for (const t of report.tables) {
        const what = t.ok ? 'ok' : `MISSING${t.rlsEnabled ? '' : ' enable'}${t.rlsForced ? '' : ' force'}${t.policies.length ? '' : ' policy'}`;
        out(`${t.ok ? '✓' : '✗'} ${t.schema}.${t.table}${t.partitionOf ? ` (partition of ${t.partitionOf})` : ''}: ${what}`);
      }
      out(`RLS coverage: ${(report.coverage * 100).toFixed(1)}% of ${report.tables.length} tenant tables`);
    }
    if (!report.ok) throw new ExitCode(1);
  });
}
