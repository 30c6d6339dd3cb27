/**
 * Contract suite of the `memory:` store (SPEC 5): the same assertions run against the ephemeral
 * `memory:` store, a `memory:<tmpdir>` persisted store and, when MONGO_URL is set, a real MongoDB
 * through the official driver, so the memory store is held to what a server really does.
 * Persistence (two clients, two processes, torn journals) is covered for the folder store only.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Binary, Decimal128, deserialize, Double, Int32, Long, ObjectId, UUID, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { cursorBatches } from '../../src/mongo/cursor-batches.js';
import { isMemoryUrl, MemoryMongoClient, memoryUrlFolder } from '../../src/mongo/memory/memory-store.js';
import {
  DUPLICATE_KEY_CODE,
  isDuplicateKeyError,
  type MongoCollectionLike,
  type MongoDbLike,
} from '../../src/mongo/mongo-types.js';

const MiB = 1024 * 1024;

interface Connection {
  readonly db: MongoDbLike;
  close(): Promise<void>;
}

interface Backend {
  readonly name: string;
  readonly memory: boolean;
  open(dbName: string): Promise<Connection>;
}

function freshName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

function tempFolder(): string {
  return fs.mkdtempSync(path.join(tmpdir(), 'memstore-'));
}

/** A real driver `Db` seen through our narrow interface (listCollectionNames is ours, mapped). */
function realDb(client: MongoClient, name: string): MongoDbLike {
  const db = client.db(name);
  return {
    databaseName: name,
    collection: (n: string) => db.collection(n) as unknown as MongoCollectionLike,
    listCollectionNames: async () => (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort(),
    dropDatabase: () => db.dropDatabase(),
  };
}

const folders: string[] = [];

const backends: Backend[] = [
  {
    name: 'memory: (ephemeral)',
    memory: true,
    async open(dbName) {
      const client = await MemoryMongoClient.connect('memory:');
      return { db: client.db(dbName), close: () => client.close() };
    },
  },
  {
    name: 'memory:<tmpdir> (persisted)',
    memory: true,
    async open(dbName) {
      const folder = tempFolder();
      folders.push(folder);
      const client = await MemoryMongoClient.connect(`memory:${folder}`);
      return { db: client.db(dbName), close: () => client.close() };
    },
  },
];

if (process.env.MONGO_URL && !isMemoryUrl(process.env.MONGO_URL)) {
  const url = process.env.MONGO_URL;
  backends.push({
    name: 'real MongoDB (MONGO_URL)',
    memory: false,
    async open(dbName) {
      const client = await MongoClient.connect(url);
      return { db: realDb(client, dbName), close: () => client.close() };
    },
  });
}

after(() => {
  for (const f of folders.splice(0)) fs.rmSync(f, { recursive: true, force: true });
});

/** The rejection of a promise that must reject. */
async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the operation to fail, it succeeded');
}

async function ids(cursorDocs: Promise<Document[]>): Promise<unknown[]> {
  return (await cursorDocs).map((d) => d._id);
}

