import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import type { PersistenceConfig } from '../../src/config/persistence-config.js';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import { createTestDatabase, mongoTarget, type TestDatabase } from '../setup/environment.js';

/**
 * A fresh PostgreSQL database and a fresh legacy MongoDB database for conversion tests. Without a
 * real MongoDB, the memory: store persists to a folder, so child processes (`convert` killed with
 * -9, worker processes) see the same legacy documents.
 */
export interface ConversionEnv {
  readonly db: TestDatabase;
  readonly config: PersistenceConfig;
  readonly mongo: MongoDataSource;
  readonly mongoUrl: string;
  readonly mongoDatabase: string;
  /** An admin (owner) client for assertions. */
  readonly admin: pg.Client;
  /** Environment variables that point a child `convert` at these databases. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function startConversionEnv(prefix: string): Promise<ConversionEnv> {
  const db = await createTestDatabase(prefix);
  const target = await mongoTarget();
  const folder = target.url === 'memory:' ? mkdtempSync(join(tmpdir(), 'stellaops-conv-')) : null;
  const mongoUrl = folder ? `memory:${folder}` : target.url;
  const mongoDatabase = `t_${randomBytes(4).toString('hex')}`;
  const env = { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl, MONGO_URL: mongoUrl, MONGO_DATABASE: mongoDatabase };
  const config = loadConfig({ env });
  const mongo = await connectMongo(mongoUrl, mongoDatabase);
  const admin = new pg.Client({ connectionString: db.adminUrl, types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format as 'text')) } });
  await admin.connect();
  return {
    db,
    config,
    mongo,
    mongoUrl,
    mongoDatabase,
    admin,
    env,
    async close() {
      await admin.end().catch(() => undefined);
      if (folder) rmSync(folder, { recursive: true, force: true });
      else await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close().catch(() => undefined);
      await db.drop();
    },
  };
}

/** Quiet log for tests; set CONV_TEST_LOG=1 to see the engine's lines. */
export const testLog = (line: string): void => {
  if (process.env.CONV_TEST_LOG) process.stderr.write(`    | ${line}\n`);
};
