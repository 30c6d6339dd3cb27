import pg from 'pg';
import type { BenchLine } from './run.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import type { EntitySpec } from '../src/interfaces/entity-spec.js';
import { delivery } from '../src/modules/notify/entities.js';
import { notifyModule } from '../src/modules/notify/index.js';
import { executionLog, run as runSpec } from '../src/modules/scheduler/entities.js';
import { schedulerModule } from '../src/modules/scheduler/index.js';
import { getSql, idParams, SelectBuilder } from '../src/postgres/entity-sql.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { monthStartUtc } from '../src/postgres/partitions.js';
import { createTestDatabase } from '../test/setup/environment.js';

/**
 * Monthly partitions (seeds 6, sprint 3422; SPEC 12):
 * - retention: removing one month of `scheduler.run` by DETACH + DROP (core.drop_expired_partitions,
 *   what `partitions maintain` runs) against DELETE of the same rows, at 100k and 1M rows
 *   (BENCH_PARTITION_SIZES), rows generated inside PostgreSQL; DROP should stay flat. Milliseconds,
 *   client-side, one statement each (plus the VACUUM a DELETE needs before its space is reusable);
 *   `ratio` is drop / delete.
 * - pruning: EXPLAIN of the modules' time-bounded queries, exactly as the generic repository sends them
 *   (parameters bound, so the planner prunes at plan time), on tables holding every month from the
 *   retention horizon to three months ahead: `value` = partitions scanned, `n` = partitions of the table,
 *   `ratio` = scanned / total. A lookup by id alone (no time bound) is listed for contrast: it must
 *   visit every partition.
 */
const SIZES = (process.env.BENCH_PARTITION_SIZES ?? '100000,1000000').split(',').map(Number);
const TENANT = '00000000-0000-4000-8000-0000000000aa';

const ms = (x: number) => Math.round(x * 100) / 100;

function fill(table: string, columns: string, values: string): string {
  // $1 month start, $2 rows, $3 tenant: rows spread evenly over the 28 first days of the month.
  return `insert into ${table} (${columns})
          select ${values}
          from generate_series(1, $2::int) g, lateral (select $1::timestamptz + make_interval(secs => (g % 2419200)) as at) t`;
}

const FILL_RUN = fill(
  'scheduler.run',
  'id, tenant_id, schedule_id, trigger, state, reason, stats, delta_count, started_at, finished_at, error, created_at, updated_at',
  `gen_random_uuid(), case when g % 10 = 0 then $3::uuid else md5('t' || (g % 7))::uuid end, md5('s' || (g % 50))::uuid, 'cron', 'completed', null,
   jsonb_build_object('candidates', g % 4000, 'deduped', g % 3600, 'newCriticals', g % 5), g % 300, t.at, t.at + interval '10 minutes', null, t.at, t.at`,
);
const FILL_DELIVERY = fill(
  'notify.delivery',
  'id, tenant_id, rule_id, channel_id, event_id, event_kind, state, attempts, metadata, created_at, updated_at',
  `gen_random_uuid(), case when g % 10 = 0 then $3::uuid else md5('t' || (g % 7))::uuid end, null, md5('c' || (g % 20))::uuid, 'evt-' || g, 'scan.completed',
   (array['pending','sending','sent','failed','retrying','dead','suppressed','cancelled'])[g % 8 + 1], g % 3, '{}'::jsonb, t.at, t.at`,
);
const FILL_LOG = fill(
  'scheduler.execution_log',
  'id, tenant_id, run_id, level, message, created_at, updated_at',
  `gen_random_uuid(), case when g % 10 = 0 then $3::uuid else md5('t' || (g % 7))::uuid end, md5('r' || (g % 500))::uuid, 'info', 'processed batch ' || g, t.at, t.at`,
);

/** Relation names a plan reads (scan nodes), and the runtime "Subplans Removed" count. */
function scanned(plan: Record<string, unknown>, out = new Set<string>()): Set<string> {
  if (typeof plan['Relation Name'] === 'string') out.add(plan['Relation Name'] as string);
  for (const child of (plan.Plans as Record<string, unknown>[] | undefined) ?? []) scanned(child, out);
  return out;
}

