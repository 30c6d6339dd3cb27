/**
 * The `memory:` store's `_id` index (src/mongo/memory/id-order.ts): ranges sorted by `_id` come out in
 * MongoDB's `_id` order across type classes, with skip, limit and both directions, whatever the
 * insertion order, after updates and deletes, and after a reload from a folder; `raw: true` hands
 * over the stored BSON. The expected orders are written out by hand from MongoDB's comparison order
 * (type classes: MinKey < numbers < strings < objects < binData < ObjectId < bool < Date <
 * Timestamp < MaxKey), not computed by the store.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, serialize, Timestamp, type Document } from 'bson';
import { MemoryMongoClient } from '../../src/mongo/memory/memory-store.js';
import { idRangeFilter } from '../../src/mongo/id-ranges.js';
import { normaliseInput } from '../../src/mongo/memory/bson-codec.js';
import { compileFilter, compileIdFilter } from '../../src/mongo/memory/query-engine.js';
import type { MongoCollectionLike } from '../../src/mongo/mongo-types.js';

/** `_id`s in MongoDB's order, each with its type class (for type-bracketed `$gt` / `$lt`). */
const ORDERED: readonly { id: unknown; cls: string }[] = [
  { id: new MinKey(), cls: 'minKey' },
  { id: -Infinity, cls: 'number' },
  { id: Long.fromString('-9223372036854775808'), cls: 'number' },
  { id: new Int32(-5), cls: 'number' },
  { id: new Double(-0.5), cls: 'number' },
  { id: 0, cls: 'number' },
  { id: Decimal128.fromString('0.75'), cls: 'number' },
  { id: new Int32(1), cls: 'number' },
  { id: Long.fromString('9007199254740993'), cls: 'number' },
  { id: Decimal128.fromString('1E+20'), cls: 'number' },
  { id: Infinity, cls: 'number' },
  { id: '', cls: 'string' },
  { id: 'A', cls: 'string' },
  { id: 'a', cls: 'string' },
  { id: 'ab', cls: 'string' },
  { id: '\uffff', cls: 'string' },
  // A code point above U+FFFF sorts after U+FFFF (UTF-8 byte order), though its UTF-16 code unit is lower.
  { id: '\u{1f600}', cls: 'string' },
  { id: { a: 1 }, cls: 'object' },
  { id: { a: 2 }, cls: 'object' },
  { id: { b: 0 }, cls: 'object' },
  { id: new Binary(Buffer.from([9]), 0), cls: 'binData' },
  { id: new Binary(Buffer.from([1, 2]), 0), cls: 'binData' },
  { id: new Binary(Buffer.from([1, 2]), 4), cls: 'binData' },
  { id: new ObjectId('000000000000000000000001'), cls: 'objectId' },
  { id: new ObjectId('65c000000000000000000000'), cls: 'objectId' },
  { id: new ObjectId('65c0000000000000000000ff'), cls: 'objectId' },
  { id: new ObjectId('ff0000000000000000000000'), cls: 'objectId' },
  { id: false, cls: 'bool' },
  { id: true, cls: 'bool' },
  { id: new Date(-1000), cls: 'date' },
  { id: new Date(0), cls: 'date' },
  { id: new Date(Date.UTC(2025, 0, 1)), cls: 'date' },
  { id: new Timestamp({ t: 1, i: 2 }), cls: 'timestamp' },
  { id: new Timestamp({ t: 2, i: 1 }), cls: 'timestamp' },
  { id: new MaxKey(), cls: 'maxKey' },
];

