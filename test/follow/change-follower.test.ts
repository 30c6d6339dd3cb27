import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { ObjectId, type Document } from 'bson';
import { runConversion } from '../../src/conversion/index.js';
import { ChangeFollower } from '../../src/follow/change-follower.js';
import { user } from '../../src/modules/authority/entities.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';
import { CLI, expectExactlyConverted, runCli, seed, userDoc } from '../conversion/legacy-docs.js';

/**
 * Catch-up from change streams while writers bypass the adapter: a backfill running while the legacy
 * collection changes ends with PostgreSQL holding exactly the latest version of every document (no
 * gap, no duplicate, no resurrected delete), the follower survives kill -9, and a lost resume point
 * is reported instead of skipped.
 */

/** A legacy writer straight into MongoDB: inserts, updates (bumping updatedAt) and deletes. */
class LegacyWriter {
  private readonly live: (string | ObjectId)[] = [];
  private next = 100_000;
  private clock = Date.now();
  ops = { insert: 0, update: 0, delete: 0 };

  constructor(private readonly env: ConversionEnv, ids: readonly (string | ObjectId)[]) {
    this.live.push(...ids);
  }

  private now(): Date {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock);
  }

  async step(i: number): Promise<void> {
    const coll = this.env.mongo.db.collection(user.collection);
    const kind = i % 5;
    if (kind < 2 || this.live.length < 10) {
      const doc = userDoc(this.next++);
      doc._id = new ObjectId();
      doc.updatedAt = this.now();
      await coll.insertOne(doc);
      this.live.push(doc._id as ObjectId);
      this.ops.insert++;
    } else if (kind < 4) {
      const id = this.live[(i * 7919) % this.live.length]!;
      await coll.updateOne({ _id: id }, { $set: { displayName: `changed ${i}`, updatedAt: this.now() } });
      this.ops.update++;
    } else {
      const [id] = this.live.splice((i * 104729) % this.live.length, 1);
      await coll.deleteOne({ _id: id });
      this.ops.delete++;
    }
  }
}

function adminDs(env: ConversionEnv): PostgresDataSource {
  return new PostgresDataSource({
    url: env.db.adminUrl,
    pool: { min: 0, max: 4, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 60_000 },
    statementTimeoutMs: 0,
  });
}

