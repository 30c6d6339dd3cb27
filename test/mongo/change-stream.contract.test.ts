import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Long, ObjectId, type Document } from 'bson';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import { isHistoryLostError, type ChangeEventLike, type ChangeStreamLike, type MongoCollectionLike } from '../../src/mongo/mongo-types.js';
import { mongoTarget } from '../setup/environment.js';

/**
 * Change streams as the follower uses them: against MONGO_URL (a replica set) when given, else the
 * memory: store's emulation, with the same assertions: events in commit order with the document
 * after each write, resume tokens that survive a new client (another process), and a clear
 * "history lost" (code 286) when the resume point has left the log.
 */
async function drain(stream: ChangeStreamLike, expected: number): Promise<ChangeEventLike[]> {
  const out: ChangeEventLike[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < expected && Date.now() < deadline) {
    const e = await stream.tryNext();
    if (e) out.push(e);
  }
  return out;
}

describe('Change streams (the follower contract)', function () {
  this.timeout(60_000);
  let url: string;
  let memoryFolder: string | undefined;
  let source: MongoDataSource;
  let coll: MongoCollectionLike;
  const dbName = `cs_${randomBytes(4).toString('hex')}`;
  let supported = true;

  before(async function () {
    const target = await mongoTarget();
    memoryFolder = target.url.startsWith('memory:') ? mkdtempSync(join(tmpdir(), 'stellaops-cs-')) : undefined;
    url = memoryFolder ? `memory:${memoryFolder}` : target.url;
    source = await connectMongo(url, dbName);
    coll = source.db.collection('things');
    try {
      const probe = coll.watch([], { fullDocument: 'updateLookup' });
      await probe.tryNext();
      await probe.close();
    } catch (err) {
      // A standalone server has no oplog to stream (code 40573): say so instead of pretending.
      if (memoryFolder || (err as { code?: number }).code !== 40573) throw err;
      supported = false;
      process.stdout.write(`      change streams unavailable on this MongoDB (${(err as Error).message}); these tests need a replica set\n`);
    }
  });
  after(async () => {
    await source?.db.dropDatabase().catch(() => undefined);
    await source?.close();
    if (memoryFolder) rmSync(memoryFolder, { recursive: true, force: true });
  });
  beforeEach(function () {
    if (!supported) this.skip();
  });

  it('delivers inserts, updates, replaces and deletes in commit order, with the document after each write', async () => {
    const stream = coll.watch([], { fullDocument: 'updateLookup' });
    await stream.tryNext();
    const id = new ObjectId();
    await coll.insertOne({ _id: id, n: 1, big: Long.fromString('9007199254740993') });
    await coll.updateOne({ _id: id }, { $set: { n: 2 } });
    await coll.replaceOne({ _id: id }, { n: 3 });
    await coll.deleteOne({ _id: id });
    const events = await drain(stream, 4);
    expect(events.map((e) => e.operationType)).to.deep.equal(['insert', 'update', 'replace', 'delete']);
    expect(events.every((e) => (e.documentKey!._id as ObjectId).equals(id))).to.equal(true);
    expect(events[0]!.fullDocument!.big).to.satisfy((v: unknown) => (v instanceof Long ? v.toString() : String(v)) === '9007199254740993');
    expect(events.slice(0, 3).map((e) => (e.fullDocument as Document).n)).to.deep.equal([1, 2, 3]);
    expect(events[3]!.fullDocument ?? null).to.equal(null);
    expect(await stream.tryNext()).to.equal(null);
    await stream.close();
  });

  it('resumes from a stored token in another client with no gap and no duplicate', async () => {
    const stream = coll.watch([], { fullDocument: 'updateLookup' });
    await stream.tryNext();
    const ids = Array.from({ length: 6 }, () => new ObjectId());
    for (const _id of ids.slice(0, 3)) await coll.insertOne({ _id, tag: 'resume' });
    const first = await drain(stream, 2);
    const token = JSON.parse(JSON.stringify(stream.resumeToken)); // as stored in PostgreSQL jsonb
    await stream.close();
    for (const _id of ids.slice(3)) await coll.insertOne({ _id, tag: 'resume' });
    const other = await connectMongo(url, dbName);
    try {
      const resumed = other.db.collection('things').watch([], { fullDocument: 'updateLookup', resumeAfter: token });
      const rest = await drain(resumed, 4);
      const seen = [...first, ...rest].map((e) => (e.documentKey!._id as ObjectId).toHexString());
      expect(seen).to.deep.equal(ids.map((i) => i.toHexString()));
      expect(await resumed.tryNext()).to.equal(null);
      await resumed.close();
    } finally {
      await other.close();
    }
  });

  it('says the history is lost (code 286) when the resume point has left the log', async function () {
    if (!memoryFolder) {
      process.stdout.write('      (a real oplog cannot be rolled over by a test: memory: store only)\n');
      this.skip();
    }
    const previous = process.env.STELLAOPS_MEMORY_OPLOG_BYTES;
    process.env.STELLAOPS_MEMORY_OPLOG_BYTES = '4096';
    const small = await connectMongo(url, `${dbName}_small`);
    try {
      const c = small.db.collection('rolled');
      await c.insertOne({ n: 0 });
      const stream = c.watch([], { fullDocument: 'updateLookup' });
      await stream.tryNext();
      const token = stream.resumeToken;
      await stream.close();
      // Two generations' worth of writes: the token's generation is no longer kept.
      for (let i = 0; i < 40; i++) await c.insertOne({ n: i, pad: 'x'.repeat(200) });
      let error: unknown;
      try {
        const s = c.watch([], { resumeAfter: token as never });
        await s.tryNext();
      } catch (err) {
        error = err;
      }
      expect(isHistoryLostError(error), String(error)).to.equal(true);
      // A token still inside the kept history resumes fine.
      const fresh = c.watch([]);
      await fresh.tryNext();
      const kept = fresh.resumeToken;
      await c.insertOne({ n: 'after' });
      const again = c.watch([], { resumeAfter: kept as never });
      expect((await drain(again, 1))[0]!.fullDocument!.n).to.equal('after');
    } finally {
      if (previous === undefined) delete process.env.STELLAOPS_MEMORY_OPLOG_BYTES;
      else process.env.STELLAOPS_MEMORY_OPLOG_BYTES = previous;
      await small.db.dropDatabase().catch(() => undefined);
      await small.close();
    }
  });
});
