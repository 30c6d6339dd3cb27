import { expect } from 'chai';
import pg from 'pg';
import { CoreTokens } from '../../src/container/tokens.js';
import type { PendingLog } from '../../src/dualwrite/pending-log.js';
import type { Backend } from '../../src/interfaces/modules.js';
import { DEFAULT_JOB_QUEUE_OPTIONS, JOB_QUEUE_TOKEN, LeaseLostError, retryDelay, type JobQueue, type QueuedJob } from '../../src/interfaces/scheduler.js';
import { MongoJobQueue } from '../../src/modules/scheduler/job-queue/mongo.js';
import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';
import { ManualClock } from './manual-clock.js';

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const START = Date.UTC(2026, 10, 2, 8, 0, 0, 0);

for (const backend of ['Mongo', 'Postgres', 'DualWrite'] as Backend[]) {
  describe(`Scheduler job queue on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let clock: ManualClock;
    let queue: JobQueue;
    before(async () => {
      clock = new ManualClock(START);
      t = await startTestRuntime(backend, { modules: [schedulerModule], clock });
      queue = t.runtime.get<JobQueue>(JOB_QUEUE_TOKEN);
    });
    after(async () => t?.close());

    it('never doubles a job enqueued twice with the same idempotency key, even concurrently', async () => {
      const ctx = t.tenant();
      const first = await queue.enqueue(ctx, { kind: 'rescan', payload: { digest: 'sha256:a' }, idempotencyKey: 'rescan:a' });
      expect(first.created).to.equal(true);
      const again = await queue.enqueue(ctx, { kind: 'rescan', payload: { digest: 'sha256:other' }, idempotencyKey: 'rescan:a' });
      expect(again.created).to.equal(false);
      expect(again.job.id).to.equal(first.job.id);
      expect(again.job.payload).to.deep.equal({ digest: 'sha256:a' });
      const racing = await Promise.all(Array.from({ length: 8 }, () => queue.enqueue(ctx, { kind: 'rescan', payload: {}, idempotencyKey: 'rescan:b' })));
      expect(new Set(racing.map((r) => r.job.id)).size).to.equal(1);
      expect(racing.filter((r) => r.created)).to.have.length(1);
      // The same key under another kind, and jobs without a key, are distinct jobs.
      expect((await queue.enqueue(ctx, { kind: 'graph', payload: {}, idempotencyKey: 'rescan:a' })).created).to.equal(true);
      await queue.enqueue(ctx, { kind: 'rescan', payload: {} });
      await queue.enqueue(ctx, { kind: 'rescan', payload: {} });
      expect(await queue.counts(ctx, 'rescan')).to.deep.equal({ ready: 4, running: 0, done: 0, dead: 0 });
    });

    it('claims ready jobs oldest runAfter first, skips future ones, and completes each once', async () => {
      const ctx = t.tenant();
      const later = await queue.enqueue(ctx, { kind: 'k', payload: { n: 'later' }, runAfter: new Date(clock.ms + 60_000) });
      const a = await queue.enqueue(ctx, { kind: 'k', payload: { n: 'a' }, runAfter: new Date(clock.ms - 2000) });
      const b = await queue.enqueue(ctx, { kind: 'k', payload: { n: 'b' }, runAfter: new Date(clock.ms - 1000) });
      const claimed = await queue.claim(ctx, 'k', 'w1', { limit: 10, leaseMs: 30_000 });
      expect(claimed.map((j) => j.id)).to.deep.equal([a.job.id, b.job.id]);
      for (const j of claimed) {
        expect(j.state).to.equal('running');
        expect(j.attempts).to.equal(1);
        expect(j.lockedBy).to.equal('w1');
        expect(j.leaseUntil!.getTime()).to.equal(clock.ms + 30_000);
      }
      expect(await queue.claim(ctx, 'k', 'w2', { limit: 10 })).to.deep.equal([]);
      const done = await queue.complete(ctx, { id: a.job.id, leaseId: claimed[0]!.leaseId! });
      expect(done.state).to.equal('done');
      expect(done.finishedAt!.getTime()).to.equal(clock.ms);
      expect(await rejects(queue.complete(ctx, { id: a.job.id, leaseId: claimed[0]!.leaseId! }))).to.be.instanceOf(LeaseLostError);
      expect(await rejects(queue.complete(ctx, { id: b.job.id, leaseId: claimed[0]!.leaseId! }))).to.be.instanceOf(LeaseLostError);
      await queue.complete(ctx, claimed[1]!);
      clock.advance(60_000);
      const [next] = await queue.claim(ctx, 'k', 'w2');
      expect(next!.id).to.equal(later.job.id);
    });

    it('retries a failed job with exponential backoff and keeps it dead after maxAttempts, listable', async () => {
      const ctx = t.tenant();
      const { job } = await queue.enqueue(ctx, { kind: 'flaky', payload: { n: 1 }, maxAttempts: 3 });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [claimed] = await queue.claim(ctx, 'flaky', 'w');
        expect(claimed?.id, `attempt ${attempt}`).to.equal(job.id);
        expect(claimed!.attempts).to.equal(attempt);
        const failed = await queue.fail(ctx, claimed!, `boom ${attempt}`);
        if (attempt < 3) {
          const delay = retryDelay(DEFAULT_JOB_QUEUE_OPTIONS, attempt);
          expect(failed.state).to.equal('ready');
          expect(failed.lockedAt).to.equal(null);
          expect(failed.runAfter.getTime()).to.equal(clock.ms + delay);
          clock.advance(delay - 1);
          expect(await queue.claim(ctx, 'flaky', 'w'), 'not a millisecond early').to.deep.equal([]);
          clock.advance(1);
        } else {
          expect(failed.state).to.equal('dead');
          expect(failed.lastError).to.equal('boom 3');
          expect(failed.finishedAt!.getTime()).to.equal(clock.ms);
        }
      }
      expect(retryDelay(DEFAULT_JOB_QUEUE_OPTIONS, 1)).to.equal(1000);
      expect(retryDelay(DEFAULT_JOB_QUEUE_OPTIONS, 2)).to.equal(2000);
      clock.advance(3_600_000);
      expect(await queue.claim(ctx, 'flaky', 'w')).to.deep.equal([]);
      const dead = await queue.listDead(ctx);
      expect(dead.items.map((j) => j.id)).to.deep.equal([job.id]);
      expect(dead.items[0]!.attempts).to.equal(3);
    });

    it('kills at once with retry: false, and pages dead jobs newest first without loss', async () => {
      const ctx = t.tenant();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const { job } = await queue.enqueue(ctx, { kind: i % 2 ? 'odd' : 'even', payload: { i } });
        const [claimed] = await queue.claim(ctx, job.kind, 'w');
        await queue.fail(ctx, { id: claimed!.id, leaseId: claimed!.leaseId! }, 'poison', { retry: false });
        ids.push(job.id);
        clock.advance(i % 3 === 0 ? 0 : 5); // equal finishedAt values too: the id breaks ties
      }
      const seen: QueuedJob[] = [];
      let after: string | null = null;
      do {
        const page: { items: QueuedJob[]; next: string | null } = await queue.listDead(ctx, { limit: 3, after });
        seen.push(...page.items);
        after = page.next;
      } while (after);
      expect(seen.map((j) => j.id).sort()).to.deep.equal([...ids].sort());
      for (let i = 1; i < seen.length; i++) {
        const [p, c] = [seen[i - 1]!, seen[i]!];
        expect(p.finishedAt!.getTime() > c.finishedAt!.getTime() || (p.finishedAt!.getTime() === c.finishedAt!.getTime() && p.id < c.id)).to.equal(true);
      }
      expect((await queue.listDead(ctx, { kind: 'odd' })).items).to.have.length(3);
      expect(seen.every((j) => j.attempts === 1 && j.lastError === 'poison')).to.equal(true);
    });

    it("makes a crashed worker's job claimable again after its lease, and refuses the stale lease", async () => {
      const ctx = t.tenant();
      const { job } = await queue.enqueue(ctx, { kind: 'crash', payload: {}, maxAttempts: 2 });
      const [first] = await queue.claim(ctx, 'crash', 'doomed', { leaseMs: 10_000 });
      clock.advance(9_999);
      expect(await queue.claim(ctx, 'crash', 'rescuer')).to.deep.equal([]);
      clock.advance(1);
      const [second] = await queue.claim(ctx, 'crash', 'rescuer', { leaseMs: 10_000 });
      expect(second!.id).to.equal(job.id);
      expect(second!.attempts).to.equal(2);
      expect(second!.lockedBy).to.equal('rescuer');
      expect(second!.leaseId).to.not.equal(first!.leaseId);
      expect(await rejects(queue.complete(ctx, { id: job.id, leaseId: first!.leaseId! }))).to.be.instanceOf(LeaseLostError);
      // The second holder crashes too: its claims are used up, so the job is dead, not lost.
      clock.advance(10_000);
      expect(await queue.claim(ctx, 'crash', 'third')).to.deep.equal([]);
      const dead = (await queue.get(ctx, job.id))!;
      expect(dead.state).to.equal('dead');
      expect(dead.lastError).to.equal('lease expired: worker rescuer did not finish attempt 2');
      expect((await queue.listDead(ctx)).items.map((j) => j.id)).to.deep.equal([job.id]);
    });

    it('extends a held lease so the job stays invisible while its worker heartbeats', async () => {
      const ctx = t.tenant();
      await queue.enqueue(ctx, { kind: 'long', payload: {} });
      const [held] = await queue.claim(ctx, 'long', 'w', { leaseMs: 1000 });
      clock.advance(900);
      const extended = await queue.extendLease(ctx, held!, 5000);
      expect(extended.leaseUntil!.getTime()).to.equal(clock.ms + 5000);
      clock.advance(4000);
      expect(await queue.claim(ctx, 'long', 'other')).to.deep.equal([]);
      expect((await queue.complete(ctx, held!)).state).to.equal('done');
    });

    it("never shows, claims or finishes another tenant's jobs", async () => {
      const a = t.tenant();
      const b = t.tenant();
      const { job } = await queue.enqueue(a, { kind: 'iso', payload: { secret: true }, idempotencyKey: 'same' });
      expect((await queue.enqueue(b, { kind: 'iso', payload: {}, idempotencyKey: 'same' })).created, 'keys are per tenant').to.equal(true);
      expect(await queue.get(b, job.id)).to.equal(null);
      const bClaims = await queue.claim(b, 'iso', 'wb', { limit: 10 });
      expect(bClaims.map((j) => j.tenantId)).to.deep.equal([b.tenantId]);
      const [mine] = await queue.claim(a, 'iso', 'wa');
      expect(mine!.id).to.equal(job.id);
      expect(await rejects(queue.complete(b, mine!))).to.be.instanceOf(LeaseLostError);
      expect(await rejects(queue.fail(b, mine!, 'x'))).to.be.instanceOf(LeaseLostError);
      await queue.fail(a, mine!, 'dead', { retry: false });
      expect((await queue.listDead(b)).items).to.deep.equal([]);
      expect(await queue.counts(b, 'iso')).to.deep.equal({ ready: 0, running: 1, done: 0, dead: 0 });
    });

    it('refuses bad input with clear errors', async () => {
      const ctx = t.tenant();
      expect(((await rejects(queue.enqueue(ctx, { kind: '', payload: {} }))) as Error).message).to.match(/kind/);
      expect(((await rejects(queue.enqueue(ctx, { kind: 'k', payload: { x: 'nul\u0000' } }))) as Error).message).to.match(/payload/);
      expect(((await rejects(queue.enqueue(ctx, { kind: 'k', payload: {}, maxAttempts: 0 }))) as Error).message).to.match(/maxAttempts/);
      expect(((await rejects(queue.claim(ctx, 'k', 'w', { limit: 0 }))) as Error).message).to.match(/limit/);
      expect(((await rejects(queue.claim(ctx, 'k', 'w', { leaseMs: 0 }))) as Error).message).to.match(/lease/);
    });

    if (backend === 'Postgres') {
      it('claims through the partial readiness index', async () => {
        const ctx = t.tenant();
        await t.runtime.postgres!.withTenant(ctx, (tx) =>
          tx.query(
            `insert into scheduler.job_queue (id, tenant_id, kind, payload, state, run_after, attempts, max_attempts, locked_at, created_at, updated_at)
             select gen_random_uuid(), $1, 'k' || (g % 4), '{}', case when g % 3 = 0 then 'done' else 'ready' end, $2::timestamptz, 0, 5,
                    case when g % 3 = 0 then $2::timestamptz end, $2::timestamptz, $2::timestamptz
             from generate_series(1, 3000) g`,
            [ctx.tenantId, new Date(clock.ms - 1000)],
          ),
        );
        const admin = new pg.Client({ connectionString: t.db.adminUrl });
        await admin.connect();
        try {
          await admin.query('analyze scheduler.job_queue');
        } finally {
          await admin.end();
        }
        const plan = await t.runtime.postgres!.withTenant(ctx, async (tx) =>
          (await tx.query(
            `explain select id from scheduler.job_queue where tenant_id = $1 and kind = $2 and locked_at is null and run_after <= $3 order by run_after, id limit 1 for update skip locked`,
            [ctx.tenantId, 'k1', new Date()],
          )).rows.map((r) => r['QUERY PLAN'] as string).join('\n'),
        );
        expect(plan).to.contain('ix_job_ready');
        expect((await queue.claim(ctx, 'k1', 'w', { limit: 3 })).length).to.equal(3);
      });
    }

    if (backend === 'DualWrite') {
      it('replicates every durable job state to MongoDB, but not claims', async () => {
        const ctx = t.tenant();
        const mongoQueue = new MongoJobQueue(t.runtime.mongo!.db);
        const { job } = await queue.enqueue(ctx, { kind: 'mirror', payload: { p: 1 }, idempotencyKey: 'm1' });
        await t.runtime.flushDualWrite();
        expect((await mongoQueue.get(ctx, job.id))?.state).to.equal('ready');
        const [held] = await queue.claim(ctx, 'mirror', 'w');
        await t.runtime.flushDualWrite();
        expect((await mongoQueue.get(ctx, job.id))?.state, 'a claim is a lease, not replicated').to.equal('ready');
        await queue.complete(ctx, held!);
        await t.runtime.flushDualWrite();
        const mirrored = (await mongoQueue.get(ctx, job.id))!;
        expect(mirrored.state).to.equal('done');
        expect(mirrored.attempts).to.equal(1);
        expect(mirrored.updatedAt.getTime()).to.equal((await queue.get(ctx, job.id))!.updatedAt.getTime());
        expect(await t.runtime.get<PendingLog>(CoreTokens.PostgresPendingLog).count(), 'every secondary write applied').to.equal(0);
      });
    }
  });
}
