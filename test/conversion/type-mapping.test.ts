import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Binary, Decimal128, deserialize, Double, Int32, EJSON, Long, ObjectId, serialize, UUID, type Document } from 'bson';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { canonicalEntity, canonicalJson } from '../../src/codec/canonical.js';
import { typedToJson } from '../../src/codec/typed-json.js';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { decodeDocument, EXACT_DOCUMENT_READ } from '../../src/mongo/document-codec.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { runMigrations } from '../../src/postgres/migrations/index.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { runConversion } from '../../src/conversion/index.js';
import type { Entity } from '../../src/interfaces/entity-spec.js';
import { startConversionEnv, testLog, type ConversionEnv } from './conversion-env.js';

/**
 * SPEC 6's type table, one case each, on a test-only entity with a field of every FieldType:
 * every document converts exactly (read back through the PostgresRepository) or lands in the
 * quarantine with its reason and its original bytes; nothing vanishes.
 */

const typesSpec: EntitySpec = {
  module: 'Authority',
  name: 'conv_type',
  collection: 'conv_types',
  schema: 'conv_test',
  table: 'type_case',
  fields: [
    { name: 'label', type: 'text' },
    { name: 'note', type: 'text', nullable: true },
    { name: 'count', type: 'int', nullable: true },
    { name: 'big', type: 'bigint', nullable: true },
    { name: 'ratio', type: 'float', nullable: true, allowNonFinite: true },
    { name: 'score', type: 'float', nullable: true },
    { name: 'amount', type: 'numeric', nullable: true },
    { name: 'flag', type: 'bool', nullable: true },
    { name: 'seenAt', type: 'timestamp', nullable: true },
    { name: 'payload', type: 'json', nullable: true },
    { name: 'blob', type: 'bytes', nullable: true },
    { name: 'tags', type: 'text[]', nullable: true },
    { name: 'refs', type: 'uuid[]', nullable: true },
    { name: 'ownerId', type: 'uuid', nullable: true },
  ],
  uniqueKeys: [['label']],
  orders: { default: { fields: [{ field: 'label', dir: 'asc' }] } },
  tier: { tier: 'A' },
};

const typesModule: ModuleDefinition = {
  name: 'Authority',
  folder: 'authority',
  schemas: ['authority', 'conv_test'],
  entities: [typesSpec],
  tokens: { conv_type: Symbol.for('Authority.conv_type') },
};

const DDL = `
create schema conv_test;
create table conv_test.type_case (
  id uuid primary key, tenant_id uuid not null, created_at timestamptz(3) not null, updated_at timestamptz(3) not null,
  label text not null, note text, count int, big bigint, ratio double precision, score double precision, amount numeric,
  flag boolean, seen_at timestamptz(3), payload jsonb, blob bytea, tags text[], refs uuid[], owner_id uuid, legacy_id text,
  legacy_extra jsonb not null default '{}');
create unique index ux_type_case_label on conv_test.type_case (tenant_id, label);
select core.enable_tenant_rls('conv_test.type_case');
`;

const TENANTS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const T0 = new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 123));

interface Case {
  readonly label: string;
  readonly id: unknown;
  readonly fields: Document;
  /** Quarantined with a reason matching this; converted when absent. */
  readonly quarantine?: RegExp;
  readonly check?: (row: Record<string, unknown>) => void;
}

let oidCounter = 0;
const oid = () => new ObjectId(`65a1b2c3d4e5f6a7b8c9${(oidCounter++).toString(16).padStart(4, '0')}`);

