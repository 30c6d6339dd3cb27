import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import type { PersistenceRuntime } from '../../src/app/persistence-runtime.js';
import type { PendingApplierStats } from '../../src/dualwrite/pending-applier.js';
import { AuthorityTokens, type User, type UserRepository } from '../../src/interfaces/authority.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { user as userSpec } from '../../src/modules/authority/entities.js';
import { PENDING_COLLECTION } from '../../src/mongo/mongo-pending-log.js';
import { MongoRepository } from '../../src/mongo/mongo-repository.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const canon = (e: unknown) => (e ? canonicalJson(canonicalEntity(userSpec, e as Record<string, unknown>)) : null);
const newUser = (name: string) => ({ username: name, email: `${name}@example.org`, displayName: null, passwordHash: null, status: 'active' as const, mfaEnabled: false, lastLoginAt: null });

/** Polls `cond` on the applier's counters until it holds (or fails after `ms`). */
async function until(rt: PersistenceRuntime, cond: (s: PendingApplierStats) => boolean, what: string, ms = 20_000): Promise<PendingApplierStats> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = rt.dualWriteStats()!;
    if (cond(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Both stores hold the same user (or both lack it). */
async function sameInBoth(rt: PersistenceRuntime, ctx: Parameters<UserRepository['get']>[0], id: string): Promise<string | null> {
  const inPg = await new PostgresRepository<User>(userSpec, rt.postgres!).get(ctx, id);
  const inMongo = await new MongoRepository<User>(userSpec, rt.mongo!.db).get(ctx, id);
  expect(canon(inMongo), `user ${id}: MongoDB equals PostgreSQL`).to.equal(canon(inPg));
  return canon(inPg);
}

describe('DualWrite applier: after commit, bounded, nothing lost', function () {
  this.timeout(180_000);

  describe('Primary = Postgres', () => {
    let t: TestRuntime;
    before(async () => (t = await startTestRuntime('DualWrite', { modules: [authorityModule] })));
    after(async () => t?.close());
    // As the application role, in the tenant's unit of work: row-level security shows that tenant's rows.
    const sql = async (tenantId: string, text: string) => t.runtime.postgres!.withTenant(tenantContext(tenantId), async (tx) => (await tx.query(text)).rows);
    const pending = async (tenantId: string) => (await sql(tenantId, 'select count(*)::int as n from core.dualwrite_pending'))[0]!.n as number;

    it('read-your-writes on the primary: each call sees the previous one at once, whatever the applier is doing', async () => {
      const ctx = t.tenant();
      const users = t.runtime.get<UserRepository>(AuthorityTokens.user);
      for (let i = 0; i < 20; i++) {
        const u = await users.insert(ctx, newUser(`ryw-${i}`));
        expect(canon(await users.get(ctx, u.id))).to.equal(canon(u));
        const changed = await users.update(ctx, u.id, { displayName: `v${i}` });
        expect((await users.findOne(ctx, { username: `ryw-${i}` }))?.displayName).to.equal(`v${i}`);
        expect(canon(await users.get(ctx, u.id))).to.equal(canon(changed));
        if (i % 2 === 0) {
          expect(await users.delete(ctx, u.id)).to.equal(true);
          expect(await users.get(ctx, u.id)).to.equal(null);
        }
      }
      expect((await users.list(ctx, { order: 'default', limit: 100 })).items).to.have.length(10);
      await t.runtime.flushDualWrite();
      expect(await pending(ctx.tenantId)).to.equal(0);
    });

    it('a burst of updates to one row reaches the secondary in order, newest last, without the reconciler', async () => {
      const ctx = t.tenant();
      const users = t.runtime.get<UserRepository>(AuthorityTokens.user);
      await t.runtime.flushDualWrite();
      const before = t.runtime.dualWriteStats()!;
      const u = await users.insert(ctx, newUser('burst'));
      let last = u;
      for (let i = 0; i < 30; i++) last = await users.update(ctx, u.id, { displayName: `step ${i}` });
      await t.runtime.flushDualWrite();
      const after = t.runtime.dualWriteStats()!;
      expect(await sameInBoth(t.runtime, ctx, u.id)).to.equal(canon(last));
      expect(await pending(ctx.tenantId), 'every record applied and resolved').to.equal(0);
      expect(after.applied - before.applied).to.equal(31);
      expect(after.deferred - before.deferred, 'none left to the reconciler').to.equal(0);
      await users.delete(ctx, u.id);
      await t.runtime.flushDualWrite();
      expect(await sameInBoth(t.runtime, ctx, u.id)).to.equal(null);
    });

    it('a process killed with records queued in memory loses nothing: the pending rows remain and reconcile applies them', async () => {
      const ctx = t.tenant();
      const count = 60;
      const here = dirname(fileURLToPath(import.meta.url));
      const env = {
        ...process.env,
        POSTGRES_URL: t.db.appUrl,
        POSTGRES_ADMIN_URL: t.db.adminUrl,
        MONGO_URL: t.mongoUrl,
        MONGO_DATABASE: t.mongoDatabase,
        PERSISTENCE_AUTHORITY: 'DualWrite',
      };
      const run = promisify(execFile)(process.execPath, [join(here, 'crashing-writer.js'), ctx.tenantId, String(count)], { env, maxBuffer: 1 << 24 });
      const died = await run.then(
        () => null,
        (err: { signal?: string; stdout?: string; stderr?: string }) => err,
      );
      expect(died?.signal, `the writer was killed (stderr: ${died?.stderr ?? ''})`).to.equal('SIGKILL');
      const { outcomes, stats } = JSON.parse(died!.stdout!.trim()) as { outcomes: { id: string; deleted: boolean }[]; stats: PendingApplierStats };
      expect(outcomes).to.have.length(count);
      expect(stats.queued + stats.inFlight, 'records were still in the applier at the moment of death').to.be.greaterThan(0);

      // The primary has every committed write; what the secondary did not get is in the pending log.
      const inPg = (await sql(ctx.tenantId, 'select id from authority."user"')).map((r) => r.id as string).sort();
      expect(inPg).to.deep.equal(outcomes.filter((o) => !o.deleted).map((o) => o.id).sort());
      const left = await pending(ctx.tenantId);
      expect(left, 'pending rows survived the crash').to.be.greaterThan(0);

      const report = await t.runtime.reconciler!.runOnce({ all: true });
      expect(report.failed).to.equal(0);
      expect(await pending(ctx.tenantId), 'reconcile applied every one').to.equal(0);
      for (const o of outcomes) {
        const state = await sameInBoth(t.runtime, ctx, o.id);
        if (o.deleted) expect(state, 'a delete is not undone by an older upsert').to.equal(null);
        else expect(JSON.parse(state!).displayName).to.equal(`updated ${outcomes.indexOf(o)}`);
      }
    });
  });

  describe('Primary = Mongo, PostgreSQL (the secondary) held by a table lock', () => {
    const BOUND = 3;
    let t: TestRuntime;
    let locker: pg.Client | null = null;
    after(async () => {
      await locker?.end().catch(() => undefined);
      await t?.close();
    });

    async function lockSecondary(): Promise<void> {
      locker = new pg.Client({ connectionString: t.db.adminUrl });
      await locker.connect();
      // Writes to authority.user wait for this lock (reads do not): every apply hangs until released.
      await locker.query('begin');
      await locker.query('lock table authority."user" in exclusive mode');
    }
    const unlockSecondary = async () => {
      await locker!.query('commit');
      await locker!.end();
      locker = null;
    };
    const mongoPending = (tenantId: string) => t.runtime.mongo!.db.collection(PENDING_COLLECTION).countDocuments({ tenantId });

    it('the queue never exceeds its bound: writers wait for room, then every record is applied, updates and deletes included', async () => {
      t = await startTestRuntime('DualWrite', { modules: [authorityModule], dualWrite: { Primary: 'Mongo', ApplyQueueSize: BOUND, ApplyConcurrency: 1, ApplyMaxWaitMs: 60_000 } });
      const ctx = t.tenant();
      const users = t.runtime.get<UserRepository>(AuthorityTokens.user);
      // Seed a few users, replicated, to update and delete under back-pressure.
      const seeded: User[] = [];
      for (let i = 0; i < 4; i++) seeded.push(await users.insert(ctx, newUser(`seed-${i}`)));
      await t.runtime.flushDualWrite();
      await lockSecondary();
      const writers = 12;
      const settled: boolean[] = [];
      const calls = Array.from({ length: writers }, async (_, i) => {
        const result =
          i < 2 ? await users.update(ctx, seeded[i]!.id, { displayName: `under pressure ${i}` })
          : i < 4 ? await users.delete(ctx, seeded[i]!.id)
          : await users.insert(ctx, newUser(`pressure-${i}`));
        settled[i] = true;
        return result;
      });
      // One record hangs in flight, BOUND wait in the queue, the other writers wait for room.
      const blocked = await until(t.runtime, (s) => s.inFlight === 1 && s.queued === BOUND && s.waiting === writers - 1 - BOUND, 'the queue to fill');
      expect(blocked.highWater).to.equal(BOUND);
      expect(settled.filter(Boolean).length, 'writers whose record found room returned').to.equal(1 + BOUND);
      // Read-your-writes on the primary while the secondary is stuck.
      expect((await users.findOne(ctx, { username: 'seed-2' })), 'deleted on the primary').to.equal(null);
      await unlockSecondary();
      const results = await Promise.all(calls);
      await t.runtime.flushDualWrite();
      const stats = t.runtime.dualWriteStats()!;
      expect(stats.highWater, 'never above the bound').to.equal(BOUND);
      expect(stats.leftToReconciler).to.equal(0);
      expect(stats.failed).to.equal(0);
      expect(await mongoPending(ctx.tenantId), 'every record applied').to.equal(0);
      for (const s of seeded) await sameInBoth(t.runtime, ctx, s.id);
      expect(await new PostgresRepository<User>(userSpec, t.runtime.postgres!).get(ctx, seeded[2]!.id), 'deleted on the secondary').to.equal(null);
      expect((await new PostgresRepository<User>(userSpec, t.runtime.postgres!).get(ctx, seeded[0]!.id))?.displayName).to.equal('under pressure 0');
      for (const r of results.slice(4)) await sameInBoth(t.runtime, ctx, (r as User).id);
    });

    it('a writer waits at most ApplyMaxWaitMs: past it the record is left to the reconciler, which applies it', async () => {
      await t.close();
      t = await startTestRuntime('DualWrite', { modules: [authorityModule], dualWrite: { Primary: 'Mongo', ApplyQueueSize: BOUND, ApplyConcurrency: 1, ApplyMaxWaitMs: 200 } });
      const ctx = t.tenant();
      const users = t.runtime.get<UserRepository>(AuthorityTokens.user);
      await lockSecondary();
      const started = Date.now();
      const created = await Promise.all(Array.from({ length: 10 }, (_, i) => users.insert(ctx, newUser(`overflow-${i}`))));
      expect(Date.now() - started, 'callers were not held by the stuck secondary').to.be.lessThan(10_000);
      const stats = t.runtime.dualWriteStats()!;
      expect(stats.highWater).to.equal(BOUND);
      expect(stats.leftToReconciler).to.equal(10 - 1 - BOUND);
      expect(await mongoPending(ctx.tenantId), 'every record is durable').to.equal(10);
      await unlockSecondary();
      await t.runtime.flushDualWrite();
      expect(await mongoPending(ctx.tenantId), 'the applier did its share').to.equal(10 - 1 - BOUND);
      const report = await t.runtime.reconciler!.runOnce({ all: true });
      expect(report).to.include({ applied: 10 - 1 - BOUND, failed: 0 });
      expect(await mongoPending(ctx.tenantId)).to.equal(0);
      for (const u of created) expect(await sameInBoth(t.runtime, ctx, u.id)).to.equal(canon(u));
    });
  });
});
