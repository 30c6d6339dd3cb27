import { expect } from 'chai';
import { Binary, Decimal128, Long, ObjectId, serialize, type Document } from 'bson';
import { randomBytes } from 'node:crypto';
import { MODULES } from '../../src/modules/registry.js';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { fieldsOf, isTenantScoped } from '../../src/codec/fields.js';
import { ModuleDrift } from '../../src/demo/drift.js';
import { driftVerdict, quarantineCategory } from '../../src/demo/drift-verdict.js';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { legacyIdOf } from '../../src/mongo/legacy-id.js';
import { mongoTarget } from '../setup/environment.js';

/**
 * `demo --drift` generates the drift it declares, for every module: asserted on the generated legacy
 * documents themselves (what conversion makes of them depends on other work).
 */

const TENANTS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const NOW = new Date('2026-06-01T00:00:00.000Z');
const OPTIONS = { tenants: TENANTS, count: 7, seed: 9, now: NOW, corpusDir: null };

function generate(module: ModuleDefinition): { original: (readonly [string, Document])[]; drifted: (readonly [string, Document])[]; drift: ModuleDrift } {
  const original = [...module.demo!(OPTIONS)];
  const drift = new ModuleDrift(module, { seed: OPTIONS.seed, tenants: TENANTS, now: NOW });
  const drifted = [...drift.apply(module.demo!(OPTIONS))];
  return { original, drifted, drift };
}

function specOf(module: ModuleDefinition, collection: string): EntitySpec | undefined {
  return module.entities.find((e) => e.collection === collection);
}

function undeclaredKeys(spec: EntitySpec, doc: Document): string[] {
  const known = new Set(['_id', ...fieldsOf(spec).filter((f) => !f.generated).map((f) => f.mongo)]);
  return Object.keys(doc).filter((k) => !known.has(k));
}

/** Later documents repeating a declared unique key of an earlier one of the same tenant. */
function duplicates(module: ModuleDefinition, docs: readonly (readonly [string, Document])[]): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const [collection, doc] of docs) {
    const spec = specOf(module, collection);
    if (!spec || !isTenantScoped(spec)) continue;
    for (const key of spec.uniqueKeys ?? []) {
      const values = key.map((f) => doc[fieldsOf(spec).find((x) => x.name === f)!.mongo]);
      if (values.some((v) => v === null || v === undefined)) continue;
      const text = `${collection}|${key.join(',')}|${String(doc.tenantId)}|${JSON.stringify(values)}`;
      if (seen.has(text)) found.push(`${collection} ${legacyIdOf(doc._id)}`);
      seen.add(text);
    }
  }
  return [...new Set(found)];
}

const withDemo = MODULES.filter((m) => m.demo);

