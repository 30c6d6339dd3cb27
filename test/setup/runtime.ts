import pg from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { PersistenceConfig } from '../../src/config/persistence-config.js';
import { PersistenceRuntime, type RuntimeOptions } from '../../src/app/persistence-runtime.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { MODULE_NAMES, type Backend } from '../../src/interfaces/modules.js';
import { tenantContext, type TenantContext } from '../../src/interfaces/tenant-context.js';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { createTestDatabase, mongoTarget, type TestDatabase } from './environment.js';

/**
 * A runtime for tests: a fresh PostgreSQL database (the app role connects, the admin migrates)
 * and a fresh MongoDB database, with every module on `backend` unless `persistence` says otherwise.
 */
export interface TestRuntime {
  readonly runtime: PersistenceRuntime;
  readonly config: PersistenceConfig;
  readonly db: TestDatabase;
  readonly mongoUrl: string;
  readonly mongoDatabase: string;
  /** A new context on a new random tenant. */
  tenant(): TenantContext;
  /** Builds another runtime on the same databases (e.g. after a "restart" or a config switch). */
  restart(overrides?: Partial<Record<string, unknown>>, options?: RuntimeOptions): Promise<PersistenceRuntime>;
  close(): Promise<void>;
}

export async function startTestRuntime(
  backend: Backend,
  options: RuntimeOptions & { modules?: readonly ModuleDefinition[]; dualWrite?: Record<string, unknown>; env?: Record<string, string> } = {},
): Promise<TestRuntime> {
  const db = await createTestDatabase(backend.toLowerCase());
  const target = await mongoTarget();
  // memory: alone is per process; a folder lets a restarted runtime see the same legacy data.
  const mongo = target.url === 'memory:' ? { ...target, url: `memory:${mkdtempSync(join(tmpdir(), 'stellaops-mongo-'))}` } : target;
  const mongoDatabase = `t_${randomBytes(4).toString('hex')}`;
  const runtimes: PersistenceRuntime[] = [];
  const build = async (env: Record<string, string>, opts: RuntimeOptions) => {
    const config = loadConfig({
      env: {
        POSTGRES_URL: db.appUrl,
        POSTGRES_ADMIN_URL: db.adminUrl,
        MONGO_URL: mongo.url,
        MONGO_DATABASE: mongoDatabase,
        ...Object.fromEntries(MODULE_NAMES.map((m) => [`PERSISTENCE_${m.toUpperCase()}`, backend])),
        ...(options.env ?? {}),
        ...env,
      },
    });
    const merged = options.dualWrite ? withDualWrite(config, options.dualWrite) : config;
    const runtime = await PersistenceRuntime.start(merged, { ...options, ...opts });
    runtimes.push(runtime);
    return runtime;
  };
  const runtime = await build({}, {});
  return {
    runtime,
    config: runtime.config,
    db,
    mongoUrl: mongo.url,
    mongoDatabase,
    tenant: () => tenantContext(randomUUID(), { actorId: randomUUID() }),
    restart: (env = {}, opts = {}) => build(env as Record<string, string>, opts),
    async close() {
      for (const r of runtimes) await r.close().catch(() => undefined);
      if (mongo.url.startsWith('memory:')) rmSync(mongo.url.slice('memory:'.length), { recursive: true, force: true });
      else {
        const m = await connectMongo(mongo.url, mongoDatabase);
        await m.db.dropDatabase();
        await m.close();
      }
      await db.drop();
    },
  };
}

/** The config with DualWrite settings replaced (tests of fallback, primary = Mongo, ...). */
export function withDualWrite(config: PersistenceConfig, dualWrite: Record<string, unknown>): PersistenceConfig {
  return Object.freeze({ ...config, DualWrite: Object.freeze({ ...config.DualWrite, ...dualWrite }) }) as PersistenceConfig;
}

/** A MongoDB URL nothing answers on, quickly: the secondary (or primary) is down. */
export const MONGO_DOWN = 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300';

/**
 * Mocha hooks for a suite: a test runtime on `backend` and an owner client on its database, both
 * closed after the suite. Read `.t` and `.admin` inside the tests.
 */
export function useRuntimeWithAdmin(backend: Backend, options: Parameters<typeof startTestRuntime>[1] = {}): { readonly t: TestRuntime; readonly admin: pg.Client } {
  const state: { t?: TestRuntime; admin?: pg.Client } = {};
  before(async () => {
    state.t = await startTestRuntime(backend, options);
    state.admin = new pg.Client({ connectionString: state.t.db.adminUrl });
    await state.admin.connect();
  });
  after(async () => {
    await state.admin?.end();
    await state.t?.close();
  });
  return {
    get t() {
      return state.t!;
    },
    get admin() {
      return state.admin!;
    },
  };
}
