import type { BenchLine } from './run.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { tenantContext } from '../src/interfaces/tenant-context.js';
import { excititorModule } from '../src/modules/excititor/index.js';
import { PostgresTriageQueue } from '../src/modules/excititor/triage-queue/postgres.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { grantAppRole, runMigrations } from '../src/postgres/migrations/index.js';
import { createTestDatabase } from '../test/setup/environment.js';
import { median } from './bench-support.js';

/**
 * The triage dashboard (seeds 3.2 / implementation program 6.2: "dashboard summary query, 2000 ms ->
 * < 200 ms"): the first page (50 rows) of one tenant's triage queue read from `vex.mv_triage_queue`
 * (through the tenant view, its order index) against the same page computed live by the view's
 * defining aggregate, both through `PostgresTriageQueue` as the application role (RLS on). Median of
 * RUNS runs after a warm-up; the floor of any read (an empty unit of work) is reported beside them. Data built inside PostgreSQL with generate_series in a scratch database:
 * TENANTS tenants, each with PACKAGES packages, 2 decisions per package (half of them open) and
 * EVENTS_PER_DECISION timeline events per decision over the last 11 months (monthly partitions).
 * Sizes: BENCH_TRIAGE_PACKAGES (default 40000), BENCH_TRIAGE_TENANTS (default 4). `ratio` is value /
 * baseline (below 1 is faster); the `.speedup` line gives baseline / value (goal >= 10).
 */
const PACKAGES = Number(process.env.BENCH_TRIAGE_PACKAGES ?? 40_000);
const TENANTS = Number(process.env.BENCH_TRIAGE_TENANTS ?? 4);
const EVENTS_PER_DECISION = 5;
const RUNS = 9;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  const db = await createTestDatabase('triage_bench');
  const settings = (url: string) => ({ url, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  const admin = new PostgresDataSource(settings(db.adminUrl));
  const app = new PostgresDataSource(settings(db.appUrl));
  try {
    await runMigrations(db.adminUrl, migrationSetsFor([excititorModule]), { categories: ['startup'] });
    await grantAppRole(db.adminUrl, new URL(db.appUrl).username);
    const tenants = Array.from({ length: TENANTS }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
    const started = performance.now();
    // Superuser load: bypasses RLS (loading every tenant at once), as conversion would.
    await admin.query(
      `insert into vex.package (id, tenant_id, purl, name, ecosystem, version, created_at, updated_at)
       select md5(t::text || ':' || p)::uuid, t, 'pkg:npm/lib-' || p || '@1.' || (p % 10) || '.0', 'lib-' || p, 'npm', '1.0', now(), now()
       from unnest($1::uuid[]) t, generate_series(1, $2) p`,
      [tenants, PACKAGES],
    );
    await admin.query(
      `insert into vex.vex_decision (id, tenant_id, package_id, vuln_id, status, decided_at, created_at, updated_at)
       select md5(t::text || ':d:' || p || ':' || v)::uuid, t, md5(t::text || ':' || p)::uuid, 'CVE-2025-' || (10000 + (p * 7 + v) % 50000),
              (array['affected', 'under_investigation', 'fixed', 'not_affected'])[1 + (p + v) % 4], now() - (p % 300) * interval '1 hour', now(), now()
       from unnest($1::uuid[]) t, generate_series(1, $2) p, generate_series(0, 1) v`,
      [tenants, PACKAGES],
    );
    await admin.query(
      `insert into vex.timeline_event (id, tenant_id, package_id, vuln_id, event_type, detail, occurred_at, created_at, updated_at)
       select gen_random_uuid(), d.tenant_id, d.package_id, d.vuln_id, 'comment', '{}'::jsonb,
              now() - ((hashint4(e + (abs(hashtext(d.id::text)) % 1000)) & 2147483647) % (330 * 24)) * interval '1 hour', now(), now()
       from vex.vex_decision d, generate_series(1, $1) e
       where e <= 1 + abs(hashtext(d.id::text)) % $1`,
      [EVENTS_PER_DECISION],
    );
    await admin.query('analyze vex.package, vex.vex_decision, vex.timeline_event');
    const counts = (await admin.query(`select (select count(*) from vex.vex_decision)::int as decisions, (select count(*) from vex.timeline_event)::int as events`)).rows[0] as { decisions: number; events: number };
    process.stderr.write(`  triage bench: ${counts.decisions} decisions, ${counts.events} timeline events in ${TENANTS} tenants, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

    const queue = new PostgresTriageQueue(app);
    const refreshMs = await time(() => new PostgresTriageQueue(admin).refresh()); // first refresh (the view was empty)
    const again = await time(() => new PostgresTriageQueue(admin).refresh()); // concurrent refresh of a populated view
    const ctx = tenantContext(tenants[0]!);
    const live: number[] = [];
    const mv: number[] = [];
    const floor: number[] = [];
    await queue.list(ctx, { limit: 50, live: true });
    await queue.list(ctx, { limit: 50 });
    for (let i = 0; i < RUNS; i++) {
      live.push(await time(() => queue.list(ctx, { limit: 50, live: true })));
      mv.push(await time(() => queue.list(ctx, { limit: 50 })));
      floor.push(await time(() => app.withTenant(ctx, (tx) => tx.query('select 1'))));
    }
    const [a, b] = [await queue.list(ctx, { limit: 50, live: true }), await queue.list(ctx, { limit: 50 })];
    if (JSON.stringify(a.items) !== JSON.stringify(b.items)) throw new Error('the view and the live aggregate disagree');
    const liveMs = median(live);
    const mvMs = median(mv);
    emit({ name: 'triage.dashboard_page50.live_aggregate', n: counts.events, value: round(liveMs), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'triage.dashboard_page50.materialized_view', n: counts.events, value: round(mvMs), unit: 'ms', baseline: 'triage.dashboard_page50.live_aggregate', ratio: Math.round((mvMs / liveMs) * 10_000) / 10_000 });
    emit({ name: 'triage.dashboard_page50.speedup', n: counts.events, value: round(liveMs / mvMs), unit: 'x', baseline: 'triage.dashboard_page50.live_aggregate', ratio: null });
    // What any read costs here: a unit of work (begin, set tenant, select 1, commit) on this machine.
    emit({ name: 'triage.unit_of_work_floor', n: 1, value: round(median(floor)), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'triage.refresh.first', n: counts.events, value: round(refreshMs), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'triage.refresh.concurrently', n: counts.events, value: round(again), unit: 'ms', baseline: null, ratio: null });
  } finally {
    await app.close();
    await admin.close();
    await db.drop();
  }
}