const cases: Case[] = [
  { label: 'int64-above-2^53-column', id: 1, fields: { big: Long.fromString('9007199254740993') }, check: (r) => expect(r.big).to.equal(9007199254740993n) },
  { label: 'int64-min-column', id: 2, fields: { big: Long.fromString('-9223372036854775808') }, check: (r) => expect(r.big).to.equal(-9223372036854775808n) },
  // JSON payloads keep every BSON type exactly (typed JSON encoding, src/codec/typed-json.ts).
  { label: 'int64-above-2^53-json', id: 3, fields: { payload: { n: Long.fromString('9007199254740993') } }, check: (r) => expect(r.payload).to.deep.equal({ n: Long.fromString('9007199254740993') }) },
  { label: 'int64-small-json', id: 'str-4', fields: { payload: { n: Long.fromNumber(5) } }, check: (r) => expect(r.payload).to.deep.equal({ n: Long.fromNumber(5) }) },
  { label: 'decimal-exponent', id: 'str-5', fields: { amount: Decimal128.fromString('1.50E+2') }, check: (r) => expect(r.amount).to.equal('150') },
  { label: 'decimal-negative-zero', id: 'str-6', fields: { amount: Decimal128.fromString('-0') }, check: (r) => expect(r.amount).to.equal('0') },
  { label: 'decimal-34-digits', id: 'str-7', fields: { amount: Decimal128.fromString('-1234567890123456789012.345678901234') }, check: (r) => expect(r.amount).to.equal('-1234567890123456789012.345678901234') },
  { label: 'decimal-tiny', id: 'str-8', fields: { amount: Decimal128.fromString('1.000E-20') }, check: (r) => expect(r.amount).to.equal('0.00000000000000000001000') },
  { label: 'nul-in-text', id: oid(), fields: { note: 'a\u0000b' }, quarantine: /note.*U\+0000/ },
  { label: 'nul-in-json', id: oid(), fields: { payload: { s: 'x\u0000y' } }, quarantine: /U\+0000/ },
  { label: 'nan-column', id: oid(), fields: { ratio: NaN }, check: (r) => expect(r.ratio).to.be.NaN },
  { label: 'infinity-column', id: oid(), fields: { ratio: Infinity }, check: (r) => expect(r.ratio).to.equal(Infinity) },
  { label: 'minus-infinity-column', id: oid(), fields: { ratio: -Infinity }, check: (r) => expect(r.ratio).to.equal(-Infinity) },
  { label: 'minus-zero-column', id: oid(), fields: { ratio: -0 }, check: (r) => expect(Object.is(r.ratio, -0)).to.equal(true) },
  { label: 'double-integral-column', id: oid(), fields: { ratio: new Double(5) }, check: (r) => expect(r.ratio).to.equal(5) },
  { label: 'double-precision-column', id: oid(), fields: { ratio: 0.1 + 0.2 }, check: (r) => expect(r.ratio).to.equal(0.30000000000000004) },
  { label: 'infinity-strict-column', id: oid(), fields: { score: Infinity }, quarantine: /score.*Infinity is not allowed/ },
  { label: 'nan-json', id: oid(), fields: { payload: { v: NaN } }, check: (r) => expect((r.payload as { v: number }).v).to.be.NaN },
  { label: 'infinity-json', id: oid(), fields: { payload: [1, -Infinity] }, check: (r) => expect(r.payload).to.deep.equal([1, -Infinity]) },
  { label: 'date-milliseconds', id: new UUID('0b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4'), fields: { seenAt: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)) }, check: (r) => expect((r.seenAt as Date).toISOString()).to.equal('1999-12-31T23:59:59.999Z') },
  { label: 'date-before-1970', id: new UUID('1b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4'), fields: { seenAt: new Date(Date.UTC(1969, 6, 20, 20, 17, 40, 1)) }, check: (r) => expect((r.seenAt as Date).getTime()).to.equal(Date.UTC(1969, 6, 20, 20, 17, 40, 1)) },
  {
    label: 'nested-json',
    id: new UUID('2b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4'),
    fields: { payload: { a: { b: [1, { c: [true, null, 'é', 2.5] }] }, arr: [[1, 2], [], [{}]], z: 'last', '10': 'integer-like key' } },
    check: (r) => expect(canonicalJson(r.payload)).to.equal(canonicalJson({ a: { b: [1, { c: [true, null, 'é', 2.5] }] }, arr: [[1, 2], [], [{}]], z: 'last', '10': 'integer-like key' })),
  },
  {
    label: 'dollar-and-dot-keys-json',
    id: new UUID('3b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4'),
    fields: { payload: { $set: 1, 'a.b': { $ref: 'x', 'c.d.e': [{ $numberLong: '7' }] } } },
    check: (r) => expect(r.payload).to.deep.equal({ $set: 1, 'a.b': { $ref: 'x', 'c.d.e': [{ $numberLong: '7' }] } }),
  },
  // Exact type variance (issue 9 point 5): the same number in another BSON type converts; a value that would change is quarantined.
  { label: 'int32-in-float', id: 'tv-1', fields: { ratio: new Int32(7) }, check: (r) => expect(r.ratio).to.equal(7) },
  { label: 'int64-in-float-within-2^53', id: 'tv-2', fields: { ratio: Long.fromString('9007199254740991') }, check: (r) => expect(r.ratio).to.equal(9007199254740991) },
  { label: 'int64-in-float-beyond-2^53', id: 'tv-3', fields: { ratio: Long.fromString('9007199254740993') }, quarantine: /ratio: expected a double, found Int64 9007199254740993 beyond 2\^53/ },
  { label: 'integral-double-in-int', id: 'tv-4', fields: { count: new Double(42) }, check: (r) => expect(r.count).to.equal(42) },
  { label: 'integral-double-in-bigint', id: 'tv-5', fields: { big: new Double(2 ** 60) }, check: (r) => expect(r.big).to.equal(2n ** 60n) },
  { label: 'fraction-in-int', id: 'tv-6', fields: { count: 1.5 }, quarantine: /count: expected a 32-bit integer, found number 1\.5 \(not integral: it would change\)/ },
  { label: 'double-beyond-int32-in-int', id: 'tv-7', fields: { count: new Double(2 ** 31) }, quarantine: /count: expected a 32-bit integer/ },
  { label: 'date-4369-bc', id: 'tv-8', fields: { seenAt: new Date(-200_000_000_000_000) }, check: (r) => expect((r.seenAt as Date).getTime()).to.equal(-200_000_000_000_000) },
  { label: 'date-year-0', id: 'tv-9', fields: { seenAt: new Date('0000-02-29T12:34:56.789Z') }, check: (r) => expect((r.seenAt as Date).toISOString()).to.equal('0000-02-29T12:34:56.789Z') },
  { label: 'date-4713-bc-first-day', id: 'tv-10', fields: { seenAt: new Date(Date.UTC(-4713, 10, 24)) }, check: (r) => expect((r.seenAt as Date).getTime()).to.equal(Date.UTC(-4713, 10, 24)) },
  { label: 'date-year-275760', id: 'tv-11', fields: { seenAt: new Date(8.64e15) }, check: (r) => expect((r.seenAt as Date).getTime()).to.equal(8.64e15) },
  { label: 'date-before-4713-bc', id: 'tv-12', fields: { seenAt: new Date(Date.UTC(-4713, 10, 23, 23, 59, 59, 999)) }, quarantine: /seenAt: .*before 4714 BC/ },
  { label: 'typed-json-and-escapes', id: 'tv-13', fields: { payload: { at: new Date(-1), d: Decimal128.fromString('1E+3'), z: new Double(-0), $set: { $numberLong: '1' } } }, check: (r) => expect(canonicalJson(typedToJson(r.payload))).to.equal(canonicalJson({ at: { $date: { $numberLong: '-1' } }, d: { $numberDecimal: '1E+3' }, z: { $numberDouble: '-0.0' }, $$set: { $$numberLong: '1' } })) },
  { label: 'undeclared-top-level-field', id: 10, fields: { extra: 1 }, check: (r) => expect(r.legacyExtra).to.deep.equal({ extra: 1 }) },
  { label: 'binary', id: 11, fields: { blob: new Binary(Buffer.from([0, 1, 2, 0x5c, 0x0a, 255])) }, check: (r) => expect((r.blob as Buffer).equals(Buffer.from([0, 1, 2, 0x5c, 0x0a, 255]))).to.equal(true) },
  {
    label: 'text-array-escapes',
    id: 12,
    fields: { tags: ['a"b', 'c\\d', '{x,y}', 'NULL', '', 'tab\there', 'new\nline'], note: 'line1\nline2\ttab\\back\r' },
    check: (r) => {
      expect(r.tags).to.deep.equal(['a"b', 'c\\d', '{x,y}', 'NULL', '', 'tab\there', 'new\nline']);
      expect(r.note).to.equal('line1\nline2\ttab\\back\r');
    },
  },
  { label: 'uuid-array-and-field', id: 13, fields: { refs: ['AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA', new UUID('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')], ownerId: new UUID('cccccccc-cccc-4ccc-8ccc-cccccccccccc') }, check: (r) => expect(r.refs).to.deep.equal(['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb']) },
  { label: 'int32-and-bool', id: Long.fromString('9007199254740999'), fields: { count: -2147483648, flag: false }, check: (r) => expect([r.count, r.flag]).to.deep.equal([-2147483648, false]) },
  { label: 'int-overflow', id: 14, fields: { count: 2147483648 }, quarantine: /count: .*32-bit integer/ },
  { label: 'missing-required', id: 15, fields: { label: undefined }, quarantine: /label.*is required/ },
  { label: 'unsupported-id-date', id: new Date(Date.UTC(2020, 0, 1)), fields: {}, quarantine: /_id: unsupported _id type Date/ },
  { label: 'unsupported-id-object', id: { composite: 1 }, fields: {}, quarantine: /_id: unsupported _id type/ },
  { label: 'duplicate-label', id: 'str-90', fields: {}, check: () => undefined },
  // Same tenant and label as the previous one, later in _id order: PostgreSQL's unique index refuses it.
  { label: 'duplicate-label', id: 'str-91', fields: {}, quarantine: /PostgreSQL refused the row \(SQLSTATE 23505\).*ux_type_case_label/ },
];