/** A deterministic shuffle (so a failure reproduces). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const positionsOf = (docs: Document[]) => docs.map((d) => d.n as number);

describe('memory: store _id index and string lookups', function () {
  this.timeout(60_000);
  let client: MemoryMongoClient;
  let folder: string;

  before(async () => {
    folder = fs.mkdtempSync(path.join(tmpdir(), 'memidx-'));
    client = await MemoryMongoClient.connect(`memory:${folder}`);
  });
  after(() => fs.rmSync(folder, { recursive: true, force: true }));

  async function seeded(name: string, seed: number): Promise<MongoCollectionLike> {
    const c = client.db('idx').collection(name);
    // Inserted one by one in a shuffled order; `n` is the position in ORDERED.
    for (const i of shuffled(ORDERED.map((_, i) => i), seed)) await c.insertOne({ _id: ORDERED[i]!.id, n: i, pad: 'x'.repeat(i) });
    return c;
  }

  it('sorts by _id across type classes, both directions, with skip and limit', async () => {
    const c = await seeded('order', 7);
    const all = ORDERED.map((_, i) => i);
    expect(positionsOf(await c.find({}, { sort: { _id: 1 } }).toArray())).to.deep.equal(all);
    expect(positionsOf(await c.find({}, { sort: { _id: -1 } }).toArray())).to.deep.equal([...all].reverse());
    expect(positionsOf(await c.find({}, { sort: { _id: 1 }, skip: 3, limit: 4 }).toArray())).to.deep.equal([3, 4, 5, 6]);
    expect(positionsOf(await c.find({}, { sort: { _id: -1, n: 1 }, skip: 1, limit: 2 }).toArray())).to.deep.equal([all.length - 2, all.length - 3]);
    // Unsorted: natural (insertion) order, as before.
    const natural = shuffled(all, 7);
    expect(positionsOf(await c.find({}).toArray())).to.deep.equal(natural);
    expect(positionsOf(await c.find({ _id: { $gte: 0 } }).toArray())).to.deep.equal(natural.filter((i) => ORDERED[i]!.cls === 'number' && i >= 5));
  });

  it('answers every idRangeFilter range, bracketed $gt / $lt, $in, $type and $or like a scan would', async () => {
    const c = await seeded('ranges', 11);
    const n = ORDERED.length;
    // Planned ranges [i, j) across classes (conversion and parity use these), open at either end.
    for (let i = 0; i <= n; i += 3) {
      for (let j = i + 1; j <= n; j += 4) {
        const lower = i < n && i > 0 ? { value: ORDERED[i]!.id, inclusive: true } : null;
        const upper = j < n ? ORDERED[j]!.id : null;
        const from = lower ? i : 0;
        const to = upper === null ? n : j;
        const want = Array.from({ length: to - from }, (_, k) => from + k);
        const filter = idRangeFilter(lower, upper);
        expect(positionsOf(await c.find(filter, { sort: { _id: 1 } }).toArray()), JSON.stringify([i, j])).to.deep.equal(want);
        expect(positionsOf(await c.find(filter, { sort: { _id: 1 }, limit: 2 }).toArray()), `limit ${i},${j}`).to.deep.equal(want.slice(0, 2));
        expect(await c.countDocuments(filter), `count ${i},${j}`).to.equal(want.length);
        // After a checkpoint (exclusive lower bound), as a resumed conversion reads.
        if (lower) expect(positionsOf(await c.find(idRangeFilter({ ...lower, inclusive: false }, upper), { sort: { _id: 1 } }).toArray())).to.deep.equal(want.slice(1));
      }
    }
    // Type-bracketed comparisons: only the bound's own class.
    const cls = (i: number) => ORDERED[i]!.cls;
    for (const i of [4, 9, 14, 19, 25, 30]) {
      const v = ORDERED[i]!.id;
      const same = ORDERED.map((_, k) => k).filter((k) => cls(k) === cls(i));
      expect(positionsOf(await c.find({ _id: { $gt: v } }, { sort: { _id: 1 } }).toArray())).to.deep.equal(same.filter((k) => k > i));
      expect(positionsOf(await c.find({ _id: { $lte: v } }, { sort: { _id: -1 } }).toArray())).to.deep.equal(same.filter((k) => k <= i).reverse());
    }
    expect(positionsOf(await c.find({ _id: { $in: [ORDERED[26]!.id, 'ab', new Int32(1)] } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([7, 14, 26]);
    expect(positionsOf(await c.find({ _id: { $type: ['string', 'bool'] } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([11, 12, 13, 14, 15, 16, 27, 28]);
    expect(positionsOf(await c.find({ $or: [{ _id: { $lt: 0 } }, { _id: { $gt: true } }] }, { sort: { _id: 1 } }).toArray())).to.deep.equal([1, 2, 3, 4]);
    // A filter on another field too: still exact.
    expect(positionsOf(await c.find({ _id: { $gte: new ObjectId('000000000000000000000000') }, n: { $gte: 25 } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([25, 26]);
    // $in on numbers across int32 / int64 / double / decimal: equal values match (1 == Int32(1)).
    expect(positionsOf(await c.find({ _id: { $in: [1, Long.fromNumber(0)] } }, { sort: { _id: -1 } }).toArray())).to.deep.equal([7, 5]);
  });

  it('tests range-cursor filters on the _id alone exactly as the compiled filter does', () => {
    const filters: Document[] = [
      { $or: [{ _id: { $lt: 0 } }, { _id: { $gt: true } }] },
      { $and: [{ _id: { $gte: '' } }, { _id: { $lt: 'b' } }] },
      { _id: { $type: ['string', 'bool'] } },
      { _id: { $type: 'number', $gt: new Int32(-5) } },
      { _id: { $gte: new MinKey() } },
      { _id: { $lte: new MaxKey() } },
      { $or: [{ _id: { $type: ['minKey', 'double'] } }, { $and: [{ _id: { $gt: new Date(-1000) } }, { _id: { $lte: new Date(0) } }] }] },
    ];
    for (let i = 0; i <= ORDERED.length; i += 2) {
      for (let j = i + 1; j <= ORDERED.length; j += 3) {
        const lower = i < ORDERED.length && i > 0 ? { value: ORDERED[i]!.id, inclusive: i % 4 === 0 } : null;
        filters.push(idRangeFilter(lower, j < ORDERED.length ? ORDERED[j]!.id : null));
      }
    }
    let compiled = 0;
    for (const filter of filters) {
      const normalised = normaliseInput(filter, 'filter');
      const byId = compileIdFilter(normalised);
      if (Object.keys(normalised).length === 0) continue;
      expect(byId, JSON.stringify(filter)).to.not.equal(undefined);
      compiled++;
      const reference = compileFilter(filter);
      for (const { id } of ORDERED) {
        const v = normaliseInput({ _id: id }, 'filter')._id;
        expect(byId!(v), `${JSON.stringify(filter)} on ${String(id)}`).to.equal(reference({ _id: v }));
      }
    }
    expect(compiled).to.be.greaterThan(50);
    // Anything else is left to the compiled filter.
    expect(compileIdFilter({ _id: { $in: [1] } })).to.equal(undefined);
    expect(compileIdFilter({ _id: 1 })).to.equal(undefined);
    expect(compileIdFilter({ _id: { $gt: 1 }, n: 1 })).to.equal(undefined);
  });

  it('answers ObjectId ranges (a conversion range) by the index walk alone, every bound form, sorted or not', async () => {
    const c = await seeded('oid-ranges', 13);
    // ORDERED[23..26] are the ObjectIds; the other classes sit on both sides of them.
    const oid = (i: number) => ORDERED[i]!.id;
    const natural = shuffled(ORDERED.map((_, i) => i), 13);
    const cases: [Document, number[]][] = [
      [{ _id: { $gte: oid(23), $lt: oid(26) } }, [23, 24, 25]],
      [{ _id: { $gt: oid(23), $lte: oid(26) } }, [24, 25, 26]],
      [{ _id: { $gt: oid(23), $lt: oid(24) } }, []],
      [{ _id: { $gte: oid(26), $lt: oid(23) } }, []],
      [{ _id: { $gte: oid(24), $lte: oid(24) } }, [24]],
    ];
    for (const [filter, want] of cases) {
      const label = JSON.stringify(filter);
      expect(positionsOf(await c.find(filter, { sort: { _id: 1 } }).toArray()), label).to.deep.equal(want);
      expect(positionsOf(await c.find(filter, { sort: { _id: -1 }, limit: 2 }).toArray()), label).to.deep.equal([...want].reverse().slice(0, 2));
      expect(positionsOf(await c.find(filter).toArray()), `${label} unsorted`).to.deep.equal(natural.filter((i) => want.includes(i)));
      expect(await c.countDocuments(filter), `${label} count`).to.equal(want.length);
    }
  });

  it('keeps the order through many inserts in random order, replacements and deletes, and after a reload', async () => {
    const c = client.db('idx').collection('many');
    const ids = shuffled(Array.from({ length: 3000 }, (_, i) => i), 3);
    for (let k = 0; k < ids.length; k += 500) await c.insertMany(ids.slice(k, k + 500).map((i) => ({ _id: i % 2 ? Long.fromNumber(i) : new Double(i + 0.5), n: i })));
    // Delete every third, update every fifth.
    await c.deleteMany({ n: { $in: ids.filter((i) => i % 3 === 0) } });
    for (const i of ids.filter((i) => i % 5 === 0 && i % 3 !== 0)) await c.updateOne({ n: i }, { $set: { touched: true } });
    const want = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 0);
    expect(positionsOf(await c.find({}, { sort: { _id: 1 } }).toArray())).to.deep.equal(want);
    expect(positionsOf(await c.find({ _id: { $gte: 1000, $lt: 2000.5 } }, { sort: { _id: 1 } }).toArray())).to.deep.equal(want.filter((i) => i >= 1000 && i < 2000));
    expect(positionsOf(await c.find({ _id: { $gt: 2990 } }, { sort: { _id: -1 }, limit: 3 }).toArray())).to.deep.equal([2999, 2998, 2996]);
    expect(await c.countDocuments({ _id: { $lt: 100 } })).to.equal(want.filter((i) => i < 100).length);
    // Another client of the same folder loads the journal and sees the same orders.
    const other = await MemoryMongoClient.connect(`memory:${folder}`);
    const again = other.db('idx').collection('many');
    expect(positionsOf(await again.find({}, { sort: { _id: 1 } }).toArray())).to.deep.equal(want);
    expect(positionsOf(await again.find({ _id: { $gte: 1000, $lt: 2000.5 } }, { sort: { _id: -1 } }).toArray())).to.deep.equal(want.filter((i) => i >= 1000 && i < 2000).reverse());
    // Natural order survives the reload: insertion order, updated documents keep their place.
    const natural = ids.filter((i) => i % 3 !== 0);
    expect(positionsOf(await again.find({}).toArray())).to.deep.equal(natural);
    expect(positionsOf(await again.find({ _id: { $lt: 50 } }).toArray())).to.deep.equal(natural.filter((i) => i < 50));
    // A delete in one client, seen by the other.
    await again.deleteOne({ _id: Long.fromNumber(1) });
    expect(positionsOf(await c.find({ _id: { $lt: 6 } }, { sort: { _id: 1 } }).toArray())).to.deep.equal([2, 4, 5]);
  });

  it('answers string equalities on a large collection exactly: arrays, missing and other types included, after writes', async () => {
    const c = client.db('idx').collection('tenants');
    const tenantOf = (i: number): unknown => (i % 100 === 0 ? ['t1', 'x'] : i % 101 === 0 ? undefined : i % 102 === 0 ? 5 : `t${i % 3}`);
    const order = shuffled(Array.from({ length: 3000 }, (_, i) => i), 5);
    await c.insertMany(order.map((i) => (tenantOf(i) === undefined ? { _id: i, n: i } : { _id: i, n: i, tenant: tenantOf(i) })));
    const holdsT1 = (i: number) => tenantOf(i) === 't1' || (Array.isArray(tenantOf(i)) && (tenantOf(i) as string[]).includes('t1'));
    expect(positionsOf(await c.find({ tenant: 't1' }).toArray())).to.deep.equal(order.filter(holdsT1));
    expect(positionsOf(await c.find({ $and: [{ tenant: 't1' }, { n: { $lt: 500 } }] }, { sort: { n: -1 }, limit: 3 }).toArray())).to.deep.equal(
      order.filter((i) => holdsT1(i) && i < 500).sort((a, b) => b - a).slice(0, 3),
    );
    expect(await c.countDocuments({ tenant: 't1' })).to.equal(order.filter(holdsT1).length);
    // Writes in between: the lookup follows them.
    await c.updateOne({ _id: 2 }, { $set: { tenant: 't1' } });
    await c.deleteOne({ _id: 1 });
    const now = (i: number) => i !== 1 && (i === 2 || holdsT1(i));
    expect(positionsOf(await c.find({ tenant: 't1' }).toArray())).to.deep.equal(order.filter(now));
    expect(positionsOf(await c.find({ tenant: 'nobody' }).toArray())).to.deep.equal([]);
  });

  it('pages a large collection by a string equality in sort order, ties in natural order, the same after writes', async () => {
    const c = client.db('idx').collection('sorted_pages');
    // Inserted in a shuffled order: natural order is not _id order. rank has many ties.
    const order = shuffled(Array.from({ length: 3000 }, (_, i) => i), 11);
    const docOf = (i: number) => ({ _id: i, tenant: `t${i % 3}`, rank: i % 40, k: i % 7 });
    await c.insertMany(order.map(docOf));
    const natural = new Map(order.map((id, at) => [id, at]));
    // Expected: the tenant's documents sorted by rank, equal ranks in natural order (stable sort).
    const expected = (docs: { _id: number; tenant: string; rank: number; k: number }[], dir: 1 | -1, keep: (d: { k: number }) => boolean = () => true) =>
      docs
        .filter((d) => d.tenant === 't1' && keep(d))
        .sort((a, b) => dir * (a.rank - b.rank) || natural.get(a._id)! - natural.get(b._id)!)
        .map((d) => d._id);
    const pages = async (sort: Record<string, 1 | -1>, filter: Record<string, unknown>, size: number) => {
      const out: number[] = [];
      // The same query page after page (skip and limit), as a list endpoint pages.
      for (let skip = 0; ; skip += size) {
        const page = await c.find({ tenant: 't1', ...filter }, { sort, skip, limit: size }).toArray();
        out.push(...page.map((d) => d._id as number));
        if (page.length < size) return out;
      }
    };
    const docs = order.map(docOf);
    expect(await pages({ rank: 1 }, {}, 37)).to.deep.equal(expected(docs, 1));
    expect(await pages({ rank: -1 }, {}, 50)).to.deep.equal(expected(docs, -1));
    expect(await pages({ rank: 1 }, { k: 3 }, 9)).to.deep.equal(expected(docs, 1, (d) => d.k === 3));
    // Without a limit, every match in sort order.
    expect((await c.find({ tenant: 't1' }, { sort: { rank: -1 } }).toArray()).map((d) => d._id)).to.deep.equal(expected(docs, -1));
    // Writes in between: a changed rank, a moved tenant, a new document, a deleted one.
    await c.updateOne({ _id: 4 }, { $set: { rank: 39 } });
    await c.updateOne({ _id: 7 }, { $set: { tenant: 't2' } });
    await c.insertOne({ _id: 5000, tenant: 't1', rank: 0, k: 3 });
    await c.deleteOne({ _id: 10 });
    const after = [...docs.map((d) => (d._id === 4 ? { ...d, rank: 39 } : d._id === 7 ? { ...d, tenant: 't2' } : d)).filter((d) => d._id !== 10), { _id: 5000, tenant: 't1', rank: 0, k: 3 }];
    natural.set(5000, order.length);
    expect(await pages({ rank: 1 }, {}, 37)).to.deep.equal(expected(after, 1));
    expect(await pages({ rank: 1 }, { k: 3 }, 9)).to.deep.equal(expected(after, 1, (d) => d.k === 3));
  });

  it('answers date ranges on a large collection exactly: arrays, other types and missing fields included', async () => {
    const c = client.db('idx').collection('date_ranges');
    const day = 86_400_000;
    const base = Date.UTC(2025, 0, 1);
    // Mostly dates; now and then an array of dates, a string, a Timestamp, a number or nothing.
    const atOf = (i: number): unknown =>
      i % 97 === 0 ? [new Date(base + (i % 50) * day), new Date(base + 400 * day)] : i % 89 === 0 ? '2025-01-10' : i % 83 === 0 ? new Timestamp({ t: 5, i: 1 }) : i % 79 === 0 ? 5 : i % 73 === 0 ? undefined : new Date(base + (i % 365) * day);
    await c.insertMany(Array.from({ length: 3000 }, (_, i) => (atOf(i) === undefined ? { _id: i, t: `t${i % 2}` } : { _id: i, t: `t${i % 2}`, at: atOf(i) })));
    const lo = base + 30 * day;
    const hi = base + 60 * day;
    // Expected by MongoDB's rules: a date in [lo, hi); an array matches when each bound holds for
    // some element (not necessarily the same one: that would be $elemMatch).
    const dateIn = (v: unknown, test: (t: number) => boolean) => v instanceof Date && test(v.getTime());
    const inRange = (v: unknown): boolean =>
      Array.isArray(v) ? v.some((e) => dateIn(e, (t) => t >= lo)) && v.some((e) => dateIn(e, (t) => t < hi)) : dateIn(v, (t) => t >= lo && t < hi);
    const expected = (keep: (i: number) => boolean) => Array.from({ length: 3000 }, (_, i) => i).filter((i) => keep(i) && inRange(atOf(i)));
    const ids = async (filter: Document) => (await c.find(filter, { sort: { _id: 1 } }).toArray()).map((d) => d._id);
    expect(await ids({ at: { $gte: new Date(lo), $lt: new Date(hi) } })).to.deep.equal(expected(() => true));
    expect(await ids({ $and: [{ t: 't1' }, { at: { $gte: new Date(lo), $lt: new Date(hi) } }] })).to.deep.equal(expected((i) => i % 2 === 1));
    expect(await ids({ t: 't0', at: { $gt: new Date(lo - 1), $lte: new Date(hi - 1) } })).to.deep.equal(expected((i) => i % 2 === 0));
    // A bound of another type is not a date range: the filter alone decides (numbers match numbers only).
    expect(await ids({ at: { $gte: 0, $lt: 10 } })).to.deep.equal(Array.from({ length: 3000 }, (_, i) => i).filter((i) => atOf(i) === 5));
  });

  it('hands over the stored BSON with raw: true', async () => {
    const c = client.db('idx').collection('raw');
    const doc = { _id: 'r1', big: Long.fromNumber(5), ratio: new Double(3), n: new Int32(7), at: new Date(0) };
    await c.insertOne(doc);
    const [bytes] = await c.find({ _id: 'r1' }, { raw: true } as never).toArray();
    expect(Buffer.isBuffer(bytes)).to.equal(true);
    expect((bytes as unknown as Buffer).equals(Buffer.from(serialize(doc)))).to.equal(true);
    const [projected] = await c.find({}, { raw: true, projection: { big: 1 } } as never).toArray();
    expect((projected as unknown as Buffer).equals(Buffer.from(serialize({ _id: 'r1', big: Long.fromNumber(5) })))).to.equal(true);
  });
});
