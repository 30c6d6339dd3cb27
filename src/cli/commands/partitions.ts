import type { Command } from 'commander';
import { adminUrlOf } from '../../config/persistence-config.js';
import { listPartitions, maintainPartitions, partitionedTablesOf } from '../../postgres/partitions.js';
import { qualified } from '../../postgres/data-source.js';
import { withDataSource } from '../../postgres/migrations/data-source-for.js';
import { configFrom, out, UsageError, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

function monthsAhead(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 120) throw new UsageError(`--months-ahead must be an integer from 0 to 120, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * `partitions maintain`: creates the monthly partitions ahead (config Partitions.MonthsAhead, or
 * --months-ahead) and back to each table's retention horizon, and DETACHes + DROPs those wholly past
 * retention (never a DELETE). Safe to run concurrently and repeatedly (per-table advisory lock);
 * schedule it daily. Runs as the owner role (POSTGRES_ADMIN_URL). `partitions list` shows them.
 */
export function registerPartitions(program: Command): void {
  const partitions = program.command('partitions').description('Monthly partitions of the time-partitioned tables');
  withConfigOption(
    partitions
      .command('maintain')
      .description('Create partitions ahead, detach and drop those past retention, and report what was done')
      .option('--months-ahead <n>', 'months created ahead of the current one (default: config Partitions.MonthsAhead)', monthsAhead)
      .option('--dry-run', 'report what would be created and dropped, changing nothing')
      .option('--module <names...>', 'only these modules\u2019 tables (default: all)')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts: { monthsAhead?: number; dryRun?: boolean; module?: string[]; json?: boolean; config?: string }) => {
    const config = configFrom(opts, { postgres: true });
    const tables = partitionedTablesOf(selectModules(opts.module));
    const report = await maintainPartitions(adminUrlOf(config)!, tables, {
      monthsAhead: opts.monthsAhead ?? config.Partitions.MonthsAhead,
      dryRun: opts.dryRun ?? false,
      ...(opts.json ? {} : { log: out }),
    });
    if (opts.json) out(JSON.stringify(report, null, 2));
    else {
      const created = report.tables.reduce((n, t) => n + t.created.length, 0);
      const dropped = report.tables.reduce((n, t) => n + t.dropped.length, 0);
      out(`${report.dryRun ? 'dry run: would create' : 'created'} ${created}, ${report.dryRun ? 'would drop' : 'dropped'} ${dropped} partition(s) in ${report.tables.filter((t) => t.exists).length} table(s)`);
    }
  });

  withConfigOption(
    partitions
      .command('list')
      .description('List the partitions of every partitioned table with their bounds')
      .option('--module <names...>', 'only these modules\u2019 tables (default: all)')
      .option('--json', 'print as JSON'),
  ).action(async (opts: { module?: string[]; json?: boolean; config?: string }) => {
    const config = configFrom(opts, { postgres: true });
    const tables = partitionedTablesOf(selectModules(opts.module));
    const listing = await withDataSource(
      adminUrlOf(config)!,
      async (ds) => {
        const rows = [];
        for (const t of tables) {
          const exists = await ds.query<{ r: string | null }>(`select to_regclass($1)::text as r`, [qualified(t.schema, t.table)]);
          rows.push({ table: `${t.schema}.${t.table}`, retentionMonths: t.retentionMonths, exists: Boolean(exists.rows[0]?.r), partitions: exists.rows[0]?.r ? await listPartitions(ds, t) : [] });
        }
        return rows;
      },
      'stellaops-partitions',
    );
    if (opts.json) out(JSON.stringify(listing, null, 2));
    else {
      for (const t of listing) {
        out(`${t.table} (retention ${t.retentionMonths} months)${t.exists ? '' : ': table not found'}`);
        for (const p of t.partitions) out(`  ${p.name}  ${p.isDefault ? 'DEFAULT' : `[${p.from?.toISOString() ?? 'MINVALUE'}, ${p.to?.toISOString() ?? 'MAXVALUE'})`}`);
      }
    }
  });
}
