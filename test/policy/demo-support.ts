import { expect } from 'chai';
import { EJSON } from 'bson';
import type { DemoOptions, ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';

export const DEMO_OPTIONS: DemoOptions = Object.freeze({
  tenants: ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', 'b0e6f1c2-1111-4a59-9d3e-0b7a1f6f2a10'],
  count: 12,
  seed: 7,
  now: new Date('2026-06-01T00:00:00.000Z'),
  corpusDir: null,
});

/**
 * The checks every `demo` generator of Policy, PacksRegistry and IssuerDirectory passes:
 * deterministic per seed, every declared collection covered, every document decodes exactly
 * (what conversion will do), unique keys unique per tenant, and the id kinds legacy data has.
 */
export function describeDemo(module: ModuleDefinition, expectIdKinds: readonly string[]): void {
  describe(`${module.name} demo data`, () => {
    it('is deterministic for a seed and differs for another', () => {
      const a = EJSON.stringify([...module.demo!(DEMO_OPTIONS)], { relaxed: false });
      const b = EJSON.stringify([...module.demo!(DEMO_OPTIONS)], { relaxed: false });
      const c = EJSON.stringify([...module.demo!({ ...DEMO_OPTIONS, seed: 8 })], { relaxed: false });
      expect(a).to.equal(b);
      expect(a).to.not.equal(c);
    });

    it('covers every collection, decodes without loss and respects the unique keys', () => {
      const byCollection = new Map<string, number>();
      const keys = new Set<string>();
      const idKinds = new Set<string>();
      const tenants = new Set<string>();
      const ids = new Set<string>();
      for (const [collection, doc] of module.demo!(DEMO_OPTIONS)) {
        byCollection.set(collection, (byCollection.get(collection) ?? 0) + 1);
        const spec = module.entities.find((e) => e.collection === collection);
        expect(spec, collection).to.not.equal(undefined);
        const { entity, legacyId } = decodeDocument(spec!, doc);
        idKinds.add(legacyId.split(':')[0]!);
        // `_id` is unique per collection across tenants (the legacy store has one collection).
        expect(ids.has(`${collection}|${legacyId}`), `${collection} _id ${legacyId}`).to.equal(false);
        ids.add(`${collection}|${legacyId}`);
        tenants.add(entity.tenantId as string);
        for (const key of spec!.uniqueKeys ?? []) {
          const k = `${collection}|${entity.tenantId}|${key.map((f) => String(entity[f])).join('|')}`;
          expect(keys.has(k), k).to.equal(false);
          keys.add(k);
        }
      }
      expect([...byCollection.keys()].sort()).to.deep.equal(module.entities.map((e) => e.collection).sort());
      expect([...idKinds].sort()).to.deep.equal([...expectIdKinds]);
      expect([...tenants].sort()).to.deep.equal([...DEMO_OPTIONS.tenants].sort());
    });
  });
}
