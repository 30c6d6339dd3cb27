import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { pgSettings } from '../../src/postgres/pool-settings.js';
import { systemClock } from '../../src/interfaces/clock.js';
import type { Backend } from '../../src/interfaces/modules.js';
import type { JobQueue, QueuedJob } from '../../src/interfaces/scheduler.js';
import type { TenantContext } from '../../src/interfaces/tenant-context.js';
import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { createJobQueue } from '../../src/modules/scheduler/job-queue/index.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const JOBS = 500;
const WORKERS = 4;

/**
 * One worker: claims batches, "works", completes; fails the first attempt of every 13th job (retried
 * with backoff). Stops when nothing is ready or running any more.
 */
async function worker(queue: JobQueue, ctx: TenantContext, name: string, completions: Map<string, number>, attemptsSeen: Map<string, number>): Promise<number> {
  let handled = 0;
  for (;;) {
    const batch = await queue.claim(ctx, 'scan', name, { limit: 5, leaseMs: 60_000 });
    if (batch.length === 0) {
      const c = await queue.counts(ctx, 'scan');
      if (c.ready === 0 && c.running === 0) return handled;
      await sleep(10);
      continue;
    }
    for (const job of batch) {
      attemptsSeen.set(job.id, (attemptsSeen.get(job.id) ?? 0) + 1);
      if ((job.payload.n as number) % 13 === 0 && job.attempts === 1) {
        await queue.fail(ctx, job, 'transient: registry 503');
        continue;
      }
      await queue.complete(ctx, job);
      completions.set(job.id, (completions.get(job.id) ?? 0) + 1);
      handled++;
    }
  }
}

for (const backend of ['Postgres', 'Mongo', 'DualWrite'] as Backend[]) {
  describe(`Scheduler job queue under ${WORKERS} concurrent workers on ${backend}`, function () {
    this.timeout(300_000);
    let t: TestRuntime;
    const pools: PostgresDataSource[] = [];
    before(async () => {
      t = await startTestRuntime(backend, { modules: [schedulerModule] });
    });
    after(async () => {
      for (const p of pools) await p.close();
      await t?.close();
    });

    /** One queue per worker, each on its own connection pool (as separate processes would be). */
    function queues(): JobQueue[] {
      return Array.from({ length: WORKERS }, () => {
        let postgres: PostgresDataSource | null = null;
        if (backend !== 'Mongo') {
          postgres = new PostgresDataSource({ ...pgSettings(t.config), pool: { ...pgSettings(t.config).pool, min: 0, max: 2 } });
          pools.push(postgres);
        }
        return createJobQueue(backend as 'Mongo' | 'Postgres' | 'DualWrite', { postgres, mongo: t.runtime.mongo?.db ?? null, clock: systemClock, config: t.config }, { baseDelayMs: 5, maxDelayMs: 50 });
      });
    }

    it(`does every one of ${JOBS} jobs exactly once, loses none, and recovers a crashed worker's claims`, async () => {
      const ctx = t.tenant();
      const [producer, ...rest] = queues();
      const ids = new Set<string>();
      const numberOf = new Map<string, number>();
      for (let n = 0; n < JOBS; n++) {
        // Every 50th job is enqueued twice under its idempotency key: still one job.
        const { job } = await producer!.enqueue(ctx, { kind: 'scan', payload: { n }, idempotencyKey: `scan-${n}` });
        if (n % 50 === 0) expect((await producer!.enqueue(ctx, { kind: 'scan', payload: { n }, idempotencyKey: `scan-${n}` })).job.id).to.equal(job.id);
        ids.add(job.id);
        numberOf.set(job.id, n);
      }
      expect(ids.size).to.equal(JOBS);

      // A worker claims 10 jobs with a short lease and dies without finishing them.
      const crashed: QueuedJob[] = await rest[0]!.claim(ctx, 'scan', 'crashing-worker', { limit: 10, leaseMs: 300 });
      expect(crashed).to.have.length(10);

      const completions = new Map<string, number>();
      const attemptsSeen = new Map<string, number>();
      const handled = await Promise.all([producer!, ...rest].map((q, i) => worker(q, ctx, `worker-${i}`, completions, attemptsSeen)));

      expect([...completions.keys()].sort()).to.deep.equal([...ids].sort());
      expect([...completions.values()].every((c) => c === 1), 'each job completed exactly once').to.equal(true);
      expect(handled.reduce((a, b) => a + b, 0)).to.equal(JOBS);
      expect(handled.filter((h) => h > 0).length, 'the work was shared').to.be.greaterThan(1);
      expect(await producer!.counts(ctx, 'scan')).to.deep.equal({ ready: 0, running: 0, done: JOBS, dead: 0 });
      // The crashed claims ran again (attempt 2) after their lease; failed ones ran twice.
      for (const job of crashed) {
        const final = (await producer!.get(ctx, job.id))!;
        expect(final.state).to.equal('done');
        expect(final.attempts).to.be.greaterThan(1);
      }
      // Every 13th job fails its first attempt and runs again, unless that first attempt was the
      // crashed claim (then its next claim is attempt 2 and succeeds): exactly those are retried.
      const crashedIds = new Set(crashed.map((j) => j.id));
      const expectedRetries = [...ids].filter((id) => numberOf.get(id)! % 13 === 0 && !crashedIds.has(id)).sort();
      const retried = [...ids].filter((id) => (attemptsSeen.get(id) ?? 0) > 1).sort();
      expect(retried).to.deep.equal(expectedRetries);
    });
  });
}