function documentOf(c: Case, i: number): Document {
  const doc: Document = { _id: c.id, tenantId: TENANTS[i % 2], createdAt: new Date(T0.getTime() + i), updatedAt: new Date(T0.getTime() + i + 1), label: c.label };
  if (c.label === 'duplicate-label') doc.tenantId = TENANTS[0];
  for (const [k, v] of Object.entries(c.fields)) {
    if (v === undefined) delete doc[k];
    else doc[k] = v;
  }
  return doc;
}

function legacyIdOfCase(c: Case, bytes: Buffer): string {
  const id = c.id;
  if (id instanceof ObjectId) return `oid:${id.toHexString()}`;
  if (id instanceof UUID) return `uuid:${id.toHexString(true)}`;
  if (typeof id === 'string') return `str:${id}`;
  if (typeof id === 'number' || id instanceof Long) return `int:${id.toString()}`;
  return `unreadable:${createHash('sha256').update(bytes).digest('hex')}`;
}

describe('conversion: SPEC 6 type table', function () {
  this.timeout(120_000);
  let env: ConversionEnv;
  let docs: Document[];

  before(async () => {
    env = await startConversionEnv('conv_types');
    await runMigrations(env.db.adminUrl, migrationSetsFor([typesModule]));
    await env.admin.query(DDL);
    docs = cases.map(documentOf);
    await env.mongo.db.collection('conv_types').insertMany(docs);
  });
  after(async () => env?.close());

  it('converts exactly or quarantines every document, across _id types and small ranges', async () => {
    const report = await runConversion({ config: env.config, module: typesModule, batchSize: 3, rangeSize: 4, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    const [summary] = report.collections;
    expect(summary!.outcome).to.equal('completed');
    // Nothing vanishes: every source document is converted, skipped or quarantined, once.
    expect(summary!.converted + summary!.skipped + summary!.quarantined).to.equal(docs.length);
    expect(summary!.quarantined).to.equal(cases.filter((c) => c.quarantine).length);
    const job = (await env.admin.query(`select * from core.conversion_job where job_id = 'Authority/conv_types'`)).rows[0];
    expect(job.status).to.equal('finished');
    expect(Number(job.converted) + Number(job.skipped) + Number(job.quarantined)).to.equal(docs.length);
  });

  it('reads back every converted document as the same entity through the PostgresRepository', async () => {
    const ds = new PostgresDataSource({ url: env.db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 5000, idleTimeoutMs: 1000, maxLifetimeMs: 60_000 }, statementTimeoutMs: 10_000 });
    try {
      const repo = new PostgresRepository<Entity>(typesSpec, ds);
      for (const [i, c] of cases.entries()) {
        if (c.quarantine) continue;
        const doc = (await env.mongo.db.collection('conv_types').findOne({ _id: c.id }, EXACT_DOCUMENT_READ))!;
        const bytes = Buffer.from(serialize(docs[i]!));
        const legacyId = legacyIdOfCase(c, bytes);
        const expectedId = idFromLegacyId('conv_types', legacyId);
        const row = await repo.get(tenantContext(doc.tenantId as string), expectedId);
        expect(row, `${c.label} (${legacyId})`).to.not.equal(null);
        const decoded = decodeDocument(typesSpec, doc).entity;
        expect(canonicalJson(canonicalEntity(typesSpec, row as unknown as Record<string, unknown>)), c.label).to.equal(canonicalJson(canonicalEntity(typesSpec, decoded)));
        c.check?.(row as unknown as Record<string, unknown>);
        const legacy = await env.admin.query(`select legacy_id from conv_test.type_case where id = $1`, [expectedId]);
        expect(legacy.rows[0].legacy_id).to.equal(legacyId);
      }
    } finally {
      await ds.close();
    }
  });

  it('maps ids as SPEC 6 says: UUID kept, ObjectId / string / int through UUIDv5 with legacy_id', async () => {
    const rows = (await env.admin.query(`select id::text, legacy_id from conv_test.type_case`)).rows as { id: string; legacy_id: string }[];
    const byLegacy = new Map(rows.map((r) => [r.legacy_id, r.id]));
    expect(byLegacy.get('uuid:0b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4')).to.equal('0b4c2f3e-1d2a-4b5c-8d6e-7f8091a2b3c4');
    expect(byLegacy.get('int:1')).to.equal(idFromLegacyId('conv_types', 'int:1'));
    expect(byLegacy.get('int:9007199254740999')).to.equal(idFromLegacyId('conv_types', 'int:9007199254740999'));
    expect(byLegacy.get('str:str-4')).to.equal(idFromLegacyId('conv_types', 'str:str-4'));
    const oidRow = rows.find((r) => r.legacy_id.startsWith('oid:'))!;
    expect(oidRow.id).to.equal(idFromLegacyId('conv_types', oidRow.legacy_id));
    expect(new Set(rows.map((r) => r.id)).size).to.equal(rows.length);
  });

  it('keeps each quarantined document with its reason, its Extended JSON and its bytes', async () => {
    const rows = (await env.admin.query(`select * from core.conversion_quarantine where module = 'Authority' and collection = 'conv_types'`)).rows;
    const byId = new Map(rows.map((r) => [r.legacy_id as string, r]));
    expect(rows).to.have.length(cases.filter((c) => c.quarantine).length);
    for (const [i, c] of cases.entries()) {
      if (!c.quarantine) continue;
      const bytes = Buffer.from(serialize(docs[i]!));
      const legacyId = legacyIdOfCase(c, bytes);
      const row = byId.get(legacyId);
      expect(row, `${c.label}: quarantined under ${legacyId}`).to.not.equal(undefined);
      expect(row.reason, c.label).to.match(c.quarantine);
      expect(row.job_id).to.equal('Authority/conv_types');
      expect((row.document_bson as Buffer).equals(bytes), `${c.label}: original bytes`).to.equal(true);
      // The canonical Extended JSON of the stored document (types as stored: a JS number above 2^31 is a Double).
      const stored = deserialize(bytes, { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true });
      expect(row.document_ejson, c.label).to.equal(EJSON.stringify(stored, { relaxed: false }));
    }
  });

  it('keeps the exact original bytes even where the driver would promote a type (raw cursors: MongoDB and the memory: store)', async function () {
    // Quarantined for a U+0000 in its text (what PostgreSQL cannot hold); Int64 5 and double 3 would be promoted by a non-raw read.
    const doc = { _id: 'exact-bytes', tenantId: TENANTS[0], createdAt: T0, updatedAt: T0, label: 'ex\u0000act', big: Long.fromNumber(5), ratio: new Double(3) };
    await env.mongo.db.collection('conv_types').insertOne(doc);
    const report = await runConversion({ config: env.config, module: typesModule, rerun: true, progress: 'none', log: testLog });
    expect(report.ok).to.equal(true);
    const row = (await env.admin.query(`select document_bson from core.conversion_quarantine where legacy_id = 'str:exact-bytes'`)).rows[0];
    expect((row.document_bson as Buffer).equals(Buffer.from(serialize(doc)))).to.equal(true);
  });
});

const eventSpec: EntitySpec = {
  module: 'Authority',
  name: 'conv_event',
  collection: 'conv_events',
  schema: 'conv_test',
  table: 'event',
  fields: [
    { name: 'kind', type: 'text' },
    { name: 'occurredAt', type: 'timestamp' },
  ],
  orders: { default: { fields: [{ field: 'occurredAt', dir: 'desc' }] } },
  tier: { tier: 'A' },
  partitionedBy: 'occurredAt',
};

const eventModule: ModuleDefinition = { name: 'Authority', folder: 'authority', schemas: ['authority', 'conv_test'], entities: [eventSpec], tokens: { conv_event: Symbol.for('Authority.conv_event') } };

describe('conversion: partitioned tables', function () {
  this.timeout(120_000);
  let env: ConversionEnv;

  before(async () => {
    env = await startConversionEnv('conv_part');
    await runMigrations(env.db.adminUrl, migrationSetsFor([eventModule]));
    await env.admin.query(`
      create schema conv_test;
      create table conv_test.event (id uuid not null, tenant_id uuid not null, kind text not null, occurred_at timestamptz(3) not null,
        created_at timestamptz(3) not null, updated_at timestamptz(3) not null, legacy_id text,
        legacy_extra jsonb not null default '{}', primary key (id, occurred_at))
        partition by range (occurred_at);
      select core.enable_tenant_rls('conv_test.event');`);
  });
  after(async () => env?.close());

  it('creates the monthly partitions a batch needs, then loads it', async () => {
    const docs = Array.from({ length: 30 }, (_, i) => ({
      _id: new ObjectId(`75a1b2c3d4e5f6a7b8c9${i.toString(16).padStart(4, '0')}`),
      tenantId: TENANTS[i % 2],
      kind: `k${i}`,
      occurredAt: new Date(Date.UTC(2025, i % 3, 10 + (i % 15), 1, 2, 3, i)),
      createdAt: T0,
      updatedAt: T0,
    }));
    await env.mongo.db.collection('conv_events').insertMany(docs);
    const report = await runConversion({ config: env.config, module: eventModule, batchSize: 7, rangeSize: 10, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    expect(report.collections[0]!.converted).to.equal(30);
    const parts = (await env.admin.query(`select tableoid::regclass::text as part, count(*)::int as n from conv_test.event group by 1 order by 1`)).rows;
    expect(parts).to.deep.equal([
      { part: 'conv_test.event_p202501', n: 10 },
      { part: 'conv_test.event_p202502', n: 10 },
      { part: 'conv_test.event_p202503', n: 10 },
    ]);
  });
});
