import { expect } from 'chai';
import { deepStrictEqual } from 'node:assert';
import { randomUUID } from 'node:crypto';
import {
  Binary,
  BSONRegExp,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  serialize,
  Timestamp,
  UUID,
  type Document,
} from 'bson';
import { canonicalJson } from '../../src/codec/canonical.js';
import { fieldsOf, isTenantScoped, qualifiedName, type ResolvedField } from '../../src/codec/fields.js';
import { legacyExtraOf } from '../../src/codec/legacy-extra.js';
import { typedToJson } from '../../src/codec/typed-json.js';
import { pgSettings } from '../../src/postgres/pool-settings.js';
import { runConversion } from '../../src/conversion/index.js';
import type { Entity, EntitySpec } from '../../src/interfaces/entity-spec.js';
import type { EntityRepository } from '../../src/interfaces/repository.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { MODULES } from '../../src/modules/registry.js';
import { decodeDocument, EXACT_DOCUMENT_READ } from '../../src/mongo/document-codec.js';
import { mongoIdForUuid } from '../../src/mongo/legacy-id.js';
import { MongoRepository } from '../../src/mongo/mongo-repository.js';
import { dataParity } from '../../src/parity/index.js';
import { shouldConvert } from '../../src/parity/data-parity.js';
import { ReadOnlyDataSource } from '../../src/parity/read-only-data-source.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { useRuntimeWithAdmin } from '../setup/runtime.js';

/**
 * Drifted legacy data, for every entity of every module (issue 9): a legacy document with fields its
 * declaration does not name and BSON-only values inside its JSON payloads converts, reads the same on
 * both backends, passes data parity, and keeps every undeclared field and every BSON type through
 * updates by the Mongo, Postgres and DualWrite repositories (byte for byte in MongoDB, exactly in
 * PostgreSQL). A document PostgreSQL cannot hold (U+0000 in an undeclared field) is quarantined with
 * its reason.
 */

const TENANT = '5a5a5a5a-1111-4222-8333-444444444444';
const ctx = tenantContext(TENANT);
const NOW = new Date();

/** Undeclared legacy fields: every BSON type PostgreSQL jsonb can hold only through the typed encoding. */
function undeclared(): Document {
  return {
    legacyFlag: true,
    legacyTyped: {
      at: new Date(Date.UTC(2001, 1, 3, 4, 5, 6, 789)),
      bc: new Date(-200_000_000_000_000), // year -4368
      big: Long.fromString('9007199254740993'),
      small: Long.fromNumber(5),
      int: new Int32(7),
      dbl: new Double(5),
      frac: 1.25,
      dec: Decimal128.fromString('1.50E+2'),
      nan: NaN,
      inf: -Infinity,
      negz: new Double(-0),
      oid: new ObjectId('65a1b2c3d4e5f6a7b8c9d0e1'),
      bin: new Binary(Buffer.from([0, 1, 2, 255]), 0x80),
      uuid: new UUID('0b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4'),
      ts: new Timestamp({ t: 1_700_000_000, i: 3 }),
      re: new BSONRegExp('^a.*z$', 'im'),
      min: new MinKey(),
      max: new MaxKey(),
      code: new Code('function () { return 1; }'),
      // Keys of the payload's own that look like wrappers or operators.
      update: { $set: { a: 1 }, $unset: { b: '' } },
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      fake: { $numberLong: 'not a long' },
      $$double: 'two dollars',
    },
    legacyList: [new Int32(1), Long.fromNumber(2), new Double(3), 'four', null],
  };
}

/** A typed payload for a declared `json` field. */
function typedPayload(): Document {
  return { n: Long.fromString('-9223372036854775808'), when: new Date(Date.UTC(1969, 6, 20)), d: Decimal128.fromString('0.10'), x: NaN, $op: { $inc: { c: new Int32(1) } } };
}

/** The first demo document of each collection, per module. */
function demoDocuments(module: (typeof MODULES)[number], count: number): Map<string, Document[]> {
  const out = new Map<string, Document[]>();
  if (!module.demo) return out;
  for (const [collection, doc] of module.demo({ tenants: [TENANT], count, seed: 9, now: NOW, corpusDir: null })) {
    const list = out.get(collection) ?? [];
    if (list.length < 2) list.push(doc);
    out.set(collection, list);
  }
  return out;
}