for (const backend of backends) {
  describe(`memory store contract: ${backend.name}`, function () {
    this.timeout(120_000);
    let conn: Connection;
    let db: MongoDbLike;
    let counter = 0;
    const coll = (): MongoCollectionLike => db.collection(`c${++counter}`);

    before(async () => {
      conn = await backend.open(freshName('contract'));
      db = conn.db;
    });

    after(async () => {
      await db.dropDatabase();
      await conn.close();
    });

    describe('BSON round trip', () => {
      it('keeps an int64 above 2^53 exact as a Long and promotes the rest like the driver', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, big: Long.fromString('9007199254740993'), small: Long.fromNumber(42), i: new Int32(7), d: new Double(2), f: 1.25 });
        const doc = await c.findOne({ _id: 1 });
        expect(doc!.big).to.be.instanceOf(Long);
        expect(doc!.big.toString()).to.equal('9007199254740993');
        expect(doc!.small).to.equal(42);
        expect(doc!.i).to.equal(7);
        expect(doc!.d).to.equal(2);
        expect(doc!.f).to.equal(1.25);
        expect(await c.countDocuments({ small: { $type: 'long' } })).to.equal(1);
        expect(await c.countDocuments({ d: { $type: 'double' } })).to.equal(1);
        expect(await c.countDocuments({ i: { $type: 'int' } })).to.equal(1);
      });

      it('keeps Decimal128 digits, UUID and binary subtypes, and millisecond dates', async () => {
        const c = coll();
        const uuid = new UUID('0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5f');
        const date = new Date('2024-02-29T23:59:59.987Z');
        await c.insertOne({ _id: 'x', price: Decimal128.fromString('1.10'), tiny: Decimal128.fromString('-0.000001000'), uuid, raw: new Binary(Buffer.from([0, 1, 2, 255]), 0), at: date });
        const doc = (await c.findOne({ _id: 'x' }))!;
        expect(doc.price).to.be.instanceOf(Decimal128);
        expect(doc.price.toString()).to.equal('1.10');
        expect(doc.tiny.toString()).to.equal('-0.000001000');
        expect(doc.uuid).to.be.instanceOf(Binary);
        expect((doc.uuid as Binary).sub_type).to.equal(4);
        expect((doc.uuid as Binary).toUUID().toHexString()).to.equal(uuid.toHexString());
        expect((doc.raw as Binary).sub_type).to.equal(0);
        expect([...(doc.raw as Binary).buffer]).to.deep.equal([0, 1, 2, 255]);
        expect(doc.at).to.be.instanceOf(Date);
        expect((doc.at as Date).getTime()).to.equal(date.getTime());
      });

      it('preserves key order, nested documents and arrays, and puts _id first', async () => {
        const c = coll();
        const input = { zeta: 1, alpha: { y: [3, { b: 1, a: 2 }, [4, 5]], x: null }, mid: 'm', _id: 'k' };
        await c.insertOne(input);
        const doc = (await c.findOne({ _id: 'k' }))!;
        expect(Object.keys(doc)).to.deep.equal(['_id', 'zeta', 'alpha', 'mid']);
        expect(Object.keys(doc.alpha)).to.deep.equal(['y', 'x']);
        expect(Object.keys(doc.alpha.y[1])).to.deep.equal(['b', 'a']);
        expect(doc.alpha).to.deep.equal({ y: [3, { b: 1, a: 2 }, [4, 5]], x: null });
      });

      it('stores $-prefixed and dotted field names as given (the driver does not check keys)', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, $price: 50, 'price.usd': 45.99, meta: { $db: 'x', 'a.b': { $inc: true } } });
        const doc = (await c.findOne({ _id: 1 }))!;
        expect(doc.$price).to.equal(50);
        expect(doc['price.usd']).to.equal(45.99);
        expect(doc.meta).to.deep.equal({ $db: 'x', 'a.b': { $inc: true } });
      });

      it('stores undefined as null and gives the caller document an ObjectId _id like the driver', async () => {
        const c = coll();
        const input: Document = { v: undefined, n: 1 };
        const res = await c.insertOne(input);
        expect(input._id).to.be.instanceOf(ObjectId);
        expect(res.insertedId).to.equal(input._id);
        const doc = (await c.findOne({ _id: input._id }))!;
        expect(Object.keys(doc)).to.deep.equal(['_id', 'v', 'n']);
        expect(doc.v).to.equal(null);
      });

      it('returns independent copies: mutating a result does not change the store', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, tags: ['a'] });
        const first = (await c.findOne({ _id: 1 }))!;
        first.tags.push('b');
        expect((await c.findOne({ _id: 1 }))!.tags).to.deep.equal(['a']);
      });
    });

    describe('queries with BSON-typed values', () => {
      it('matches UUID, ObjectId, Long and Decimal128 by value, also in $in and $nin', async () => {
        const c = coll();
        const u1 = new UUID();
        const u2 = new UUID();
        const o1 = new ObjectId();
        await c.insertMany([
          { _id: u1, ref: o1, n: Long.fromString('9223372036854775807'), d: Decimal128.fromString('10.5') },
          { _id: u2, ref: new ObjectId(), n: Long.fromNumber(3), d: Decimal128.fromString('2') },
        ]);
        expect((await c.findOne({ _id: new UUID(u1.toHexString()) }))!.ref.toHexString()).to.equal(o1.toHexString());
        expect(await c.countDocuments({ _id: { $in: [new UUID(u2.toHexString()), new UUID()] } })).to.equal(1);
        expect(await c.countDocuments({ ref: new ObjectId(o1.toHexString()) })).to.equal(1);
        expect(await c.countDocuments({ ref: o1.toHexString() })).to.equal(0);
        expect(await c.countDocuments({ n: Long.fromString('9223372036854775807') })).to.equal(1);
        expect(await c.countDocuments({ d: Decimal128.fromString('10.50') })).to.equal(1);
        expect(await c.countDocuments({ _id: { $nin: [new UUID(u1.toHexString())] } })).to.equal(1);
      });

      it('compares numbers by value across int32, int64, double and decimal', async () => {
        const c = coll();
        await c.insertMany([
          { _id: 1, n: 5 },
          { _id: 2, n: Long.fromNumber(5) },
          { _id: 3, n: 5.5 },
          { _id: 4, n: Decimal128.fromString('5.0') },
          { _id: 5, n: Long.fromString('9007199254740993') },
          { _id: 6, n: '5' },
          { _id: 7, n: Decimal128.fromString('9007199254740992.5') },
        ]);
        expect(await ids(c.find({ n: 5 }, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2, 4]);
        expect(await ids(c.find({ n: { $gt: 5 } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([3, 5, 7]);
        expect(await ids(c.find({ n: { $gt: Long.fromString('9007199254740992') } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([5, 7]);
        // Beyond double precision: only an exact comparison separates these.
        expect(await ids(c.find({ n: { $gt: Long.fromString('9007199254740992'), $lt: Long.fromString('9007199254740993') } }).toArray())).to.deep.equal([7]);
        expect(await ids(c.find({}, { sort: { n: -1 }, limit: 3 }).toArray())).to.deep.equal([6, 5, 7]);
        expect(await ids(c.find({ n: { $lte: Decimal128.fromString('5.25') } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2, 4]);
        // Type bracketing: a number bound never matches a string.
        expect(await ids(c.find({ n: { $gte: 0 }, _id: 6 }).toArray())).to.deep.equal([]);
      });

      it('compares dates with $gt/$lt and finds null or missing with { field: null }', async () => {
        const c = coll();
        await c.insertMany([
          { _id: 1, at: new Date('2024-01-01T00:00:00.000Z') },
          { _id: 2, at: new Date('2024-01-01T00:00:00.001Z') },
          { _id: 3, at: null },
          { _id: 4 },
        ]);
        expect(await ids(c.find({ at: { $gt: new Date('2024-01-01T00:00:00.000Z') } }).toArray())).to.deep.equal([2]);
        expect(await ids(c.find({ at: { $lt: new Date('2030-01-01') } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2]);
        expect(await ids(c.find({ at: null }, { sort: { _id: 1 } }).toArray())).to.deep.equal([3, 4]);
        expect(await ids(c.find({ at: { $exists: false } }).toArray())).to.deep.equal([4]);
        expect(await ids(c.find({ at: { $ne: null } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2]);
      });

      it('supports arrays, dotted paths, $elemMatch, $all, $size, $regex, $or/$and/$nor and $not', async () => {
        const c = coll();
        await c.insertMany([
          { _id: 1, tags: ['a', 'b'], items: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 5 }], name: 'Alpha' },
          { _id: 2, tags: ['b'], items: [{ sku: 'x', qty: 7 }], name: 'beta' },
          { _id: 3, tags: [], items: [], name: 'Gamma' },
        ]);
        const q = async (filter: Document) => ids(c.find(filter, { sort: { _id: 1 } }).toArray());
        expect(await q({ tags: 'b' })).to.deep.equal([1, 2]);
        expect(await q({ 'items.sku': 'y' })).to.deep.equal([1]);
        expect(await q({ items: { $elemMatch: { sku: 'x', qty: { $gt: 5 } } } })).to.deep.equal([2]);
        expect(await q({ 'items.qty': { $gt: 4 } })).to.deep.equal([1, 2]);
        expect(await q({ tags: { $all: ['a', 'b'] } })).to.deep.equal([1]);
        expect(await q({ tags: { $size: 0 } })).to.deep.equal([3]);
        expect(await q({ name: { $regex: '^a', $options: 'i' } })).to.deep.equal([1]);
        expect(await q({ name: /^[A-Z]/ })).to.deep.equal([1, 3]);
        expect(await q({ $or: [{ _id: 1 }, { name: 'Gamma' }] })).to.deep.equal([1, 3]);
        expect(await q({ $and: [{ tags: 'b' }, { _id: { $gt: 1 } }] })).to.deep.equal([2]);
        expect(await q({ $nor: [{ tags: 'a' }, { _id: 3 }] })).to.deep.equal([2]);
        expect(await q({ name: { $not: /^[A-Z]/ } })).to.deep.equal([2]);
        expect(await q({ tags: { $in: [/^a/] } })).to.deep.equal([1]);
      });

      it('matches embedded documents exactly, field order included', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, key: { a: 1, b: 2 } });
        expect(await c.countDocuments({ key: { a: 1, b: 2 } })).to.equal(1);
        expect(await c.countDocuments({ key: { b: 2, a: 1 } })).to.equal(0);
        expect(await c.countDocuments({ 'key.b': 2 })).to.equal(1);
      });

      it('projects fields (inclusion, exclusion, _id) in document order', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] });
        expect(await c.findOne({ _id: 1 }, { projection: { b: 1, a: 1 } })).to.deep.equal({ _id: 1, a: 1, b: { c: 2, d: 3 } });
        expect(await c.findOne({ _id: 1 }, { projection: { 'b.d': 1, _id: 0 } })).to.deep.equal({ b: { d: 3 } });
        expect(await c.findOne({ _id: 1 }, { projection: { b: 0, 'e.g': 0 } })).to.deep.equal({ _id: 1, a: 1, e: [{ f: 1 }] });
      });

      it('projects _id alone as the driver decodes it, with the read options and raw: true', async () => {
        const c = coll();
        const oid = new ObjectId('65c000000000000000000001');
        await c.insertMany([{ _id: oid, a: 3 }, { _id: 'k', a: 2 }, { _id: new Int32(5), a: 1 }, { _id: { y: 'z', x: new Long(7) }, a: 4 }]);
        // MongoDB's order: numbers < strings < objects < ObjectId; Int32 and Long promoted by default.
        expect(await c.find({}, { sort: { _id: 1 }, projection: { _id: 1 } }).toArray()).to.deep.equal([{ _id: 5 }, { _id: 'k' }, { _id: { y: 'z', x: 7 } }, { _id: oid }]);
        const exact = await c.find({ a: { $lte: 1 } }, { projection: { _id: 1 }, promoteValues: false } as never).toArray();
        expect(exact[0]!._id).to.be.instanceOf(Int32);
        const [bytes] = await c.find({ _id: 'k' }, { projection: { _id: true }, raw: true } as never).toArray();
        expect(Buffer.isBuffer(bytes)).to.equal(true);
        expect(deserialize(bytes as unknown as Buffer)).to.deep.equal({ _id: 'k' });
      });
    });

    describe('sort order', () => {
      it('orders mixed types like MongoDB, ascending and descending; missing sorts as null', async () => {
        const c = coll();
        const oid = new ObjectId('65a000000000000000000001');
        await c.insertMany([
          { _id: 1, v: 'b' },
          { _id: 2, v: 10 },
          { _id: 3 },
          { _id: 4, v: null },
          { _id: 5, v: new Date(0) },
          { _id: 6, v: oid },
          { _id: 7, v: true },
          { _id: 8, v: { x: 1 } },
          { _id: 9, v: Long.fromNumber(2) },
          { _id: 10, v: 2.5 },
          { _id: 11, v: new Binary(Buffer.from('z')) },
          { _id: 12, v: false },
          { _id: 13, v: Decimal128.fromString('-1') },
        ]);
        const asc = await ids(c.find({}, { sort: { v: 1, _id: 1 } }).toArray());
        expect(asc).to.deep.equal([3, 4, 13, 9, 10, 2, 1, 8, 11, 6, 12, 7, 5]);
        const desc = await ids(c.find({}, { sort: { v: -1, _id: 1 } }).toArray());
        expect(desc).to.deep.equal([5, 7, 12, 6, 11, 8, 1, 2, 10, 9, 13, 3, 4]);
      });

      it('sorts array fields by their smallest element ascending and largest descending', async () => {
        const c = coll();
        await c.insertMany([
          { _id: 1, v: [5, 1] },
          { _id: 2, v: 3 },
          { _id: 3, v: [4, 9] },
          { _id: 4, v: [] },
        ]);
        expect(await ids(c.find({}, { sort: { v: 1 } }).toArray())).to.deep.equal([4, 1, 2, 3]);
        expect(await ids(c.find({}, { sort: { v: -1 } }).toArray())).to.deep.equal([3, 1, 2, 4]);
      });

      it('compares strings by UTF-8 bytes (binary collation), not by locale or UTF-16', async () => {
        const c = coll();
        const words = ['a', 'B', 'é', 'Z', '中', '\u{1F600}', '\uFF5E', 'ab', ''];
        await c.insertMany(words.map((w, i) => ({ _id: i, w })));
        const sorted = (await c.find({}, { sort: { w: 1 } }).toArray()).map((d) => d.w);
        const byBytes = words.slice().sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
        expect(sorted).to.deep.equal(byBytes);
        expect(sorted.indexOf('\uFF5E')).to.be.lessThan(sorted.indexOf('\u{1F600}'));
      });

      it('applies compound sorts, skip, limit and batchSize', async () => {
        const c = coll();
        await c.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, g: i % 3, n: 20 - i })));
        const page = await c.find({}, { sort: { g: 1, n: -1 }, skip: 2, limit: 4, batchSize: 2 }).toArray();
        // g = 0 holds _id 0, 3, 6, ... (n descending = _id ascending); skip 2, take 4.
        expect(page.map((d) => d._id)).to.deep.equal([6, 9, 12, 15]);
        const first = await c.findOne({ g: 2 }, { sort: { n: 1 } });
        expect(first!._id).to.equal(17);
      });

      it('reads a cursor a batch at a time: next(), then the rest of the batch with readBufferedDocuments()', async () => {
        const c = coll();
        await c.insertMany(Array.from({ length: 7 }, (_, i) => ({ _id: i })));
        const cursor = c.find({}, { sort: { _id: 1 }, batchSize: 3 });
        expect(cursor.readBufferedDocuments(), 'nothing is buffered before the first read').to.deep.equal([]);
        const batches: unknown[][] = [];
        for (let doc = await cursor.next(); doc !== null; doc = await cursor.next()) {
          batches.push([doc._id, ...cursor.readBufferedDocuments().map((d) => d._id)]);
        }
        expect(batches).to.deep.equal([[0, 1, 2], [3, 4, 5], [6]]);
        expect(cursor.readBufferedDocuments()).to.deep.equal([]);
        await cursor.close();
        // cursorBatches gives the same batches, and at most `max` comes off the buffer when asked.
        const viaHelper: unknown[][] = [];
        for await (const batch of cursorBatches(c.find({}, { sort: { _id: 1 }, batchSize: 3 }))) viaHelper.push(batch.map((d) => d._id));
        expect(viaHelper).to.deep.equal(batches);
        const limited = c.find({}, { sort: { _id: 1 }, batchSize: 3 });
        await limited.next();
        expect(limited.readBufferedDocuments(1).map((d) => d._id)).to.deep.equal([1]);
        expect((await limited.next())!._id).to.equal(2);
        await limited.close();
      });
    });

    describe('unique indexes', () => {
      it('rejects a duplicate on a single-field unique index with E11000 and writes nothing', async () => {
        const c = coll();
        const name = await c.createIndex({ email: 1 }, { unique: true });
        expect(name).to.equal('email_1');
        expect(await c.createIndex({ email: 1 }, { unique: true })).to.equal('email_1');
        await c.insertOne({ _id: 1, email: 'a@x' });
        const err = await rejection(c.insertOne({ _id: 2, email: 'a@x' }));
        expect(err.code).to.equal(DUPLICATE_KEY_CODE);
        expect(isDuplicateKeyError(err)).to.equal(true);
        expect(err.message).to.match(/^E11000 duplicate key error collection: .*\.c\d+ index: email_1 dup key: \{ email: "a@x" \}/);
        expect(err.keyValue).to.deep.equal({ email: 'a@x' });
        expect(await c.countDocuments({})).to.equal(1);
        expect(await c.findOne({ _id: 2 })).to.equal(null);
      });

      it('enforces compound unique keys and treats missing fields as null', async () => {
        const c = coll();
        await c.createIndex({ tenant: 1, name: 1 }, { unique: true, name: 'tenant_name' });
        await c.insertMany([
          { _id: 1, tenant: 't1', name: 'a' },
          { _id: 2, tenant: 't2', name: 'a' },
          { _id: 3, tenant: 't1' },
        ]);
        const err = await rejection(c.insertOne({ _id: 4, tenant: 't1', name: 'a' }));
        expect(err.code).to.equal(11000);
        expect(err.message).to.contain('index: tenant_name');
        const missing = await rejection(c.insertOne({ _id: 5, tenant: 't1', name: null }));
        expect(missing.code).to.equal(11000);
        expect(await c.countDocuments({})).to.equal(3);
      });

      it('rejects updates and upserts that would duplicate a key, leaving documents unchanged', async () => {
        const c = coll();
        await c.createIndex({ key: 1 }, { unique: true });
        await c.insertMany([
          { _id: 1, key: 'k1', v: 1 },
          { _id: 2, key: 'k2', v: 2 },
        ]);
        const upd = await rejection(c.updateOne({ _id: 2 }, { $set: { key: 'k1', v: 20 } }));
        expect(upd.code).to.equal(11000);
        expect(await c.findOne({ _id: 2 })).to.deep.equal({ _id: 2, key: 'k2', v: 2 });
        const ups = await rejection(c.updateOne({ _id: 3 }, { $set: { key: 'k2' } }, { upsert: true }));
        expect(ups.code).to.equal(11000);
        const rep = await rejection(c.replaceOne({ _id: 1 }, { key: 'k2' }));
        expect(rep.code).to.equal(11000);
        const many = await rejection(c.updateMany({}, { $set: { key: 'same' } }));
        expect(many.code).to.equal(11000);
        expect(await c.countDocuments({})).to.equal(2);
        expect(await c.countDocuments({ key: 'same' })).to.equal(1);
      });

      it('honours partial indexes and refuses a unique index over duplicated data', async () => {
        const c = coll();
        await c.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } });
        await c.insertMany([
          { _id: 1, code: 'x', active: false },
          { _id: 2, code: 'x', active: false },
          { _id: 3, code: 'x', active: true },
        ]);
        expect((await rejection(c.insertOne({ _id: 4, code: 'x', active: true }))).code).to.equal(11000);
        const d = coll();
        await d.insertMany([{ v: 1 }, { v: 1 }]);
        expect((await rejection(d.createIndex({ v: 1 }, { unique: true }))).code).to.equal(11000);
        await d.insertOne({ v: 1 });
        expect(await d.countDocuments({ v: 1 })).to.equal(3);
      });

      it('rejects duplicate _id values, numerically equal ones included', async () => {
        const c = coll();
        await c.insertOne({ _id: 1 });
        expect((await rejection(c.insertOne({ _id: 1 }))).code).to.equal(11000);
        expect((await rejection(c.insertOne({ _id: Long.fromNumber(1) }))).code).to.equal(11000);
        expect((await rejection(c.insertOne({ _id: 1.0 }))).message).to.contain('index: _id_');
        expect((await rejection(c.insertOne({ _id: Decimal128.fromString('1.00') }))).code).to.equal(11000);
        expect((await rejection(c.insertOne({ _id: new Double(1) }))).code).to.equal(11000);
        await c.insertOne({ _id: '1' });
        expect(await c.countDocuments({})).to.equal(2);
      });

      it('insertMany: ordered keeps the documents before the failure; unordered continues', async () => {
        const c = coll();
        await c.createIndex({ k: 1 }, { unique: true });
        const ordered = await rejection(c.insertMany([{ _id: 1, k: 1 }, { _id: 2, k: 2 }, { _id: 3, k: 1 }, { _id: 4, k: 4 }]));
        expect(ordered.code).to.equal(11000);
        expect(ordered.insertedCount).to.equal(2);
        expect(await ids(c.find({}, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2]);
        const unordered = await rejection(c.insertMany([{ _id: 5, k: 5 }, { _id: 6, k: 1 }, { _id: 7, k: 7 }], { ordered: false }));
        expect(unordered.code).to.equal(11000);
        expect(await ids(c.find({}, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2, 5, 7]);
        expect(await c.insertMany([{ k: 8 }, { k: 9 }])).to.include({ insertedCount: 2 });
      });
    });

    describe('distinct (tenant discovery)', () => {
      it('gives each value once, array elements unwound, missing fields left out, filtered, numbers by value', async () => {
        const c = coll();
        await c.insertMany([
          { _id: 1, tenantId: 'acme', tags: ['a', 'b'] },
          { _id: 2, tenantId: 'acme', tags: 'b' },
          { _id: 3, tenantId: 'globex', n: 1 },
          { _id: 4, n: Long.fromNumber(1) },
          { _id: 5, tenantId: null, n: 2.5 },
        ]);
        const sorted = (vs: unknown[]) => vs.map((v) => JSON.stringify(v)).sort();
        expect(sorted(await c.distinct('tenantId'))).to.deep.equal(sorted(['acme', 'globex', null]));
        expect(sorted(await c.distinct('tags'))).to.deep.equal(sorted(['a', 'b']));
        expect(sorted(await c.distinct('tenantId', { _id: { $gt: 1, $lt: 4 } }))).to.deep.equal(sorted(['acme', 'globex']));
        expect((await c.distinct('n')).length).to.equal(2);
        expect(await c.distinct('absent')).to.deep.equal([]);
      });
    });

    describe('16 MiB document limit', () => {
      it('rejects an oversized insert and stores nothing', async () => {
        const c = coll();
        const err = await rejection(c.insertOne({ _id: 1, blob: 'x'.repeat(16 * MiB + 1024) }));
        expect(err.message).to.match(/size|large|16777216/i);
        expect(await c.countDocuments({})).to.equal(0);
        const many = await rejection(c.insertMany([{ _id: 2 }, { _id: 3, blob: 'y'.repeat(16 * MiB + 1024) }]));
        expect(many.message).to.match(/size|large|16777216/i);
        expect(await c.countDocuments({})).to.equal(0);
      });

      it('rejects an update or replacement that grows a document past the limit, keeping the old one', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, pad: 'p'.repeat(4096) });
        const upd = await rejection(c.updateOne({ _id: 1 }, { $set: { blob: 'x'.repeat(16 * MiB - 1024) } }));
        expect(upd.message).to.match(/size|large|16777216/i);
        expect((await c.findOne({ _id: 1 }))!.blob).to.equal(undefined);
        const rep = await rejection(c.replaceOne({ _id: 1 }, { pad: 'p'.repeat(4096), blob: 'x'.repeat(16 * MiB - 1024) }));
        expect(rep.message).to.match(/size|large|16777216/i);
        expect(Object.keys((await c.findOne({ _id: 1 }))!)).to.deep.equal(['_id', 'pad']);
      });

      if (backend.memory) {
        it('accepts a document of exactly 16 MiB and rejects one byte more', async () => {
          const c = coll();
          // {_id: int32} costs 4+1+4+4 bytes, a string element 1+2+4+len+1, plus the final 0.
          const overhead = 4 + (1 + 4 + 4) + (1 + 2 + 4 + 1) + 1;
          await c.insertOne({ _id: 1, s: 'x'.repeat(16 * MiB - overhead) });
          expect(await c.countDocuments({ _id: 1 })).to.equal(1);
          await rejection(c.insertOne({ _id: 2, s: 'x'.repeat(16 * MiB - overhead + 1) }));
          expect(await c.countDocuments({})).to.equal(1);
        });
      }
    });

    describe('updates and upserts', () => {
      it('upserts from the equality fields of the filter plus the update; $setOnInsert only on insert', async () => {
        const c = coll();
        const first = await c.updateOne(
          { tenant: 't1', 'key.id': 5, n: { $gt: 1 }, status: { $eq: 'new' } },
          { $set: { seen: 1 }, $setOnInsert: { created: 'once' }, $inc: { hits: 1 } },
          { upsert: true },
        );
        expect(first).to.include({ matchedCount: 0, modifiedCount: 0, upsertedCount: 1 });
        expect(first.upsertedId).to.be.instanceOf(ObjectId);
        const doc = (await c.findOne({ _id: first.upsertedId }))!;
        expect(doc).to.deep.equal({ _id: first.upsertedId, tenant: 't1', key: { id: 5 }, status: 'new', created: 'once', hits: 1, seen: 1 });
        const second = await c.updateOne({ tenant: 't1', 'key.id': 5 }, { $set: { seen: 2 }, $setOnInsert: { created: 'twice' }, $inc: { hits: 1 } }, { upsert: true });
        expect(second).to.include({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null });
        expect(await c.findOne({ tenant: 't1' }, { projection: { _id: 0, created: 1, hits: 1, seen: 1 } })).to.deep.equal({ created: 'once', hits: 2, seen: 2 });
        const withId = await c.updateOne({ _id: 'fixed' }, { $set: { v: 1 } }, { upsert: true });
        expect(withId.upsertedId).to.equal('fixed');
      });

      it('replaceOne keeps _id, upserts with the filter _id and refuses to change _id', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, a: 1, b: 2 });
        const res = await c.replaceOne({ _id: 1 }, { c: 3 });
        expect(res).to.include({ matchedCount: 1, modifiedCount: 1 });
        expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, c: 3 });
        const ups = await c.replaceOne({ _id: 7, ignored: { $exists: false } }, { z: 1 }, { upsert: true });
        expect(ups).to.include({ upsertedCount: 1, upsertedId: 7 });
        expect(await c.findOne({ _id: 7 })).to.deep.equal({ _id: 7, z: 1 });
        const err = await rejection(c.replaceOne({ _id: 1 }, { _id: 2, c: 3 }));
        expect(err.code).to.equal(66);
        const same = await c.replaceOne({ _id: 1 }, { c: 3 });
        expect(same).to.include({ matchedCount: 1, modifiedCount: 0 });
      });

      it('applies $set/$unset/$inc/$push/$addToSet/$pull/$min/$max with server semantics', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, n: new Int32(2147483647), tags: ['a'], list: [1, 2, 3, 2], lo: 5, hi: new Date(1000), gone: 1 });
        const res = await c.updateOne(
          { _id: 1 },
          {
            $inc: { n: 1, fresh: Long.fromNumber(3) },
            $push: { tags: { $each: ['b', 'c', 'd'], $slice: -3 } },
            $addToSet: { set: { $each: [1, 1, 2] } },
            $pull: { list: 2 },
            $min: { lo: 3 },
            $max: { hi: new Date(500) },
            $unset: { gone: '' },
            $set: { 'deep.er.est': true },
          },
        );
        expect(res).to.include({ matchedCount: 1, modifiedCount: 1 });
        const doc = (await c.findOne({ _id: 1 }))!;
        expect(doc.n).to.equal(2147483648);
        expect(await c.countDocuments({ _id: 1, n: { $type: 'long' } })).to.equal(1);
        expect(doc.fresh).to.equal(3);
        expect(doc.tags).to.deep.equal(['b', 'c', 'd']);
        expect(doc.set).to.deep.equal([1, 2]);
        expect(doc.list).to.deep.equal([1, 3]);
        expect(doc.lo).to.equal(3);
        expect((doc.hi as Date).getTime()).to.equal(1000);
        expect(doc).to.not.have.property('gone');
        expect(doc.deep).to.deep.equal({ er: { est: true } });
      });

      it('adds new fields in lexicographic order and reports no-op updates as not modified', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, m: 0 });
        await c.updateOne({ _id: 1 }, { $set: { zz: 1, aa: 1 }, $inc: { mm: 1 } });
        expect(Object.keys((await c.findOne({ _id: 1 }))!)).to.deep.equal(['_id', 'm', 'aa', 'mm', 'zz']);
        const noop = await c.updateOne({ _id: 1 }, { $set: { zz: 1 }, $max: { aa: 0 } });
        expect(noop).to.include({ matchedCount: 1, modifiedCount: 0 });
        const many = await c.updateMany({ nothing: true }, { $set: { x: 1 } });
        expect(many).to.include({ matchedCount: 0, modifiedCount: 0, upsertedCount: 0 });
      });

      it('refuses conflicting paths, _id changes, non-numeric $inc and updates without operators', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, s: 'text', a: { b: 1 } });
        expect((await rejection(c.updateOne({ _id: 1 }, { $set: { a: 1 }, $inc: { 'a.b': 1 } }))).code).to.equal(40);
        expect((await rejection(c.updateOne({ _id: 1 }, { $set: { _id: 2 } }))).code).to.equal(66);
        expect((await rejection(c.updateOne({ _id: 1 }, { $inc: { s: 1 } }))).code).to.equal(14);
        expect((await rejection(c.updateOne({ _id: 1 }, { s: 'x' }))).message).to.match(/atomic operators/);
        expect((await rejection(c.replaceOne({ _id: 1 }, { $set: { s: 'x' } }))).message).to.match(/atomic operators/);
        expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, s: 'text', a: { b: 1 } });
      });

      it('updates array elements through the positional $ and $[] operators', async () => {
        const c = coll();
        await c.insertOne({ _id: 1, items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }] });
        await c.updateOne({ _id: 1, 'items.sku': 'b' }, { $inc: { 'items.$.qty': 10 } });
        await c.updateOne({ _id: 1 }, { $set: { 'items.$[].seen': true } });
        expect((await c.findOne({ _id: 1 }))!.items).to.deep.equal([
          { sku: 'a', qty: 1, seen: true },
          { sku: 'b', qty: 12, seen: true },
        ]);
      });
    });

    describe('findOneAndUpdate', () => {
      it('returns the document before or after, honours sort, and upserts', async () => {
        const c = coll();
        await c.insertMany([
          { _id: 1, q: 'jobs', pri: 1, state: 'ready' },
          { _id: 2, q: 'jobs', pri: 5, state: 'ready' },
          { _id: 3, q: 'jobs', pri: 3, state: 'ready' },
        ]);
        const before = await c.findOneAndUpdate({ q: 'jobs', state: 'ready' }, { $set: { state: 'leased' } }, { sort: { pri: -1 } });
        expect(before).to.deep.equal({ _id: 2, q: 'jobs', pri: 5, state: 'ready' });
        const after = await c.findOneAndUpdate({ q: 'jobs', state: 'ready' }, { $set: { state: 'leased' } }, { sort: { pri: -1 }, returnDocument: 'after' });
        expect(after).to.deep.equal({ _id: 3, q: 'jobs', pri: 3, state: 'leased' });
        expect(await c.findOneAndUpdate({ q: 'none' }, { $set: { x: 1 } })).to.equal(null);
        expect(await c.findOneAndUpdate({ _id: 9 }, { $set: { x: 1 } }, { upsert: true })).to.equal(null);
        expect(await c.findOneAndUpdate({ _id: 10 }, { $set: { x: 2 } }, { upsert: true, returnDocument: 'after' })).to.deep.equal({ _id: 10, x: 2 });
        expect(await c.countDocuments({ state: 'leased' })).to.equal(2);
      });
    });

    describe('cursors', () => {
      it('iterates 10k documents in order with for-await, toArray, skip and limit', async () => {
        const c = coll();
        const total = 10_000;
        const docs = Array.from({ length: total }, (_, i) => ({ _id: i, n: total - i, bucket: i % 10, pad: 'p'.repeat(64) }));
        expect((await c.insertMany(docs)).insertedCount).to.equal(total);
        let seen = 0;
        let last = -Infinity;
        for await (const d of c.find({}, { sort: { n: 1 }, batchSize: 500 })) {
          expect(d.n).to.be.greaterThan(last);
          last = d.n;
          seen += 1;
        }
        expect(seen).to.equal(total);
        expect((await c.find({ bucket: 3 }).toArray()).length).to.equal(1000);
        const page = await c.find({ bucket: { $lt: 5 } }, { sort: { _id: -1 }, skip: 100, limit: 3 }).toArray();
        // Each block of ten ids contributes five (bucket < 5); skipping 100 skips the top 20 blocks.
        expect(page.map((d) => d._id)).to.deep.equal([9794, 9793, 9792]);
        expect(await c.countDocuments({ n: { $lte: 10 } })).to.equal(10);
        let early = 0;
        for await (const _ of c.find({})) {
          if (++early === 5) break;
        }
        expect(early).to.equal(5);
        if (backend.memory) {
          const cursor = c.find({ bucket: 1 });
          await cursor.close();
          expect(await cursor.toArray()).to.deep.equal([]);
        }
      });
    });

    describe('collections and databases', () => {
      it('lists, drops collections and drops the database', async () => {
        const own = await backend.open(freshName('lifecycle'));
        try {
          const d = own.db;
          expect(await d.listCollectionNames()).to.deep.equal([]);
          await d.collection('b_coll').insertOne({ x: 1 });
          await d.collection('a_coll').createIndex({ x: 1 });
          await d.collection('never').findOne({});
          expect(await d.listCollectionNames()).to.deep.equal(['a_coll', 'b_coll']);
          expect(await d.collection('b_coll').drop()).to.equal(true);
          expect(await d.listCollectionNames()).to.deep.equal(['a_coll']);
          expect(await d.collection('b_coll').countDocuments({})).to.equal(0);
          expect(await d.dropDatabase()).to.equal(true);
          expect(await d.listCollectionNames()).to.deep.equal([]);
        } finally {
          await own.close();
        }
      });

      it('deleteOne removes one match, deleteMany all matches', async () => {
        const c = coll();
        await c.insertMany([{ t: 'a' }, { t: 'a' }, { t: 'b' }]);
        expect(await c.deleteOne({ t: 'a' })).to.include({ deletedCount: 1 });
        expect(await c.deleteMany({ t: { $in: ['a', 'b'] } })).to.include({ deletedCount: 2 });
        expect(await c.countDocuments()).to.equal(0);
      });
    });
  });
}