describe('demo --drift: the generated legacy data carries the declared drift', function () {
  this.timeout(120_000);

  it('covers every module', () => {
    expect(withDemo.map((m) => m.name)).to.have.length(9);
  });

  for (const module of withDemo) {
    describe(module.name, () => {
      const { original, drifted, drift } = generate(module);

      it('gives undeclared fields to a third of the documents of every collection (one in each block of three)', () => {
        const byCollection = new Map<string, { n: number; undeclared: number }>();
        for (const [collection, doc] of drifted) {
          const spec = specOf(module, collection);
          if (!spec) continue;
          const c = byCollection.get(collection) ?? { n: 0, undeclared: 0 };
          c.n++;
          if (undeclaredKeys(spec, doc).length > 0) c.undeclared++;
          byCollection.set(collection, c);
        }
        expect(byCollection.size).to.be.greaterThan(0);
        for (const [collection, c] of byCollection) {
          // The deliberate duplicate copies its original's fields: at most one more.
          expect(c.undeclared, collection).to.be.within(Math.floor(c.n / 3), Math.ceil(c.n / 3) + 1);
        }
        const all = drifted.filter(([c]) => specOf(module, c));
        const some = all.find(([c, d]) => undeclaredKeys(specOf(module, c)!, d).length > 0)!;
        expect(some[1].legacyFlag).to.equal(true);
        expect(undeclaredKeys(specOf(module, some[0])!, some[1])).to.have.length(3);
      });

      it('names every tenant but the last, consistently; no renamed UUID is left', () => {
        const tenants = new Set(drifted.filter(([c]) => specOf(module, c) && isTenantScoped(specOf(module, c)!)).map(([, d]) => d.tenantId));
        expect([...tenants].sort()).to.deep.equal([TENANTS[2], 'acme', 'globex'].sort());
        const byId = new Map(original.map(([c, d]) => [`${c} ${legacyIdOf(d._id)}`, d.tenantId]));
        const expected: Record<string, string> = { [TENANTS[0]!]: 'acme', [TENANTS[1]!]: 'globex', [TENANTS[2]!]: TENANTS[2]! };
        for (const [c, d] of drifted) {
          const before = byId.get(`${c} ${legacyIdOf(d._id)}`);
          if (before !== undefined && specOf(module, c)) expect(d.tenantId, `${c} ${legacyIdOf(d._id)}`).to.equal(expected[before as string]);
        }
      });

      it('breaks exactly one unique key: a later document repeating the natural key of another of the same tenant', () => {
        const added = duplicates(module, drifted).filter((d) => !duplicates(module, original).includes(d));
        const ledger = drift.ledger().duplicate!;
        expect(added).to.deep.equal([`${ledger.collection} ${ledger.legacyId}`]);
        expect(drifted.length).to.equal(original.length + 1);
        const copy = drifted.find(([c, d]) => c === ledger.collection && legacyIdOf(d._id) === ledger.legacyId)![1];
        const kept = drifted.find(([c, d]) => c === ledger.collection && legacyIdOf(d._id) === ledger.duplicateOf)![1];
        expect({ ...copy, _id: null }).to.deep.equal({ ...kept, _id: null });
        expect(specOf(module, ledger.collection)!.tier.tier).to.equal('A');
      });

      it('puts typed BSON values and $-prefixed keys inside json payloads', () => {
        const typed = drifted.map(([, d]) => Object.values(d).find((v) => v && typeof v === 'object' && (v as Document).legacyTyped) as Document | undefined).filter(Boolean) as Document[];
        expect(typed.length, 'documents with a typed payload').to.be.greaterThan(0);
        const t = typed[0]!.legacyTyped as Document;
        expect(t.at).to.be.instanceOf(Date);
        expect(t.big).to.be.instanceOf(Long);
        expect((t.big as Long).greaterThan(Long.fromNumber(Number.MAX_SAFE_INTEGER))).to.equal(true);
        expect(t.amount).to.be.instanceOf(Decimal128);
        expect(Number.isNaN(t.ratio)).to.equal(true);
        expect(t.ref).to.be.instanceOf(ObjectId);
        expect(t.blob).to.be.instanceOf(Binary);
        expect(Object.keys(t.update as Document)).to.deep.equal(['$set', '$inc']);
        expect(t.$schema).to.be.a('string');
      });

      it('is deterministic: the same options give the same bytes', () => {
        const again = generate(module).drifted;
        expect(again.map(([c, d]) => `${c}:${Buffer.from(serialize(d)).toString('hex')}`)).to.deep.equal(drifted.map(([c, d]) => `${c}:${Buffer.from(serialize(d)).toString('hex')}`));
      });
    });
  }

  it('gives the deliberate duplicate an _id MongoDB sorts after its original (conversion keeps the original)', async () => {
    const { url } = await mongoTarget();
    const mongo = await connectMongo(url, `drift_${randomBytes(4).toString('hex')}`);
    try {
      for (const module of withDemo) {
        const { drifted, drift } = generate(module);
        const d = drift.ledger().duplicate!;
        await loadLegacyDocuments(mongo.db, drifted.filter(([c]) => c === d.collection));
        const ids = (await mongo.db.collection(d.collection).find({}, { sort: { _id: 1 } }).toArray()).map((x) => legacyIdOf(x._id));
        expect(ids.indexOf(d.legacyId), `${module.name} ${d.collection}`).to.be.greaterThan(ids.indexOf(d.duplicateOf));
        expect(ids.indexOf(d.duplicateOf)).to.be.at.least(0);
      }
    } finally {
      await mongo.db.dropDatabase?.();
      await mongo.close();
    }
  });

  it('sorts quarantine reasons into what PostgreSQL cannot store and what it can', () => {
    expect(quarantineCategory('PostgreSQL refused the row (SQLSTATE 23505): duplicate key value violates unique constraint "ux_role_name"')).to.equal('duplicate-key');
    expect(quarantineCategory('name: contains U+0000, which PostgreSQL text cannot store')).to.equal('unstorable');
    expect(quarantineCategory('at: -5000-01-01T00:00:00.000Z is before 4714 BC, which PostgreSQL timestamptz cannot store')).to.equal('unstorable');
    expect(quarantineCategory('legacyFlag: unknown field (not declared for roles); nothing is dropped silently')).to.equal('other');
    expect(quarantineCategory('tenantId: not a UUID: "acme"')).to.equal('other');
    expect(quarantineCategory('diff.legacyTyped.ratio: NaN cannot be stored in jsonb')).to.equal('other');
  });

  it('the drift rule passes on duplicates and unstorable values only, and needs the deliberate duplicate in the quarantine', () => {
    const ledger = {
      module: 'Authority',
      collections: {},
      tenantNames: {},
      duplicate: { collection: 'roles', legacyId: 'oid:000000000000000000000002', duplicateOf: 'oid:000000000000000000000001', key: ['name'], tenant: 'acme' },
    };
    const dup = 'PostgreSQL refused the row (SQLSTATE 23505): duplicate key value violates unique constraint "ux_role_name" (Key (tenant_id, name)=(t, admin))';
    const rows = [
      { collection: 'roles', legacyId: 'oid:000000000000000000000002', reason: dup },
      { collection: 'roles', legacyId: 'str:r-9', reason: dup.replace('admin', 'viewer') },
      { collection: 'authority_users', legacyId: 'str:u-1', reason: 'username: contains U+0000, which PostgreSQL text cannot store' },
    ];
    const ok = driftVerdict(ledger, { documents: 10, converted: 5, skippedByTier: 2, quarantined: 3 }, rows);
    expect(ok.problems).to.deep.equal([]);
    expect(ok.ok).to.equal(true);
    expect(ok.quarantine.map((g) => [g.collection, g.category, g.count, g.legacyIds])).to.deep.equal([
      ['authority_users', 'unstorable', 1, ['str:u-1']],
      ['roles', 'deliberate-duplicate', 1, ['oid:000000000000000000000002']],
      ['roles', 'duplicate-key', 1, ['str:r-9']],
    ]);

    const bad = driftVerdict(ledger, { documents: 10, converted: 5, skippedByTier: 2, quarantined: 2 }, [
      { collection: 'roles', legacyId: 'str:r-9', reason: dup },
      { collection: 'roles', legacyId: 'str:r-3', reason: 'legacyFlag: unknown field (not declared for roles); nothing is dropped silently' },
    ]);
    expect(bad.ok).to.equal(false);
    expect(bad.problems).to.deep.equal([
      '1 document(s) quarantined for reasons PostgreSQL can store: roles: legacyFlag: unknown field (not declared for roles); nothing is dropped silently (1)',
      'the deliberate duplicate roles oid:000000000000000000000002 (key name of oid:000000000000000000000001) is not in the quarantine',
      '10 document(s) seeded, but converted + skipped + quarantined = 9',
    ]);
  });
});
