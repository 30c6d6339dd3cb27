import type { Document } from 'bson';
import { serialize, EJSON } from 'bson';
import { decodeDocument, encodeDocument } from '../../src/mongo/document-codec.js';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import type { Entity, EntitySpec } from '../../src/interfaces/entity-spec.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { pgSettings } from '../../src/postgres/pool-settings.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

/**
 * A parity test bed: a fresh PostgreSQL database with the Authority schema, a fresh legacy database
 * (memory: folder unless MONGO_URL), and helpers that write legacy documents and "convert" them the
 * way the conversion engine does (decode, then upsert with the legacy id), so each test can then
 * break exactly one thing.
 */
export const T1 = '11111111-1111-4111-8111-111111111111';
export const T2 = '22222222-2222-4222-8222-222222222222';
/** The reference time conversion used (tier-B windows). */
export const REF = new Date('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

export const at = (minutesBefore: number) => new Date(REF.getTime() - minutesBefore * 60_000);

/** A deterministic ObjectId legacy id; `n` distinct per document. */
export function oid(n: number): string {
  return `oid:65a1${n.toString(16).padStart(20, '0')}`;
}

export function spec(name: string): EntitySpec {
  const s = authorityModule.entities.find((e) => e.name === name);
  if (!s) throw new Error(`no Authority entity ${name}`);
  return s;
}

/** A legacy user document. */
export function userDoc(n: number, tenantId: string, fields: Record<string, unknown> = {}): Document {
  return encodeDocument(
    spec('user'),
    {
      tenantId,
      createdAt: at(10_000 - n),
      updatedAt: at(5_000 - n),
      username: `user-${String(n).padStart(3, '0')}`,
      email: `u${n}@example.org`,
      displayName: `User ${n}`,
      passwordHash: null,
      status: n % 3 === 0 ? 'locked' : 'active',
      mfaEnabled: n % 2 === 0,
      lastLoginAt: n % 2 ? at(n) : null,
      ...fields,
    },
    oid(n),
  );
}

/** A legacy login attempt, `daysAgo` before the reference time (tier B keeps 90 days). */
export function attemptDoc(n: number, tenantId: string, daysAgo: number, fields: Record<string, unknown> = {}): Document {
  return encodeDocument(
    spec('login_attempt'),
    {
      tenantId,
      createdAt: new Date(REF.getTime() - daysAgo * DAY),
      updatedAt: new Date(REF.getTime() - daysAgo * DAY),
      username: `user-${n % 4}`,
      subjectId: null,
      successful: n % 2 === 0,
      reason: n % 2 ? 'bad_password' : null,
      ipAddress: '10.0.0.1',
      userAgent: 'curl/8',
      attemptedAt: new Date(REF.getTime() - daysAgo * DAY),
      ...fields,
    },
    oid(100_000 + n),
  );
}

/** A legacy role document. */
export function roleDoc(n: number, tenantId: string, fields: Record<string, unknown> = {}): Document {
  return encodeDocument(
    spec('role'),
    { tenantId, createdAt: at(900 - n), updatedAt: at(800 - n), name: `role-${n}`, description: n % 2 ? null : `Role ${n}`, permissions: ['scan:read', `perm:${n}`], ...fields },
    oid(200_000 + n),
  );
}

export interface ParityBed {
  readonly t: TestRuntime;
  readonly mongo: MongoDataSource;
  readonly admin: PostgresDataSource;
  /** Legacy documents into the collection of `entity`. */
  legacy(entity: string, docs: Document[]): Promise<void>;
  /** Decode + upsert into PostgreSQL, as conversion does. */
  convert(entity: string, docs: Document[]): Promise<void>;
  /** Writes a PostgreSQL row that no legacy document has. */
  extraRow(entity: string, row: Record<string, unknown>): Promise<void>;
  /** Empties the collection and the table of `entity`, and its conversion records. */
  reset(entity: string): Promise<void>;
  /** Records a conversion job (its reference time) and optionally quarantined documents. */
  recordJob(entity: string, referenceTime: Date, quarantined?: { legacyId: string; reason: string; doc: Document }[]): Promise<void>;
  close(): Promise<void>;
}

/** Exactly the DDL the conversion engine's core migration 020 declares for what parity reads. */
const CONVERSION_DDL = `
create table if not exists core.conversion_job (
  job_id text primary key, module text not null, collection text not null, tier text not null,
  reference_time timestamptz(3) not null, status text not null, started_at timestamptz(3) not null,
  finished_at timestamptz(3), converted bigint not null default 0, skipped bigint not null default 0,
  quarantined bigint not null default 0);
create table if not exists core.conversion_quarantine (
  module text not null, collection text not null, legacy_id text not null, reason text not null,
  document_ejson text not null, document_bson bytea not null, job_id text not null references core.conversion_job (job_id),
  quarantined_at timestamptz(3) not null, primary key (module, collection, legacy_id));`;

export async function startParityBed(module: ModuleDefinition = authorityModule): Promise<ParityBed> {
  const t = await startTestRuntime('Postgres', { modules: [module] });
  const mongo = await connectMongo(t.mongoUrl, t.mongoDatabase);
  const admin = new PostgresDataSource({ ...pgSettings(t.config, t.db.adminUrl), pool: { min: 0, max: 3, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 } });
  await admin.query(CONVERSION_DDL);
  const find = (name: string) => module.entities.find((e) => e.name === name)!;
  return {
    t,
    mongo,
    admin,
    async legacy(entity, docs) {
      if (docs.length) await mongo.db.collection(find(entity).collection).insertMany(docs);
    },
    async convert(entity, docs) {
      const s = find(entity);
      const repo = new PostgresRepository<Entity>(s, admin);
      for (const doc of docs) {
        const { entity: e, legacyId } = decodeDocument(s, doc);
        const ctx = tenantContext(e.tenantId as string);
        await repo.applyReplica(ctx, { op: 'upsert', id: e.id as string, entity: e as unknown as Entity, at: e.updatedAt as Date, legacyId, audit: null });
      }
    },
    async extraRow(entity, row) {
      const s = find(entity);
      const repo = new PostgresRepository<Entity>(s, admin);
      await repo.applyReplica(tenantContext(row.tenantId as string), { op: 'upsert', id: row.id as string, entity: row as unknown as Entity, at: row.updatedAt as Date, legacyId: null, audit: null });
    },
    async reset(entity) {
      const s = find(entity);
      await mongo.db.collection(s.collection).deleteMany({});
      await admin.query(`delete from ${tableOf(s)}`);
      await admin.query('delete from core.conversion_quarantine where module = $1 and collection = $2', [s.module, s.collection]);
      await admin.query('delete from core.conversion_job where job_id = $1', [`${s.module}/${s.collection}`]);
    },
    async recordJob(entity, referenceTime, quarantined = []) {
      const s = find(entity);
      const job = `${s.module}/${s.collection}`;
      await admin.query(
        `insert into core.conversion_job (job_id, module, collection, tier, reference_time, status, started_at, finished_at, converted, skipped, quarantined)
         values ($1, $2, $3, $4, $5, 'finished', $5, $5, 0, 0, $6)
         on conflict (job_id) do update set reference_time = excluded.reference_time, quarantined = excluded.quarantined`,
        [job, s.module, s.collection, s.tier.tier, referenceTime, quarantined.length],
      );
      for (const q of quarantined) {
        await admin.query(
          `insert into core.conversion_quarantine (module, collection, legacy_id, reason, document_ejson, document_bson, job_id, quarantined_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [s.module, s.collection, q.legacyId, q.reason, EJSON.stringify(q.doc, { relaxed: false }), Buffer.from(serialize(q.doc, { checkKeys: false })), job, referenceTime],
        );
      }
    },
    async close() {
      await admin.close();
      await mongo.close();
      await t.close();
    },
  };
}
