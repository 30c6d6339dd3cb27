import { expect } from 'chai';
import { ObjectId } from 'bson';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import type { DualWriteEvent } from '../../src/dualwrite/dual-write-repository.js';
import { DualWriteRepository } from '../../src/dualwrite/dual-write-repository.js';
import { AuthorityTokens, type User, type UserRepository } from '../../src/interfaces/authority.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { user as userSpec } from '../../src/modules/authority/entities.js';
import { MongoRepository } from '../../src/mongo/mongo-repository.js';
import { PENDING_COLLECTION } from '../../src/mongo/mongo-pending-log.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { runVerify } from '../../src/parity/index.js';
import { MONGO_DOWN, useRuntimeWithAdmin } from '../setup/runtime.js';

const PG_DOWN = 'postgres://stellaops_test_app@127.0.0.1:1/none';
const canon = (e: unknown) => canonicalJson(canonicalEntity(userSpec, e as Record<string, unknown>));
const newUser = (name: string) => ({ username: name, email: `${name}@example.org`, displayName: null, passwordHash: null, status: 'active' as const, mfaEnabled: false, lastLoginAt: null });

describe('DualWrite (Authority users)', function () {
  this.timeout(120_000);
  const suite = useRuntimeWithAdmin('DualWrite', { modules: [authorityModule] });

  const pending = async () => (await suite.admin.query('select count(*)::int as n from core.dualwrite_pending')).rows[0].n as number;
  const pgUser = (id: string) => suite.admin.query('select * from authority."user" where id = $1', [id]).then((r) => r.rows[0] ?? null);
  const mongoRepo = () => new MongoRepository<User>(userSpec, suite.t.runtime.mongo!.db);
  const pgRepo = () => new PostgresRepository<User>(userSpec, suite.t.runtime.postgres!);

  it('writes PostgreSQL first, then MongoDB; both hold the same entity and nothing stays pending', async () => {
    const ctx = suite.t.tenant();
    const users = suite.t.runtime.get<UserRepository>(AuthorityTokens.user);
    expect(users).to.be.instanceOf(DualWriteRepository);
    const u = await users.insert(ctx, newUser('both'));
    const updated = await users.update(ctx, u.id, { status: 'disabled' });
    expect(canon(await pgRepo().get(ctx, u.id))).to.equal(canon(updated));
    await suite.t.runtime.flushDualWrite();
    expect(canon(await mongoRepo().get(ctx, u.id))).to.equal(canon(updated));
    expect(await pending()).to.equal(0);
    await users.delete(ctx, u.id);
    await suite.t.runtime.flushDualWrite();
    expect(await mongoRepo().get(ctx, u.id)).to.equal(null);
    expect(await pending()).to.equal(0);
  });

  it('secondary unreachable: the caller succeeds, the pending records survive a restart, reconcile brings MongoDB to parity', async () => {
    const ctx = suite.t.tenant();
    const down = await suite.t.restart({ MONGO_URL: MONGO_DOWN });
    const events: DualWriteEvent[] = [];
    const users = down.get<UserRepository>(AuthorityTokens.user);
    const u = await users.insert(ctx, newUser('outage'));
    const updated = await users.update(ctx, u.id, { displayName: 'Written during the outage' });
    const gone = await users.insert(ctx, newUser('deleted-during-outage'));
    await users.delete(ctx, gone.id);
    expect(await pgUser(u.id)).to.not.equal(null);
    expect(await pending()).to.equal(4);
    await down.close();
    expect(events).to.deep.equal([]);

    const back = await suite.t.restart();
    expect(await pending(), 'survived the restart').to.equal(4);
    const report = await back.reconciler!.runOnce({ all: true });
    expect(report).to.include({ applied: 4, failed: 0, remaining: 0 });
    expect(await pending()).to.equal(0);
    const mongo = new MongoRepository<User>(userSpec, back.mongo!.db);
    expect(canon(await mongo.get(ctx, u.id))).to.equal(canon(updated));
    expect(await mongo.get(ctx, gone.id), 'the delete is not undone by the older insert').to.equal(null);
    // QA's view: both stores in parity (data and every list/lookup output), users and their audit log.
    const parity = await runVerify({ config: back.config, module: authorityModule, collections: ['user', 'audit_log'], outDir: null });
    expect(parity.exitCode, JSON.stringify(parity.report).slice(0, 2000)).to.equal(0);
    await back.close();
  });

  it('the background reconciler of a running service applies what an outage left pending, honouring backoff', async () => {
    const ctx = suite.t.tenant();
    const down = await suite.t.restart({ MONGO_URL: MONGO_DOWN });
    const u = await down.get<UserRepository>(AuthorityTokens.user).insert(ctx, newUser('loop'));
    await down.close();
    expect(await pending()).to.equal(1);
    const rt = await suite.t.restart({}, { reconcile: true });
    const cfg = { ...rt.config, DualWrite: { ...rt.config.DualWrite, ReconcileIntervalMs: 200 } };
    await rt.close();
    const { PersistenceRuntime } = await import('../../src/app/persistence-runtime.js');
    const service = await PersistenceRuntime.start(cfg, { modules: [authorityModule], reconcile: true });
    try {
      const deadline = Date.now() + 20_000;
      while ((await pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await pending(), 'applied by the loop, without any reconcile command').to.equal(0);
      expect(canon(await new MongoRepository<User>(userSpec, service.mongo!.db).get(ctx, u.id))).to.equal(canon(u));
    } finally {
      await service.close();
    }
  });

  it('primary unreachable: the caller gets the error and nothing is written anywhere', async () => {
    const ctx = suite.t.tenant();
    const down = await suite.t.restart({ POSTGRES_URL: PG_DOWN });
    const users = down.get<UserRepository>(AuthorityTokens.user);
    let error: unknown;
    try {
      await users.insert(ctx, newUser('never'));
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    expect(await pending()).to.equal(0);
    expect(await mongoRepo().findOne(ctx, { username: 'never' })).to.equal(null);
    expect((await suite.admin.query('select count(*)::int as n from authority."user" where username = $1', ['never'])).rows[0].n).to.equal(0);
    await down.close();
  });

  it('Primary = Mongo: PostgreSQL down does not fail the caller; the pending log lives in MongoDB and reconcile applies it', async () => {
    const ctx = suite.t.tenant();
    const down = await suite.t.restart({ POSTGRES_URL: PG_DOWN }, {});
    const cfg = { ...down.config, DualWrite: { ...down.config.DualWrite, Primary: 'Mongo' as const } };
    await down.close();
    const { PersistenceRuntime } = await import('../../src/app/persistence-runtime.js');
    const mongoFirst = await PersistenceRuntime.start(cfg, { modules: [authorityModule] });
    const u = await mongoFirst.get<UserRepository>(AuthorityTokens.user).insert(ctx, newUser('mongo-first'));
    expect(await mongoFirst.mongo!.db.collection(PENDING_COLLECTION).countDocuments({ entityId: u.id })).to.equal(1);
    await mongoFirst.close();

    const healthy = await PersistenceRuntime.start({ ...cfg, Postgres: { ...cfg.Postgres, Url: suite.t.db.appUrl } }, { modules: [authorityModule] });
    const report = await healthy.reconciler!.runOnce({ all: true });
    expect(report.applied).to.be.greaterThanOrEqual(1);
    expect(canon(await new PostgresRepository<User>(userSpec, healthy.postgres!).get(ctx, u.id))).to.equal(canon(u));
    expect(await healthy.mongo!.db.collection(PENDING_COLLECTION).countDocuments({ entityId: u.id })).to.equal(0);
    await healthy.close();
  });

  it('Primary = Mongo unreachable: the caller gets the error and PostgreSQL is untouched', async () => {
    const ctx = suite.t.tenant();
    const base = await suite.t.restart({ MONGO_URL: MONGO_DOWN });
    const cfg = { ...base.config, DualWrite: { ...base.config.DualWrite, Primary: 'Mongo' as const } };
    await base.close();
    const { PersistenceRuntime } = await import('../../src/app/persistence-runtime.js');
    const rt = await PersistenceRuntime.start(cfg, { modules: [authorityModule], migrate: false }).catch((err) => err as Error);
    if (rt instanceof Error) {
      // Refusing to start without the primary is also "nothing written".
      expect(rt.message).to.be.a('string');
    } else {
      let error: unknown;
      try {
        await rt.get<UserRepository>(AuthorityTokens.user).insert(ctx, newUser('mongo-down'));
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(Error);
      await rt.close();
    }
    expect((await suite.admin.query('select count(*)::int as n from authority."user" where username = $1', ['mongo-down'])).rows[0].n).to.equal(0);
    expect(await pending()).to.equal(0);
  });

  it('falls back to MongoDB on a miss and, with ConvertOnRead, converts the legacy document; later writes reach the same legacy document', async () => {
    const ctx = suite.t.tenant();
    const legacyId = new ObjectId();
    const when = new Date('2025-03-04T05:06:07.089Z');
    await suite.t.runtime.mongo!.db.collection('authority_users').insertOne({
      _id: legacyId, tenantId: ctx.tenantId, username: 'legacy-only', email: 'l@example.org', status: 'active', mfaEnabled: true, createdAt: when, updatedAt: when,
    });
    const rt = await suite.t.restart({}, {});
    const cfg = { ...rt.config, DualWrite: { ...rt.config.DualWrite, ConvertOnRead: true } };
    await rt.close();
    const { PersistenceRuntime } = await import('../../src/app/persistence-runtime.js');
    const convertOnRead = await PersistenceRuntime.start(cfg, { modules: [authorityModule] });
    const users = convertOnRead.get<UserRepository>(AuthorityTokens.user);
    const found = await users.findOne(ctx, { username: 'legacy-only' });
    expect(found?.createdAt.toISOString()).to.equal(when.toISOString());
    const row = await pgUser(found!.id);
    expect(row.legacy_id).to.equal(`oid:${legacyId.toHexString()}`);
    await users.update(ctx, found!.id, { status: 'locked' });
    await convertOnRead.flushDualWrite();
    const docs = await convertOnRead.mongo!.db.collection('authority_users').find({ tenantId: ctx.tenantId }).toArray();
    expect(docs).to.have.length(1);
    expect((docs[0]!._id as ObjectId).toHexString()).to.equal(legacyId.toHexString());
    expect(docs[0]!.status).to.equal('locked');
    await convertOnRead.close();
  });

  it('shadow reads publish a mismatch and still return the primary answer', async () => {
    const ctx = suite.t.tenant();
    const events: DualWriteEvent[] = [];
    const rt = await suite.t.restart({}, {});
    const cfg = { ...rt.config, DualWrite: { ...rt.config.DualWrite, ShadowReadSampleRate: 1 } };
    await rt.close();
    const { PersistenceRuntime } = await import('../../src/app/persistence-runtime.js');
    const shadow = await PersistenceRuntime.start(cfg, { modules: [authorityModule], publish: (e) => events.push(e) });
    const users = shadow.get<UserRepository>(AuthorityTokens.user);
    const u = await users.insert(ctx, newUser('shadowed'));
    // The secondary is written after commit: compare once it has caught up.
    await shadow.flushDualWrite();
    expect(canon(await users.get(ctx, u.id))).to.equal(canon(u));
    expect(events.filter((e) => e.kind === 'shadow-mismatch')).to.deep.equal([]);
    await shadow.mongo!.db.collection('authority_users').updateOne({ tenantId: ctx.tenantId, username: 'shadowed' }, { $set: { displayName: 'drifted' } });
    const answer = await users.get(ctx, u.id);
    expect(answer?.displayName).to.equal(null);
    const mismatches = events.filter((e) => e.kind === 'shadow-mismatch');
    expect(mismatches).to.have.length(1);
    await shadow.close();
    const m = await connectMongo(suite.t.mongoUrl, suite.t.mongoDatabase);
    await m.close();
  });
});
