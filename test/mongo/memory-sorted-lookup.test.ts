/**
 * The `memory:` store's tenant lookup in sort order (`CollectionData.sortedCandidates`): a large
 * collection queried by a tenant with a sort and a limit, page after page, returns what a plain
 * JavaScript filter and sort of the inserted documents gives: at rest (the list is sorted on the
 * first query and reused), with writes between the queries (a list never outlives a change), and
 * with documents whose tenant field is an array (candidates only the full filter decides).
 */
import { expect } from 'chai';
import { ObjectId } from 'bson';
import { MemoryMongoClient } from '../../src/mongo/memory/memory-store.js';
import type { MongoCollectionLike } from '../../src/mongo/mongo-types.js';

interface Doc {
  _id: ObjectId;
  tenant: string | string[];
  kind: string;
  createdAt: Date;
  meta: { score: number };
}

describe('memory: store, sorted pages of a tenant from its lookup', function () {
  this.timeout(60_000);
  const N = 3000; // above the size from which the store answers tenant equalities from its lookup
  const tenants = ['t-a', 't-b', 't-c'];
  const kinds = ['user', 'service', 'admin'];
  const docs: Doc[] = Array.from({ length: N }, (_, i) => ({
    _id: new ObjectId(i.toString(16).padStart(24, '0')),
    tenant: i % 7 === 0 ? ['t-a', 't-b'] : tenants[i % 3]!,
    kind: kinds[(i * 5) % 3]!,
    // Many equal timestamps: ties are broken by _id.
    createdAt: new Date(Date.UTC(2026, 0, 1) + ((i * 7919) % 1000) * 60_000),
    meta: { score: (i * 31) % 50 },
  }));
  const database = `sorted_lookup_${process.pid}`;
  let client: MemoryMongoClient;
  let coll: MongoCollectionLike;

  before(async () => {
    client = await MemoryMongoClient.connect('memory:');
    coll = client.db(database).collection('docs');
    await coll.insertMany(docs.map((d) => ({ ...d })));
  });
  after(async () => {
    await client.db(database).dropDatabase();
    await client.close();
  });

  /** The expected page, from the documents with plain JavaScript. */
  function expected(tenant: string, minScore: number, limit: number, skip = 0): string[] {
    return docs
      .filter((d) => (Array.isArray(d.tenant) ? d.tenant.includes(tenant) : d.tenant === tenant) && (d.kind === 'admin' || d.meta.score >= minScore))
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x._id.toHexString() < y._id.toHexString() ? 1 : -1))
      .slice(skip, limit > 0 ? skip + limit : undefined)
      .map((d) => d._id.toHexString());
  }

  async function page(tenant: string, minScore: number, limit: number, skip = 0): Promise<string[]> {
    const found = await coll.find({ tenant, $or: [{ kind: 'admin' }, { 'meta.score': { $gte: minScore } }] }, { sort: { createdAt: -1, _id: -1 }, limit, skip }).toArray();
    return found.map((d) => (d._id as ObjectId).toHexString());
  }

  it('at rest: every page, the same page again, and the whole list', async () => {
    for (const tenant of tenants) {
      expect(await page(tenant, 30, 25), tenant).to.deep.equal(expected(tenant, 30, 25));
      expect(await page(tenant, 30, 25), tenant).to.deep.equal(expected(tenant, 30, 25));
      expect(await page(tenant, 30, 25, 25), tenant).to.deep.equal(expected(tenant, 30, 25, 25));
      expect(await page(tenant, 45, 10), tenant).to.deep.equal(expected(tenant, 45, 10));
      expect(await page(tenant, 30, 0), tenant).to.deep.equal(expected(tenant, 30, 0));
    }
  });

  it('with a write between two pages: the next page sees it', async () => {
    for (let round = 0; round < 4; round++) {
      const first = expected('t-b', 30, 1)[0]!;
      expect(await page('t-b', 30, 5)).to.deep.equal(expected('t-b', 30, 5));
      // Move the first item of the list to the end of it (the oldest timestamp, still matching).
      const i = docs.findIndex((d) => d._id.toHexString() === first);
      const createdAt = new Date(Date.UTC(2025, 0, 1) - round * 60_000);
      await coll.updateOne({ _id: docs[i]!._id }, { $set: { createdAt } });
      docs[i] = { ...docs[i]!, createdAt };
      // Another tenant's query first, so that the next one finds the collection at rest again.
      expect(await page('t-a', 30, 5)).to.deep.equal(expected('t-a', 30, 5));
      const now = await page('t-b', 30, 5);
      expect(now).to.deep.equal(expected('t-b', 30, 5));
      expect(now).not.to.include(first);
      expect((await page('t-b', 30, 0)).at(-1)).to.equal(first);
    }
    // A new document at the head of another tenant's list, then one gone from it.
    const fresh: Doc = { _id: new ObjectId('ffffffffffffffffffffffff'), tenant: 't-c', kind: 'admin', createdAt: new Date(Date.UTC(2027, 0, 1)), meta: { score: 0 } };
    await coll.insertOne({ ...fresh });
    docs.push(fresh);
    expect((await page('t-c', 30, 3))[0]).to.equal('ffffffffffffffffffffffff');
    await coll.deleteOne({ _id: fresh._id });
    docs.pop();
    expect(await page('t-c', 30, 3)).to.deep.equal(expected('t-c', 30, 3));
  });
});
