import type { Document } from 'bson';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { authorityModule } from '../src/modules/authority/index.js';
import { user } from '../src/modules/authority/entities.js';
import { decodeDocument } from '../src/mongo/document-codec.js';
import { connectMongo } from '../src/mongo/mongo-data-source.js';
import type { MongoCollectionLike } from '../src/mongo/mongo-types.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { tableOf } from '../src/postgres/entity-sql.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { toParams } from '../src/postgres/row-codec.js';
import { createTestDatabase, type TestDatabase } from '../test/setup/environment.js';
import { benchUserDoc, residentUsers } from './bench-support.js';

/** Both sides of a parity benchmark, loaded with the same N users (see openParityData). */
export interface ParityData {
  readonly db: TestDatabase;
  readonly mongo: Awaited<ReturnType<typeof connectMongo>>;
  readonly mongoUrl: string;
  readonly mongoDatabase: string;
  /** The owner's data source on `db` (loading, ANALYZE). */
  readonly loader: PostgresDataSource;
  /**
   * The legacy store for one measured run, up and with cold caches (see {@link ColdStore}); the
   * MONGO_URL server itself when one is set.
   */
  coldStore(): Promise<ColdStore>;
  close(): Promise<void>;
}

/**
 * A legacy store as a measured `verify` should meet it: up (a `memory:/folder` copy of the data,
 * loaded by a client this process holds, as a server holds its data; an in-process `verify` shares
 * it, a worker process loads its own) and with no cache a run before it warmed (the `memory:` store
 * keeps the documents it decoded and the sorted lists it built): runs measured one after the other
 * start alike.
 */
export interface ColdStore {
  readonly mongoUrl: string;
  close(): Promise<void>;
}

/**
 * A test database migrated for Authority and a legacy store (MONGO_URL, else a `memory:/folder`
 * store, which `verify --workers` processes can read too), both holding N generated users converted
 * exactly as conversion would: the parity benchmark and its profiler start from the same data.
 *
 * @example
 * const data = await openParityData('parity_bench', 100_000);
 * try { ... } finally { await data.close(); }
 */
export async function openParityData(prefix: string, n: number, batch = 1000): Promise<ParityData> {
  const db = await createTestDatabase(prefix);
  const folder = process.env.MONGO_URL ? null : mkdtempSync(join(tmpdir(), `${prefix}-`));
  const mongoUrl = process.env.MONGO_URL ?? `memory:${folder}`;
  const mongoDatabase = `${prefix}_${process.pid}`;
  const mongo = await connectMongo(mongoUrl, mongoDatabase);
  const loader = new PostgresDataSource({ url: db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  const close = async () => {
    await loader.close();
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await db.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  };
  const coldStore = async (): Promise<ColdStore> => {
    if (!folder) return { mongoUrl, close: async () => undefined };
    const copy = mkdtempSync(join(tmpdir(), `${prefix}-run-`));
    cpSync(folder, copy, { recursive: true });
    const url = `memory:${copy}`;
    const resident = await residentUsers(url, mongoDatabase);
    return {
      mongoUrl: url,
      close: async () => {
        await resident.close();
        rmSync(copy, { recursive: true, force: true });
      },
    };
  };
  try {
    await runMigrations(loader, migrationSetsFor([authorityModule]), { categories: ['startup'], log: () => undefined });
    await loadUsers(mongo.db.collection(user.collection), loader, n, batch);
  } catch (err) {
    await close();
    throw err;
  }
  return { db, mongo, mongoUrl, mongoDatabase, loader, coldStore, close };
}

async function loadUsers(collection: MongoCollectionLike, loader: PostgresDataSource, n: number, batch: number): Promise<void> {
  for (let start = 0; start < n; start += batch) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) docs.push(benchUserDoc(i, '65b0'));
    await collection.insertMany(docs);
    const params: unknown[] = [];
    const values: string[] = [];
    let columns: string[] = [];
    for (const { entity, legacyId } of docs.map((d) => decodeDocument(user, d))) {
      const p = toParams(user, entity);
      columns = p.columns;
      const base = params.length;
      values.push(`(${[...p.params, legacyId].map((_, k) => `$${base + k + 1}`).join(', ')})`);
      params.push(...p.params, legacyId);
    }
    await loader.query(`insert into ${tableOf(user)} (${[...columns, 'legacy_id'].map((c) => `"${c}"`).join(', ')}) values ${values.join(', ')}`, params);
  }
  await loader.query(`analyze ${tableOf(user)}`);
}