/** A field a generic patch can change without touching keys, immutables or generated values. */
function patchField(spec: EntitySpec): ResolvedField | null {
  const keyed = new Set((spec.uniqueKeys ?? []).flat());
  const immutable = new Set(spec.immutable ?? []);
  const ordered = new Set(Object.values(spec.orders).flatMap((o) => o.fields.map((f) => f.field)));
  const candidates = fieldsOf(spec).filter(
    (f) => !f.standard && !f.generated && !f.sensitive && !keyed.has(f.name) && !immutable.has(f.name) && !ordered.has(f.name) && f.name !== spec.partitionedBy,
  );
  return candidates.find((f) => f.type === 'text' && !f.enum) ?? candidates.find((f) => f.type === 'bool') ?? candidates.find((f) => f.type === 'int') ?? null;
}

function patchFor(field: ResolvedField, current: unknown, step: number): Record<string, unknown> {
  if (field.type === 'text') return { [field.name]: `${typeof current === 'string' ? current.slice(0, 200) : 'v'}~${step}` };
  if (field.type === 'bool') return { [field.name]: !current };
  return { [field.name]: ((typeof current === 'number' ? current : 0) % 1000) + step };
}

/** BSON bytes of one value, as BSON.serialize writes it. */
const bytesOf = (v: unknown) => Buffer.from(serialize({ v })).toString('hex');

interface Case {
  readonly spec: EntitySpec;
  readonly id: string;
  readonly doc: Document;
  readonly badLegacyId: string | null;
  patch: ResolvedField | null;
}