describe('memory store specifics', function () {
  this.timeout(120_000);

  it('recognises memory: URLs and their folders', () => {
    expect(isMemoryUrl('memory:')).to.equal(true);
    expect(isMemoryUrl('memory:/var/tmp/x')).to.equal(true);
    expect(isMemoryUrl('mongodb://localhost')).to.equal(false);
    expect(memoryUrlFolder('memory:')).to.equal(undefined);
    expect(memoryUrlFolder('memory:/var/tmp/x')).to.equal('/var/tmp/x');
    expect(memoryUrlFolder('memory:///var/tmp/x')).to.equal('/var/tmp/x');
    expect(memoryUrlFolder('memory:rel/dir')).to.equal(path.resolve('rel/dir'));
  });

  it('shares ephemeral data between memory: clients of one process, like one server', async () => {
    const name = freshName('shared');
    const a = await MemoryMongoClient.connect('memory:');
    const b = await MemoryMongoClient.connect('memory:');
    await a.db(name).collection('c').insertOne({ _id: 1 });
    expect(await b.db(name).collection('c').countDocuments({})).to.equal(1);
    await a.db(name).dropDatabase();
  });

  it('refuses unsupported operators clearly instead of ignoring them', async () => {
    const client = await MemoryMongoClient.connect('memory:');
    const db = client.db(freshName('unsupported'));
    const c = db.collection('c');
    await c.insertOne({ _id: 1, a: 1 });
    for (const [filter, op] of [
      [{ $where: 'this.a == 1' }, '$where'],
      [{ $expr: { $eq: ['$a', 1] } }, '$expr'],
      [{ a: { $mod: [2, 1] } }, '$mod'],
      [{ $text: { $search: 'x' } }, '$text'],
    ] as const) {
      const err = await rejection(c.find(filter as Document).toArray());
      expect(err.message).to.equal(`memory: store does not support ${op}`);
    }
    expect((await rejection(c.updateOne({ _id: 1 }, { $bit: { a: { and: 1 } } }))).message).to.equal('memory: store does not support $bit');
    expect((await rejection(c.updateOne({ _id: 1 }, [{ $set: { a: 2 } }] as unknown as Document))).message).to.match(/^memory: store does not support pipeline/);
    expect((await rejection(c.createIndex({ a: 'text' } as unknown as Record<string, 1>))).message).to.match(/^memory: store does not support index type/);
    expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, a: 1 });
    await db.dropDatabase();
  });

  describe('persistence in a folder', () => {
    let folder: string;
    beforeEach(() => {
      folder = tempFolder();
    });
    afterEach(() => {
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('creates a missing folder and fails clearly when the folder cannot be written', async () => {
      const nested = path.join(folder, 'a', 'b');
      const client = await MemoryMongoClient.connect(`memory:${nested}`);
      await client.db('d').collection('c').insertOne({ _id: 1 });
      expect(fs.existsSync(path.join(nested, 'd'))).to.equal(true);
      const file = path.join(folder, 'plain-file');
      fs.writeFileSync(file, 'x');
      const err = await rejection(MemoryMongoClient.connect(`memory:${file}/store`));
      expect(err.message).to.match(/^memory: store folder .*plain-file\/store is not writable/);
    });

    it('sees the data, indexes and BSON types after reconnecting', async () => {
      const url = `memory:${folder}`;
      const a = await MemoryMongoClient.connect(url);
      const ca = a.db('app').collection('users');
      await ca.createIndex({ email: 1 }, { unique: true });
      await ca.insertMany([
        { _id: 1, email: 'a@x', big: Long.fromString('9007199254740993'), at: new Date(5) },
        { _id: 2, email: 'b@x', d: Decimal128.fromString('0.10') },
      ]);
      await ca.updateOne({ _id: 1 }, { $set: { seen: true } });
      await ca.deleteOne({ _id: 2 });
      await a.close();
      const b = await MemoryMongoClient.connect(url);
      const cb = b.db('app').collection('users');
      const doc = (await cb.findOne({ _id: 1 }))!;
      expect(doc.big.toString()).to.equal('9007199254740993');
      expect(doc.seen).to.equal(true);
      expect(await cb.countDocuments({})).to.equal(1);
      expect((await rejection(cb.insertOne({ email: 'a@x' }))).code).to.equal(11000);
      expect(await b.db('app').listCollectionNames()).to.deep.equal(['users']);
    });

    it('lets two open clients take turns and see each other’s writes, indexes and drops', async () => {
      const url = `memory:${folder}`;
      const a = (await MemoryMongoClient.connect(url)).db('shared');
      const b = (await MemoryMongoClient.connect(url)).db('shared');
      const ca = a.collection('jobs');
      const cb = b.collection('jobs');
      await ca.insertOne({ _id: 1, state: 'new' });
      expect(await cb.findOne({ _id: 1 })).to.deep.equal({ _id: 1, state: 'new' });
      await cb.updateOne({ _id: 1 }, { $set: { state: 'leased' } });
      await cb.insertOne({ _id: 2, state: 'new' });
      expect(await ids(ca.find({}, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2]);
      expect((await ca.findOne({ _id: 1 }))!.state).to.equal('leased');
      await ca.createIndex({ state: 1 }, { unique: true, partialFilterExpression: { state: 'leased' } });
      expect((await rejection(cb.updateOne({ _id: 2 }, { $set: { state: 'leased' } }))).code).to.equal(11000);
      await ca.deleteOne({ _id: 1 });
      expect(await cb.countDocuments({})).to.equal(1);
      await cb.drop();
      expect(await a.listCollectionNames()).to.deep.equal([]);
      expect(await ca.countDocuments({})).to.equal(0);
      await ca.insertOne({ _id: 3 });
      expect(await cb.countDocuments({})).to.equal(1);
      await b.dropDatabase();
      expect(await ca.countDocuments({})).to.equal(0);
    });

    it('is shared with separate processes (seed in one, read and write in the next)', async () => {
      const url = `memory:${folder}`;
      const store = fileURLToPath(new URL('../../src/mongo/memory/memory-store.js', import.meta.url));
      const run = promisify(execFile);
      const script = (body: string) =>
        `import { MemoryMongoClient } from ${JSON.stringify(store)};\n` +
        `const c = (await MemoryMongoClient.connect(${JSON.stringify(url)})).db('cli').collection('advisories');\n${body}`;
      await run(process.execPath, ['--input-type=module', '-e', script("await c.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, kind: i % 2 ? 'odd' : 'even' })));")]);
      const parent = (await MemoryMongoClient.connect(url)).db('cli').collection('advisories');
      expect(await parent.countDocuments({ kind: 'odd' })).to.equal(50);
      await parent.updateMany({ kind: 'odd' }, { $set: { checked: true } });
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script("process.stdout.write(String(await c.countDocuments({ checked: true })));")]);
      expect(stdout).to.equal('50');
    });

    it('compacts its journal and ignores a torn record at the end', async () => {
      const url = `memory:${folder}`;
      const a = (await MemoryMongoClient.connect(url)).db('j').collection('counter');
      await a.insertOne({ _id: 'c', n: 0, pad: 'x'.repeat(10_000) });
      for (let i = 0; i < 300; i++) await a.updateOne({ _id: 'c' }, { $inc: { n: 1 } });
      const file = path.join(folder, 'j', 'counter.bson');
      expect(fs.statSync(file).size).to.be.lessThan(2 * 10_100 + 1024 * 1024 + 20_000);
      // A crash mid-append leaves a partial record: it must be ignored, then overwritten.
      fs.appendFileSync(file, Buffer.from([0x01, 0xff, 0x00, 0x00, 0x00, 0x10]));
      const b = (await MemoryMongoClient.connect(url)).db('j').collection('counter');
      expect((await b.findOne({ _id: 'c' }))!.n).to.equal(300);
      await b.updateOne({ _id: 'c' }, { $inc: { n: 1 } });
      const c = (await MemoryMongoClient.connect(url)).db('j').collection('counter');
      expect((await c.findOne({ _id: 'c' }))!.n).to.equal(301);
      expect((await a.findOne({ _id: 'c' }))!.n).to.equal(301);
    });
  });
});
