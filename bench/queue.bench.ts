import PgBoss from 'pg-boss';
import type { BenchLine } from './run.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { systemClock } from '../src/interfaces/clock.js';
import type { JobQueue } from '../src/interfaces/scheduler.js';
import { tenantContext } from '../src/interfaces/tenant-context.js';
import { schedulerModule } from '../src/modules/scheduler/index.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { PostgresJobQueue } from '../src/modules/scheduler/job-queue/postgres.js';
import { grantAppRole, runMigrations } from '../src/postgres/migrations/index.js';
import { APP_ROLE, createTestDatabase } from '../test/setup/environment.js';
import { round } from './bench-support.js';

/**
 * SKIP LOCKED claim throughput (SPEC 12; seeds 3.3), side by side with pg-boss 10 on the same
 * PostgreSQL, in the same run, for 1, 4 and 8 workers (each worker one loop on its own connection: a
 * pool of that size). Each measurement drains a freshly filled queue of BENCH_QUEUE_JOBS jobs
 * (default 2000, enqueued before the clock starts):
 * - `queue.claims.batchB.workersW`: claims per second, workers claiming B jobs at a time until none is
 *   left (claim only: the lease is the unit measured);
 * - `queue.cycle.batch1.workersW`: jobs per second of claim-one-then-complete-it.
 *
 * Ours: PostgresJobQueue as the application role, so each call is a tenant unit of work (begin,
 * set_config of the tenant, one statement, commit: four round trips) under forced row-level
 * security; the claim statement also releases expired leases. pg-boss: fetch / complete on one
 * PgBoss instance with the same pool size, as the owner (it needs DDL), one statement per call,
 * maintenance and scheduling off. `ratio` is ours / pg-boss (> 1: ours is faster).
 */
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 2000);
const WORKERS = [1, 4, 8];
const KIND = 'bench';

/** Runs `workers` loops of `step` until each gets 0; returns items per second over the whole drain. */
async function drain(workers: number, step: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const counts = await Promise.all(
    Array.from({ length: workers }, async () => {
      let done = 0;
      for (;;) {
        const n = await step();
        if (n === 0) return done;
        done += n;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== JOBS) throw new Error(`drained ${total} jobs, expected ${JOBS}`);
  return total / seconds;
}

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  process.env.PG_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  const db = await createTestDatabase('bench_queue');
  try {
    await runMigrations(db.adminUrl, migrationSetsFor([schedulerModule]));
    await grantAppRole(db.adminUrl, APP_ROLE);
    const ctx = tenantContext('00000000-0000-4000-8000-00000000b0b0');
    const admin = new PostgresDataSource({ url: db.adminUrl, pool: { min: 0, max: 1, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
    const boss = new PgBoss({ connectionString: db.adminUrl, max: 8, schema: 'pgboss', supervise: false, schedule: false, migrate: true });
    boss.on('error', () => {});
    await boss.start();
    let measurement = 0;

    /** Ours: the queue filled in one statement (the rows enqueue writes), then drained by `workers`. */
    const ours = async (workers: number, step: (queue: JobQueue) => Promise<number>) => {
      await admin.query(`delete from scheduler.job_queue`);
      await admin.query(
        `insert into scheduler.job_queue (id, tenant_id, kind, payload, state, run_after, attempts, max_attempts, created_at, updated_at)
         select gen_random_uuid(), $1, $2, jsonb_build_object('n', g), 'ready', now() - interval '1 second', 0, 5, now(), now()
         from generate_series(1, $3) g`,
        [ctx.tenantId, KIND, JOBS],
      );
      await admin.query(`vacuum analyze scheduler.job_queue`);
      const app = new PostgresDataSource({ url: db.appUrl, pool: { min: 0, max: workers, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
      try {
        const queue = new PostgresJobQueue(app, systemClock);
        return await drain(workers, () => step(queue));
      } finally {
        await app.close();
      }
    };
    /** pg-boss: a fresh queue per measurement, filled with its bulk insert, then drained. */
    const pgboss = async (workers: number, step: (queue: string) => Promise<number>) => {
      const queue = `${KIND}-${++measurement}`;
      await boss.createQueue(queue);
      for (let i = 0; i < JOBS; i += 1000) {
        await boss.insert(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ name: queue, data: { n: i + k } })));
      }
      return drain(workers, () => step(queue));
    };
    const pair = (name: string, unit: string, mine: number, theirs: number) => {
      emit({ name: `${name}.pgboss`, n: JOBS, value: round(theirs), unit, baseline: null, ratio: null });
      emit({ name, n: JOBS, value: round(mine), unit, baseline: `${name}.pgboss`, ratio: Math.round((mine / theirs) * 1000) / 1000 });
    };

    try {
      for (const batch of [1, 10]) {
        for (const workers of WORKERS) {
          const mine = await ours(workers, async (q) => (await q.claim(ctx, KIND, 'bench-worker', { limit: batch, leaseMs: 600_000 })).length);
          const theirs = await pgboss(workers, async (q) => (await boss.fetch(q, { batchSize: batch })).length);
          pair(`queue.claims.batch${batch}.workers${workers}`, 'claims/s', mine, theirs);
        }
      }
      for (const workers of WORKERS) {
        const mine = await ours(workers, async (q) => {
          const [job] = await q.claim(ctx, KIND, 'bench-worker', { leaseMs: 600_000 });
          if (!job) return 0;
          await q.complete(ctx, job);
          return 1;
        });
        const theirs = await pgboss(workers, async (q) => {
          const [job] = await boss.fetch(q);
          if (!job) return 0;
          await boss.complete(q, job.id);
          return 1;
        });
        pair(`queue.cycle.batch1.workers${workers}`, 'jobs/s', mine, theirs);
      }
    } finally {
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
      await admin.close();
    }
  } finally {
    await db.drop();
  }
}