describe('follow: change-stream catch-up during and after a backfill', function () {
  this.timeout(240_000);

  it('backfill + follower under direct legacy writes: PostgreSQL ends with exactly the latest documents', async () => {
    const env = await startConversionEnv('follow_live');
    const ds = adminDs(env);
    try {
      const initial = Array.from({ length: 600 }, (_, i) => userDoc(i));
      await seed(env, user.collection, initial);
      const follower = new ChangeFollower({ ds, mongo: env.mongo, module: authorityModule, entities: [user], log: testLog, batchSize: 50 });
      const started = await follower.init();
      expect(started.map((s) => [s.collection, s.state])).to.deep.equal([[user.collection, 'following']]);
      // init again keeps the recorded position.
      expect((await follower.init()).map((s) => JSON.stringify(s.resumeToken))).to.deep.equal(started.map((s) => JSON.stringify(s.resumeToken)));

      const writer = new LegacyWriter(env, initial.map((d) => d._id));
      let writing = true;
      const writes = (async () => {
        for (let i = 0; writing; i++) {
          await writer.step(i);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const stop = new AbortController();
      const following = follower.run({ intervalMs: 20, signal: stop.signal });
      const report = await runConversion({ config: env.config, module: 'Authority', collection: user.collection, batchSize: 25, throttleMs: 10, progress: 'none', log: testLog });
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      await new Promise((r) => setTimeout(r, 300));
      writing = false;
      await writes;
      stop.abort();
      await following;
      const final = await follower.run({ once: true });
      expect(final.lost).to.deep.equal([]);
      expect(final.waiting).to.deep.equal([]);
      expect(writer.ops.insert + writer.ops.update + writer.ops.delete).to.be.greaterThan(50);
      expect(writer.ops.delete).to.be.greaterThan(5);
      const state = final.collections[0]!;
      expect(state.lagMs).to.equal(0);
      expect(state.eventsApplied).to.equal(writer.ops.insert + writer.ops.update + writer.ops.delete);
      // Every live document once, as its latest version; every deleted one gone.
      const count = await expectExactlyConverted(env, user);
      expect(count).to.equal(await env.mongo.db.collection(user.collection).countDocuments({}));
    } finally {
      await ds.close();
      await env.close();
    }
  });

  it('a delete the backfill undoes is swept again; a newer row never loses to an older copy', async () => {
    const env = await startConversionEnv('follow_race');
    const ds = adminDs(env);
    try {
      const docs = [userDoc(1), userDoc(2)];
      await seed(env, user.collection, docs);
      const follower = new ChangeFollower({ ds, mongo: env.mongo, module: authorityModule, entities: [user], log: testLog });
      await follower.init();
      // The backfill job exists (it fixes the tier and owns the quarantine) but loaded nothing yet.
      await runConversion({ config: env.config, module: 'Authority', collection: user.collection, tier: 'C', progress: 'none', log: testLog }).catch(() => undefined);
      const coll = env.mongo.db.collection(user.collection);
      const older = await coll.findOne({ _id: docs[0]!._id });
      await coll.deleteOne({ _id: docs[0]!._id });
      await coll.updateOne({ _id: docs[1]!._id }, { $set: { displayName: 'newest', updatedAt: new Date(Date.UTC(2030, 0, 1)) } });
      const before = await follower.run({ once: true });
      expect(before.collections[0]!.eventsApplied).to.equal(2);
      // A late backfill batch loads the copies it read before the changes (as the batch loader
      // would: insert, or nothing where a row exists).
      const { decodeDocument } = await import('../../src/mongo/document-codec.js');
      const { toParams } = await import('../../src/postgres/row-codec.js');
      for (const legacy of [older!, docs[1]!] as Document[]) {
        const { entity, legacyId } = decodeDocument(user, legacy);
        const { columns, params } = toParams(user, entity);
        const cols = [...columns, 'legacy_id'].map((c) => `"${c}"`).join(', ');
        await env.admin.query(`insert into authority."user" (${cols}) values (${[...params, legacyId].map((_, i) => `$${i + 1}`).join(', ')}) on conflict do nothing`, [...params, legacyId]);
      }
      expect((await env.admin.query(`select count(*)::int as n from authority."user"`)).rows[0].n).to.equal(2);
      // A new document takes the username of the deleted one before the sweep: the resurrected row
      // still holds that unique key when the follower applies it (it sweeps, then applies).
      const successor: Document = { ...userDoc(4), tenantId: older!.tenantId, username: older!.username, displayName: 'successor' };
      await coll.insertOne(successor);
      const after = await follower.run({ once: true });
      expect(after.collections[0]!.eventsQuarantined).to.equal(0);
      const rows = (await env.admin.query(`select legacy_id, display_name from authority."user" order by display_name`)).rows;
      expect(rows).to.deep.equal([
        { legacy_id: `oid:${(docs[1]!._id as ObjectId).toHexString()}`, display_name: 'newest' },
        { legacy_id: `oid:${(successor._id as ObjectId).toHexString()}`, display_name: 'successor' },
      ]);
      // A live document already holding the key: the change is quarantined with PostgreSQL's reason, the follower goes on.
      const clash: Document = { ...userDoc(5), tenantId: older!.tenantId, username: older!.username };
      await coll.insertOne(clash);
      const clashed = await follower.run({ once: true });
      expect(clashed.collections[0]!.eventsQuarantined).to.equal(1);
      const clashRow = (await env.admin.query(`select reason from core.conversion_quarantine where legacy_id = $1`, [`oid:${(clash._id as ObjectId).toHexString()}`])).rows;
      expect(clashRow).to.have.length(1);
      expect(clashRow[0].reason).to.match(/username|already exists/);
      await coll.deleteOne({ _id: clash._id });
      // A change that cannot be converted exactly joins the quarantine with its reason and tenant,
      // and leaves it when the document is deleted at the source.
      const odd: Document = { ...userDoc(3), legacyNote: 'nul\u0000' };
      await coll.insertOne(odd);
      await follower.run({ once: true });
      const legacyId = `oid:${(odd._id as ObjectId).toHexString()}`;
      const q = (await env.admin.query(`select reason, tenant_id from core.conversion_quarantine where legacy_id = $1`, [legacyId])).rows;
      expect(q).to.have.length(1);
      expect(q[0].reason).to.match(/legacyNote: string contains U\+0000/);
      expect(q[0].tenant_id).to.equal(odd.tenantId);
      await coll.deleteOne({ _id: odd._id });
      const last = await follower.run({ once: true });
      expect(last.collections[0]!.eventsQuarantined).to.equal(2);
      expect((await env.admin.query(`select count(*)::int as n from core.conversion_quarantine where legacy_id = $1`, [legacyId])).rows[0].n).to.equal(0);
    } finally {
      await ds.close();
      await env.close();
    }
  });

  it('survives kill -9 of the follower process: resumes with no gap and no duplicate', async () => {
    const env = await startConversionEnv('follow_kill');
    try {
      const initial = Array.from({ length: 200 }, (_, i) => userDoc(i));
      await seed(env, user.collection, initial);
      const init = await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--init'], env.env);
      expect(init.code, init.stderr).to.equal(0);
      const conv = await runCli(['convert', '--module', 'Authority', '--collection', user.collection, '--no-progress'], env.env);
      expect(conv.code, conv.stderr).to.equal(0);
      const child = spawn(process.execPath, [CLI, 'follow', '--module', 'Authority', '--collection', user.collection, '--interval-ms', '10'], {
        env: { ...process.env, ...env.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      const writer = new LegacyWriter(env, initial.map((d) => d._id));
      let i = 0;
      const applied = async () => (await env.admin.query(`select events_applied::int as n from core.change_follow`)).rows[0]?.n ?? 0;
      // Write until the follower has committed a good part, then kill it mid-stream.
      while ((await applied()) < 60) await writer.step(i++);
      child.kill('SIGKILL');
      expect(await exited, stderr).to.equal('SIGKILL');
      for (let k = 0; k < 80; k++) await writer.step(i++);
      const total = writer.ops.insert + writer.ops.update + writer.ops.delete;
      expect(await applied()).to.be.lessThan(total);
      const resumed = await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--once', '--json'], env.env);
      expect(resumed.code, resumed.stderr).to.equal(0);
      const report = JSON.parse(resumed.stdout) as { collections: { eventsApplied: number; lagMs: number }[]; lost: string[] };
      // Each change applied exactly once across the two processes (the position commits with the change).
      expect(report.collections[0]!.eventsApplied).to.equal(total);
      expect(report.lost).to.deep.equal([]);
      await expectExactlyConverted(env, user);
    } finally {
      await env.close();
    }
  });

  it('reports a resume point that left the change history, and starts again only when told', async function () {
    // A small change history in this process and in the CLI processes alike (read when a collection is opened).
    const previous = process.env.STELLAOPS_MEMORY_OPLOG_BYTES;
    process.env.STELLAOPS_MEMORY_OPLOG_BYTES = '8192';
    const env = await startConversionEnv('follow_lost');
    const small = { ...env.env, STELLAOPS_MEMORY_OPLOG_BYTES: '8192' };
    if (!env.mongoUrl.startsWith('memory:')) {
      process.stdout.write('      (a real oplog cannot be rolled over by a test: memory: store only)\n');
      await env.close();
      this.skip();
    }
    try {
      await seed(env, user.collection, [userDoc(1)]);
      expect((await runCli(['follow', '--module', 'Authority', '--collection', user.collection], env.env)).stderr).to.match(/no starting point; run follow --init/);
      expect((await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--init'], small)).code).to.equal(0);
      expect((await runCli(['convert', '--module', 'Authority', '--collection', user.collection, '--no-progress'], small)).code).to.equal(0);
      const coll = env.mongo.db.collection(user.collection);
      for (let i = 0; i < 120; i++) await coll.updateOne({ _id: (userDoc(1) as Document)._id }, { $set: { displayName: `x${i} ${'p'.repeat(100)}`, updatedAt: new Date(Date.now() + i) } });
      const lost = await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--once'], small);
      expect(lost.code).to.equal(1);
      expect(lost.stdout).to.match(/LOST: resume point gone .*follow --init --restart/);
      const state = (await env.admin.query(`select state, lost_reason from core.change_follow`)).rows[0];
      expect(state.state).to.equal('lost');
      // Still lost until re-initialised; then following again from now.
      expect((await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--once'], small)).code).to.equal(1);
      expect((await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--init', '--restart'], small)).code).to.equal(0);
      const again = await runCli(['follow', '--module', 'Authority', '--collection', user.collection, '--once', '--json'], small);
      expect(again.code, again.stderr).to.equal(0);
    } finally {
      if (previous === undefined) delete process.env.STELLAOPS_MEMORY_OPLOG_BYTES;
      else process.env.STELLAOPS_MEMORY_OPLOG_BYTES = previous;
      await env.close();
    }
  });
});
