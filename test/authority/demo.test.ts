import { expect } from 'chai';
import { EJSON } from 'bson';
import { authorityModule } from '../../src/modules/authority/index.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';

const options = { tenants: ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', 'b0e6f1c2-1111-4a59-9d3e-0b7a1f6f2a10'], count: 20, seed: 7, now: new Date('2026-06-01T00:00:00.000Z'), corpusDir: null };

describe('Authority demo data', () => {
  it('is deterministic for a seed and differs for another', () => {
    const a = EJSON.stringify([...authorityModule.demo!(options)], { relaxed: false });
    const b = EJSON.stringify([...authorityModule.demo!(options)], { relaxed: false });
    const c = EJSON.stringify([...authorityModule.demo!({ ...options, seed: 8 })], { relaxed: false });
    expect(a).to.equal(b);
    expect(a).to.not.equal(c);
  });

  it('covers every collection, decodes without loss and respects the unique keys', () => {
    const docs = [...authorityModule.demo!(options)];
    const byCollection = new Map<string, number>();
    const keys = new Set<string>();
    const idKinds = new Set<string>();
    for (const [collection, doc] of docs) {
      byCollection.set(collection, (byCollection.get(collection) ?? 0) + 1);
      const spec = authorityModule.entities.find((e) => e.collection === collection)!;
      const { entity, legacyId } = decodeDocument(spec, doc);
      idKinds.add(legacyId.split(':')[0]!);
      for (const key of spec.uniqueKeys ?? []) {
        const k = `${collection}|${entity.tenantId}|${key.map((f) => String(entity[f])).join('|')}`;
        expect(keys.has(k), k).to.equal(false);
        keys.add(k);
      }
    }
    expect([...byCollection.keys()].sort()).to.deep.equal(authorityModule.entities.map((e) => e.collection).sort());
    expect([...idKinds].sort()).to.deep.equal(['oid', 'str', 'uuid']);
  });
});