describe('legacy drift: undeclared fields and typed payloads, for every entity of every module', function () {
  this.timeout(600_000);
  const suite = useRuntimeWithAdmin('DualWrite', { modules: MODULES, dualWrite: { Primary: 'Postgres', ReconcileIntervalMs: 0 } });
  const cases: Case[] = [];
  const skipped: string[] = [];
  /** Documents the conversion must quarantine (U+0000), including those of entities whose good document the tier leaves out. */
  const expectedQuarantine: string[] = [];
  /** Entities whose module rules refuse any update (immutable facts): their update is not retried by the later tests. */
  const refusesUpdates = new Set<EntitySpec>();

  before(async () => {
    const db = suite.t.runtime.mongo!.db;
    for (const module of MODULES) {
      const demo = demoDocuments(module, 2);
      for (const spec of module.entities) {
        const docs = demo.get(spec.collection);
        if (!docs?.length || !isTenantScoped(spec) || spec.tier.tier === 'C') {
          skipped.push(`${qualifiedName(spec)} (no demo document, global or tier C)`);
          continue;
        }
        const id = randomUUID();
        const doc: Document = { ...docs[0]!, _id: mongoIdForUuid(id), ...undeclared() };
        if (!spec.derive) {
          for (const f of fieldsOf(spec)) if (f.type === 'json' && !f.generated && !f.sensitive) doc[f.mongo] = typedPayload();
        }
        await db.collection(spec.collection).deleteMany({});
        await db.collection(spec.collection).insertOne(doc);
        let badLegacyId: string | null = null;
        if (docs[1]) {
          const badId = randomUUID();
          await db.collection(spec.collection).insertOne({ ...docs[1], _id: mongoIdForUuid(badId), legacyNote: 'nul\u0000inside' });
          badLegacyId = `uuid:${badId}`;
          expectedQuarantine.push(`${spec.module}/${spec.collection}/${badLegacyId}`);
        }
        // The tier may leave the demo document out (an old lock, an expired token): then it is no round-trip case.
        // (checked a day later than the demo's clock: the conversion's reference time comes after it).
        if (!shouldConvert(spec, new Date(NOW.getTime() + 86_400_000))(decodeDocument(spec, doc).entity)) {
          skipped.push(`${qualifiedName(spec)} (tier ${spec.tier.tier} leaves the demo document out)`);
          continue;
        }
        cases.push({ spec, id, doc, badLegacyId, patch: patchField(spec) });
      }
      const report = await runConversion({ config: suite.t.config, module, progress: 'none', log: () => undefined });
      expect(report.ok, JSON.stringify(report)).to.equal(true);
    }
  });

  it('covers the entities of every module', () => {
    expect(new Set(cases.map((c) => c.spec.module)).size, `skipped: ${skipped.join('; ')}`).to.equal(MODULES.length);
    expect(cases.length).to.be.greaterThan(40);
  });

  it('converts every representable document; the quarantine holds only the U+0000 documents, with their reason', async () => {
    const rows = (await suite.admin.query<{ module: string; collection: string; legacy_id: string; reason: string }>('select module, collection, legacy_id, reason from core.conversion_quarantine order by 1, 2, 3')).rows;
    const expected = [...expectedQuarantine].sort();
    expect(rows.map((r) => `${r.module}/${r.collection}/${r.legacy_id}`).sort()).to.deep.equal(expected);
    for (const r of rows) expect(r.reason, r.legacy_id).to.match(/legacyNote: string contains U\+0000, which jsonb cannot store/);
    for (const c of cases) {
      const res = await suite.admin.query(`select legacy_extra from ${tableOf(c.spec)} where id = $1`, [c.id]);
      expect(res.rows.length, `${qualifiedName(c.spec)} converted`).to.equal(1);
      expect(canonicalJson(res.rows[0].legacy_extra), qualifiedName(c.spec)).to.equal(canonicalJson(typedToJson(decodeDocument(c.spec, c.doc).entity.legacyExtra)));
    }
  });

  it('data parity: 0 mismatches on every entity (the overflow compared in the typed encoding)', async () => {
    const postgres = new ReadOnlyDataSource(pgSettings(suite.t.config, suite.t.db.adminUrl));
    try {
      for (const c of cases) {
        const quarantine = new Map(c.badLegacyId ? [[c.badLegacyId, 'legacyNote: U+0000']] : []);
        const { report } = await dataParity({ spec: c.spec, mongo: suite.t.runtime.mongo!.db, postgres, quarantine, referenceTime: NOW, referenceTimeSource: 'option', sampleSize: 2, lookupSamples: 1 });
        expect(report.counts, qualifiedName(c.spec)).to.include({ differing: 0, missingInPostgres: 0, missingInMongo: 0, undecodable: 0, matched: 1 });
      }
    } finally {
      await postgres.close();
    }
  });

  it('both backends return the same domain value, overflow included', async () => {
    for (const c of cases) {
      const m = await new MongoRepository<Entity>(c.spec, suite.t.runtime.mongo!.db).get(ctx, c.id);
      const p = await new PostgresRepository<Entity>(c.spec, suite.t.runtime.postgres!).get(ctx, c.id);
      expect(m, qualifiedName(c.spec)).to.not.equal(null);
      deepStrictEqual(p, m, qualifiedName(c.spec));
      deepStrictEqual(legacyExtraOf(p), legacyExtraOf(m), qualifiedName(c.spec));
      expect(Object.keys(legacyExtraOf(m)).sort()).to.deep.equal(['legacyFlag', 'legacyList', 'legacyTyped']);
      expect(Object.isFrozen(m!.legacyExtra)).to.equal(true);
      expect(Object.keys(m!)).to.not.include('legacyExtra');
    }
  });

  /** Every undeclared field and every untouched JSON field of the stored MongoDB document is byte for byte the legacy one. */
  async function expectMongoKept(c: Case, label: string) {
    const stored = (await suite.t.runtime.mongo!.db.collection(c.spec.collection).findOne({ _id: mongoIdForUuid(c.id) }, EXACT_DOCUMENT_READ))!;
    for (const key of Object.keys(undeclared())) expect(bytesOf(stored[key]), `${qualifiedName(c.spec)} ${label}: ${key}`).to.equal(bytesOf(c.doc[key]));
    for (const f of fieldsOf(c.spec)) {
      if (f.type === 'json' && f.name !== c.patch?.name) expect(bytesOf(stored[f.mongo]), `${qualifiedName(c.spec)} ${label}: ${f.mongo}`).to.equal(bytesOf(c.doc[f.mongo]));
    }
  }

  /** The PostgreSQL row's overflow and JSON fields are exactly the legacy values in the typed encoding. */
  async function expectPostgresKept(c: Case, label: string) {
    const row = (await suite.admin.query(`select * from ${tableOf(c.spec)} where id = $1`, [c.id])).rows[0];
    const decoded = decodeDocument(c.spec, c.doc).entity;
    expect(canonicalJson(row.legacy_extra), `${qualifiedName(c.spec)} ${label}: legacy_extra`).to.equal(canonicalJson(typedToJson(decoded.legacyExtra)));
    for (const f of fieldsOf(c.spec)) {
      if (f.type === 'json' && f.name !== c.patch?.name) expect(canonicalJson(row[f.column]), `${qualifiedName(c.spec)} ${label}: ${f.column}`).to.equal(canonicalJson(typedToJson(decoded[f.name] ?? null)));
    }
  }

  it('an update through the Mongo repository keeps every undeclared field and BSON type byte for byte', async () => {
    let updated = 0;
    for (const c of cases.filter((x) => x.patch)) {
      const repo = new MongoRepository<Entity>(c.spec, suite.t.runtime.mongo!.db);
      const before = (await repo.get(ctx, c.id))! as unknown as Record<string, unknown>;
      let after;
      try {
        after = await repo.update(ctx, c.id, patchFor(c.patch!, before[c.patch!.name], 1) as never);
      } catch (err) {
        // A module rule that forbids every update (vuln facts are immutable) is not what this test is about.
        expect(String(err), qualifiedName(c.spec)).to.match(/immutable/);
        refusesUpdates.add(c.spec);
        c.patch = null;
        continue;
      }
      deepStrictEqual(legacyExtraOf(after), legacyExtraOf(before), qualifiedName(c.spec));
      await expectMongoKept(c, 'Mongo update');
      updated++;
    }
    expect(updated).to.be.greaterThan(20);
    expect(refusesUpdates.size, [...refusesUpdates].map(qualifiedName).join(', ')).to.be.lessThan(5);
  });

  it('an update through the Postgres repository keeps the overflow and typed payloads exactly', async () => {
    for (const c of cases.filter((x) => x.patch)) {
      const repo = new PostgresRepository<Entity>(c.spec, suite.t.runtime.postgres!);
      const before = (await repo.get(ctx, c.id))! as unknown as Record<string, unknown>;
      let after;
      try {
        after = await repo.update(ctx, c.id, patchFor(c.patch!, before[c.patch!.name], 2) as never);
      } catch (err) {
        // A table rule (trigger) that freezes published rows is not what this test is about.
        expect(String(err), qualifiedName(c.spec)).to.match(/immutable|cannot be changed/);
        refusesUpdates.add(c.spec);
        c.patch = null;
        continue;
      }
      deepStrictEqual(legacyExtraOf(after), legacyExtraOf(before), qualifiedName(c.spec));
      await expectPostgresKept(c, 'Postgres update');
    }
  });

  it('an update through the DualWrite repository keeps them in both stores, and both return the same entity', async () => {
    for (const c of cases.filter((x) => x.patch)) {
      const repo = suite.t.runtime.repository<Entity>(c.spec.module, c.spec.name) as EntityRepository<Entity>;
      const before = (await repo.get(ctx, c.id))! as unknown as Record<string, unknown>;
      await repo.update(ctx, c.id, patchFor(c.patch!, before[c.patch!.name], 3) as never);
    }
    await suite.t.runtime.flushDualWrite();
    for (const c of cases.filter((x) => x.patch)) {
      await expectPostgresKept(c, 'DualWrite update');
      await expectMongoKept(c, 'DualWrite replay');
      const m = await new MongoRepository<Entity>(c.spec, suite.t.runtime.mongo!.db).get(ctx, c.id);
      const p = await new PostgresRepository<Entity>(c.spec, suite.t.runtime.postgres!).get(ctx, c.id);
      deepStrictEqual(p, m, qualifiedName(c.spec));
      deepStrictEqual(legacyExtraOf(p), legacyExtraOf(m), qualifiedName(c.spec));
    }
  });

  it('inserts from services carry no overflow, and cannot write one', async () => {
    const c = cases.find((x) => x.spec.name === 'user')!;
    const repo = suite.t.runtime.repository<Entity>(c.spec.module, c.spec.name);
    const { id: _id, tenantId: _t, createdAt: _c, updatedAt: _u, ...rest } = (await repo.get(ctx, c.id))! as unknown as Record<string, unknown>;
    const fresh = await repo.insert(ctx, { ...rest, username: `fresh-${randomUUID()}` } as never);
    expect(legacyExtraOf(fresh)).to.deep.equal({});
    let error: unknown;
    try {
      await repo.insert(ctx, { ...rest, username: `fresh-${randomUUID()}`, legacyExtra: { x: 1 } } as never);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/legacyExtra.*not a declared field/);
  });
});
