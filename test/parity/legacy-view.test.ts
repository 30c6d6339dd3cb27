import { expect } from 'chai';
import type { Document } from 'bson';
import { legacyIdOf } from '../../src/mongo/legacy-id.js';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import { legacyView } from '../../src/parity/legacy-view.js';
import { mongoTarget } from '../setup/environment.js';
import { T1, T2, userDoc } from './parity-fixture.js';

describe('parity: legacy view without the quarantined documents', function () {
  this.timeout(60_000);
  let mongo: MongoDataSource;
  let docs: Document[];
  let excluded: Set<string>;
  const names = (list: Document[]) => list.map((d) => d.username as string);

  before(async () => {
    const target = await mongoTarget();
    mongo = await connectMongo(target.url, `view_${process.pid}_${Date.now()}`);
    docs = Array.from({ length: 400 }, (_, i) => userDoc(i + 1, i % 2 ? T2 : T1));
    await mongo.db.collection('authority_users').insertMany(docs.map((d) => ({ ...d })));
    // Two in three are quarantined: every page of every query has to look past them.
    excluded = new Set(docs.filter((_, i) => i % 3 !== 0).map((d) => legacyIdOf(d._id)));
  });
  after(async () => {
    await mongo?.db.dropDatabase();
    await mongo?.close();
  });

  it('answers find, findOne and countDocuments as if the quarantined documents were not there, skip and limit included', async () => {
    const view = legacyView(mongo.db, new Map([['authority_users', excluded]])).collection('authority_users');
    const kept = docs.filter((d) => !excluded.has(legacyIdOf(d._id)));
    const byName = (a: Document, b: Document) => (a.username < b.username ? 1 : -1);
    const t2 = kept.filter((d) => d.tenantId === T2).sort(byName);
    expect(names(await view.find({ tenantId: T2 }, { sort: { username: -1 } }).toArray())).to.deep.equal(names(t2));
    expect(names(await view.find({ tenantId: T2 }, { sort: { username: -1 }, limit: 7 }).toArray())).to.deep.equal(names(t2.slice(0, 7)));
    expect(names(await view.find({ tenantId: T2 }, { sort: { username: -1 }, skip: 5, limit: 7 }).toArray())).to.deep.equal(names(t2.slice(5, 12)));
    expect((await view.findOne({ tenantId: T2 }, { sort: { username: -1 } }))?.username).to.equal(t2[0]!.username);
    expect(await view.countDocuments({ tenantId: T2 })).to.equal(t2.length);
    expect(await view.countDocuments({})).to.equal(134);
    // A quarantined document cannot be found even by its own _id.
    const hidden = docs[1]!;
    expect(await view.findOne({ _id: hidden._id })).to.equal(null);
    // A projection without _id still excludes, and still leaves _id out.
    const projected = await view.find({ tenantId: T1 }, { sort: { username: 1 }, limit: 3, projection: { username: 1, _id: 0 } }).toArray();
    expect(projected).to.deep.equal(kept.filter((d) => d.tenantId === T1).sort((a, b) => -byName(a, b)).slice(0, 3).map((d) => ({ username: d.username })));
  });

  it('refuses every write', async () => {
    const view = legacyView(mongo.db, new Map([['authority_users', excluded]])).collection('authority_users');
    expect(() => view.deleteMany({})).to.throw(/read-only/);
    const plain = legacyView(mongo.db, new Map()).collection('authority_users');
    expect(() => plain.insertOne({})).to.throw(/read-only/);
    expect(await mongo.db.collection('authority_users').countDocuments({})).to.equal(400);
  });
});
