import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectId } from 'bson';
import { loadConfig } from '../../src/config/load-config.js';
import { PersistenceRuntime } from '../../src/app/persistence-runtime.js';
import type { Entity } from '../../src/interfaces/entity-spec.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { user } from '../../src/modules/authority/entities.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { startConversionEnv, type ConversionEnv } from '../conversion/conversion-env.js';
import { expectExactlyConverted, runCli, seed, TENANTS, userDoc } from '../conversion/legacy-docs.js';

/**
 * The cutover as the migration team runs it: every phase in order through `cutover advance`, each
 * move refused (naming the failed checks) until its preconditions hold, with writes through the
 * adapter and straight into MongoDB between the steps; and rollback, allowed only while MongoDB
 * holds every write.
 */
interface Step {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('cutover: phases, preconditions and rollback', function () {
  this.timeout(300_000);
  let env: ConversionEnv;
  let folder: string;
  const files: Record<string, string> = {};

  before(async () => {
    env = await startConversionEnv('cutover');
    folder = mkdtempSync(join(tmpdir(), 'stellaops-cutover-'));
    const phaseConfig = {
      mongo: { Persistence: { Authority: 'Mongo' } },
      'dualwrite-mongo': { Persistence: { Authority: 'DualWrite' }, DualWriteOverrides: { Authority: { Primary: 'Mongo' } } },
      'dualwrite-postgres': { Persistence: { Authority: 'DualWrite' }, DualWriteOverrides: { Authority: { Primary: 'Postgres' } } },
      postgres: { Persistence: { Authority: 'Postgres' } },
    };
    for (const [name, body] of Object.entries(phaseConfig)) {
      files[name] = join(folder, `${name}.json`);
      writeFileSync(files[name]!, JSON.stringify(body));
    }
  });
  after(async () => {
    await env?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const cli = (args: string[], phase: string): Promise<Step> => runCli(args, { ...env.env, PERSISTENCE_CONFIG: files[phase]! });
  const advance = async (phase: string, extra: string[] = []) => JSON.parse((await cli(['cutover', 'advance', '--module', 'Authority', '--json', '--reports', join(folder, 'reports'), ...extra], phase)).stdout);
  const failed = (result: { checks: { name: string; ok: boolean }[] }) => result.checks.filter((c) => !c.ok).map((c) => c.name);

  /** Writes through the adapter with the module on `phase`'s configuration. */
  let batch = 0;
  async function adapterWrites(phase: string, n: number): Promise<void> {
    batch += 1;
    const runtime = await PersistenceRuntime.start(loadConfig({ file: files[phase]!, env: env.env }), { modules: [authorityModule] });
    try {
      const users = runtime.repository<Entity>('Authority', 'user');
      const ctx = tenantContext(TENANTS[0]!, { actorId: randomUUID() });
      for (let i = 0; i < n; i++) {
        const created = await users.insert(ctx, { username: `via-adapter-${phase}-${batch}-${i}`, status: 'active', mfaEnabled: false } as never);
        if (i % 2) await users.update(ctx, created.id, { status: 'locked' } as never);
        if (i % 3 === 0) await users.delete(ctx, created.id);
      }
    } finally {
      await runtime.close();
    }
  }

  /** Writes straight into MongoDB, as a legacy service would. */
  async function directWrites(tag: string, n: number): Promise<void> {
    const coll = env.mongo.db.collection(user.collection);
    for (let i = 0; i < n; i++) {
      const doc = userDoc(50_000 + i);
      doc._id = new ObjectId();
      doc.username = `direct-${tag}-${i}`;
      doc.updatedAt = new Date();
      await coll.insertOne(doc);
      if (i % 2) await coll.updateOne({ _id: doc._id }, { $set: { status: 'disabled', updatedAt: new Date(Date.now() + 1) } });
    }
  }

  it('walks every phase forward, refusing each move until its preconditions hold', async () => {
    await seed(env, user.collection, Array.from({ length: 300 }, (_, i) => userDoc(i)));
    const status = JSON.parse((await cli(['cutover', 'status', '--module', 'Authority', '--json'], 'mongo')).stdout);
    expect(status.modules[0]).to.include({ module: 'Authority', phase: 'mongo', next: 'dualwrite-mongo', nextReady: false });

    // mongo -> dualwrite-mongo needs the module's schema.
    let r = await advance('mongo');
    expect([r.moved, failed(r)]).to.deep.equal([false, ['migrations']]);
    expect((await cli(['migrate', '--module', 'Authority'], 'mongo')).code).to.equal(0);
    r = await advance('mongo');
    expect(r.moved, JSON.stringify(r)).to.equal(true);
    expect(r.set).to.equal('DualWrite (Primary Mongo)');

    // dualwrite-mongo -> backfill needs the new configuration and change-stream positions.
    r = await advance('mongo');
    expect(failed(r)).to.deep.equal(['configuration', 'follow initialised']);
    await adapterWrites('dualwrite-mongo', 12);
    expect((await cli(['follow', '--module', 'Authority', '--init'], 'dualwrite-mongo')).code).to.equal(0);
    r = await advance('dualwrite-mongo');
    expect(r.moved, JSON.stringify(r)).to.equal(true);

    // backfill -> verified needs the backfill done, the follower caught up and a clean, recent verify.
    await directWrites('during-backfill', 20);
    r = await advance('dualwrite-mongo');
    expect(failed(r)).to.include.members(['backfill finished', 'verify clean and recent']);
    expect((await cli(['convert', '--module', 'Authority', '--no-progress'], 'dualwrite-mongo')).code).to.equal(0);
    await adapterWrites('dualwrite-mongo', 9);
    await directWrites('after-backfill', 10);
    const reconcile = await cli(['reconcile'], 'dualwrite-mongo');
    expect(reconcile.code, reconcile.stderr + reconcile.stdout).to.equal(0);
    expect((await cli(['follow', '--module', 'Authority', '--once'], 'dualwrite-mongo')).code).to.equal(0);
    const verify = await cli(['verify', '--module', 'Authority', '--out', join(folder, 'reports'), '--format', 'json'], 'dualwrite-mongo');
    expect(verify.code, verify.stdout + verify.stderr).to.equal(0);
    expect((await cli(['follow', '--module', 'Authority', '--once'], 'dualwrite-mongo')).code).to.equal(0);
    r = await advance('dualwrite-mongo', ['--max-lag-ms', '60000']);
    expect(r.moved, JSON.stringify(r.checks.filter((c: { ok: boolean }) => !c.ok))).to.equal(true);
    expect(await expectExactlyConverted(env, user)).to.equal(await env.mongo.db.collection(user.collection).countDocuments({}));

    // verified -> dualwrite-postgres, then writes with PostgreSQL first.
    r = await advance('dualwrite-mongo', ['--max-lag-ms', '60000']);
    expect(r.moved, JSON.stringify(failed(r))).to.equal(true);
    await adapterWrites('dualwrite-postgres', 9);

    // dualwrite-postgres -> postgres needs the configuration of dualwrite-postgres and nothing old pending.
    r = await advance('dualwrite-mongo');
    expect(failed(r)).to.deep.equal(['configuration']);
    r = await advance('dualwrite-postgres');
    expect(r.moved, JSON.stringify(failed(r))).to.equal(true);
    expect(JSON.parse((await cli(['cutover', 'status', '--module', 'Authority', '--json'], 'postgres')).stdout).modules[0].phase).to.equal('postgres');

    // From postgres, MongoDB no longer has every write: rollback is refused, naming why.
    const back = await cli(['cutover', 'rollback', '--module', 'Authority', '--to', 'dualwrite-postgres', '--json'], 'postgres');
    expect(back.code).to.equal(1);
    expect(failed(JSON.parse(back.stdout))).to.deep.equal(['MongoDB has every write']);
    // Phases are taken one at a time.
    const skip = await cli(['cutover', 'advance', '--module', 'Authority', '--to', 'mongo'], 'postgres');
    expect(skip.code).to.equal(2);
  });

  it('rolls back from dualwrite-postgres only once nothing old is pending for MongoDB', async () => {
    // The module is put in phase dualwrite-postgres as a later operator would find it.
    await env.admin.query(`insert into core.cutover (module, phase, entered_at) values ('Notify', 'dualwrite-postgres', now())`);
    const seq = (await env.admin.query(
      `insert into core.dualwrite_pending (module, entity, tenant_id, entity_id, target, op, change, created_at)
       values ('Notify', 'channel', $1, $2, 'Mongo', 'upsert', '{}', now() - interval '1 hour') returning seq`,
      [TENANTS[0], randomUUID()],
    )).rows[0].seq;
    const rollback = () => cli(['cutover', 'rollback', '--module', 'Notify', '--to', 'mongo', '--json'], 'mongo');
    let r = await rollback();
    expect(r.code).to.equal(1);
    const refused = JSON.parse(r.stdout);
    expect(failed(refused)).to.deep.equal(['DualWrite pending log']);
    expect(refused.checks[0].detail).to.match(/1 record\(s\) pending.*run reconcile/);
    await env.admin.query(`delete from core.dualwrite_pending where seq = $1`, [seq]);
    r = await rollback();
    expect(r.code, r.stdout).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ moved: true, from: 'dualwrite-postgres', to: 'mongo', set: 'Mongo' });
    const history = (await env.admin.query(`select phase, history from core.cutover where module = 'Notify'`)).rows[0];
    expect(history.phase).to.equal('mongo');
    expect(history.history.map((m: { kind: string; to: string }) => `${m.kind}:${m.to}`)).to.deep.equal(['rollback:mongo']);
  });
});