async function explain(client: pg.Client, sql: string, params: unknown[]): Promise<Set<string>> {
  const res = await client.query(`explain (format json) ${sql}`, params);
  return scanned((res.rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
}

async function partitionCount(client: pg.Client, table: string): Promise<number> {
  return (await client.query(`select count(*)::int as n from core.partition_bounds($1::regclass)`, [table])).rows[0].n;
}

function listSql(spec: EntitySpec, where: Record<string, unknown>, range: { gte: Date; lt: Date } | null, order: string): { sql: string; params: unknown[] } {
  const q = new SelectBuilder(spec).tenant(TENANT).where(where);
  if (range) q.range({ field: 'createdAt', ...range });
  const sql = q.build(spec.orders[order]!, 101);
  return { sql, params: q.params };
}

export default async function runBench(emit: (line: BenchLine) => void): Promise<void> {
  process.env.PG_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  const db = await createTestDatabase('bench_partitions');
  const client = new pg.Client({ connectionString: db.adminUrl });
  try {
    await runMigrations(db.adminUrl, migrationSetsFor([schedulerModule, notifyModule]));
    await client.connect();
    await client.query('set statement_timeout = 0');
    const now = new Date();

    // Retention: the oldest month of scheduler.run holds `rows` rows; remove them both ways.
    const oldest = monthStartUtc(now, -6);
    const cutoff = monthStartUtc(oldest, 1);
    for (const rows of SIZES) {
      // The month retention removes was written long ago; here it was filled a moment earlier, and an
      // autovacuum still analysing it would hold DROP for deadlock_timeout (1 s) before yielding. Off
      // on this partition, so each side measures its own work.
      const prepare = async () => {
        const partition = (await client.query(`select core.ensure_monthly_partition('scheduler.run', $1) as p`, [oldest])).rows[0].p as string;
        await client.query(`alter table ${partition} set (autovacuum_enabled = false)`);
        await client.query(FILL_RUN, [oldest, rows, TENANT]);
        await client.query(`analyze ${partition}`);
        // Written out, as an old month is: neither side pays for flushing the fill's dirty pages.
        await client.query('checkpoint');
        return partition;
      };
      const partition = await prepare();
      let started = performance.now();
      const deleted = await client.query(`delete from scheduler.run where created_at >= $1 and created_at < $2`, [oldest, cutoff]);
      const deleteMs = performance.now() - started;
      if (deleted.rowCount !== rows) throw new Error(`deleted ${deleted.rowCount} rows, expected ${rows}`);
      // DELETE leaves dead rows and index entries: the space comes back only after a VACUUM.
      started = performance.now();
      await client.query(`vacuum ${partition}`);
      const vacuumMs = performance.now() - started;
      await client.query(`select partition from core.drop_expired_partitions('scheduler.run', $1)`, [cutoff]);

      await prepare();
      started = performance.now();
      const dropped = await client.query(`select partition from core.drop_expired_partitions('scheduler.run', $1)`, [cutoff]);
      const dropMs = performance.now() - started;
      if (dropped.rowCount !== 1) throw new Error(`dropped ${dropped.rowCount} partitions, expected 1`);

      const del = `partitions.retention.delete.rows${rows}`;
      emit({ name: del, n: rows, value: ms(deleteMs), unit: 'ms', baseline: null, ratio: null });
      emit({ name: `partitions.retention.delete_then_vacuum.rows${rows}`, n: rows, value: ms(deleteMs + vacuumMs), unit: 'ms', baseline: null, ratio: null });
      emit({ name: `partitions.retention.drop.rows${rows}`, n: rows, value: ms(dropMs), unit: 'ms', baseline: del, ratio: Math.round((dropMs / deleteMs) * 10000) / 10000 });
    }

    // Pruning: every month from the retention horizon to three months ahead holds rows.
    await client.query(`select count(*) from core.ensure_monthly_partitions('scheduler.run', $1, $2)`, [monthStartUtc(now, -6), monthStartUtc(now, 3)]);
    for (const [table, sql, months] of [['scheduler.run', FILL_RUN, 6], ['notify.delivery', FILL_DELIVERY, 4], ['scheduler.execution_log', FILL_LOG, 4]] as const) {
      for (let m = -months; m <= 3; m++) await client.query(sql, [monthStartUtc(now, m), 5000, TENANT]);
      await client.query(`analyze ${table}`);
    }
    const day = 86_400_000;
    const last = (days: number) => ({ gte: new Date(now.getTime() - days * day), lt: now });
    const probes: { name: string; table: string; sql: string; params: unknown[] }[] = [
      { name: 'run.last7Days', table: 'scheduler.run', ...listSql(runSpec, {}, last(7), 'default') },
      { name: 'run.ofSchedule.last30Days', table: 'scheduler.run', ...listSql(runSpec, { scheduleId: '3b5d5c37-26ad-4b5f-9b0a-5d3c6f1d1a11' }, last(30), 'default') },
      { name: 'run.byState.previousMonth', table: 'scheduler.run', ...listSql(runSpec, { state: 'completed' }, { gte: monthStartUtc(now, -1), lt: monthStartUtc(now) }, 'byState') },
      { name: 'delivery.byState.last30Days', table: 'notify.delivery', ...listSql(delivery, { state: 'retrying' }, last(30), 'byState') },
      { name: 'execution_log.ofRun.last7Days', table: 'scheduler.execution_log', ...listSql(executionLog, { runId: '3b5d5c37-26ad-4b5f-9b0a-5d3c6f1d1a12' }, last(7), 'byRun') },
      { name: 'run.getById.noTimeBound', table: 'scheduler.run', sql: getSql(runSpec), params: idParams(runSpec, '3b5d5c37-26ad-4b5f-9b0a-5d3c6f1d1a13', TENANT) },
    ];
    for (const p of probes) {
      const total = await partitionCount(client, p.table);
      const relations = await explain(client, p.sql, p.params);
      const parts = [...relations].filter((r) => r.startsWith(`${p.table.split('.')[1]}_p`)).length;
      emit({ name: `partitions.pruning.${p.name}`, n: total, value: parts, unit: 'partitions scanned', baseline: null, ratio: Math.round((parts / total) * 1000) / 1000 });
    }
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
