import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Where the tests find their databases (SPEC 11):
 * - PostgreSQL: `PG_URL` (an owner/admin URL; tests create their own databases and roles);
 *   without it, a testcontainers PostgreSQL when a Docker engine answers; otherwise a clear error.
 * - MongoDB: `MONGO_URL`; without it, testcontainers `mongo:7` when Docker answers; otherwise the
 *   in-process `memory:` store. The run prints which one it used.
 */

let pgUrlPromise: Promise<string> | undefined;
let mongoPromise: Promise<{ url: string; kind: string }> | undefined;
const stops: (() => Promise<void>)[] = [];

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

export function pgAdminUrl(): Promise<string> {
  pgUrlPromise ??= (async () => {
    if (process.env.PG_URL) return process.env.PG_URL;
    if (dockerAvailable()) {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:15').start();
      stops.push(async () => void (await container.stop()));
      return container.getConnectionUri();
    }
    throw new Error(
      'No PostgreSQL for the tests: set PG_URL to an owner/admin URL (for example ' +
        'PG_URL=postgres://postgres@127.0.0.1:5432/test) or run where a Docker engine answers.',
    );
  })();
  return pgUrlPromise;
}

export function mongoTarget(): Promise<{ url: string; kind: string }> {
  mongoPromise ??= (async () => {
    if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, kind: 'real MongoDB from MONGO_URL' };
    if (dockerAvailable()) {
      try {
        const { MongoDBContainer } = await import('@testcontainers/mongodb');
        const container = await new MongoDBContainer('mongo:7').start();
        stops.push(async () => void (await container.stop()));
        return { url: `${container.getConnectionString()}?directConnection=true`, kind: 'real MongoDB (testcontainers mongo:7)' };
      } catch (err) {
        process.stderr.write(`testcontainers could not start mongo:7 (${(err as Error).message}); using memory:\n`);
      }
    }
    return { url: 'memory:', kind: 'in-process memory: store (no MONGO_URL, no Docker engine)' };
  })();
  return mongoPromise;
}

export const APP_ROLE = 'stellaops_test_app';

export interface TestDatabase {
  readonly name: string;
  /** Owner/maintenance URL (migrations, conversion). */
  readonly adminUrl: string;
  /** Application role URL: not superuser, not owner, no BYPASSRLS. */
  readonly appUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string, user?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

/**
 * Makes sure a plain login role exists: no superuser, no BYPASSRLS, no CREATEDB/CREATEROLE. Roles are
 * cluster-wide; several test processes may race to create the same one.
 */
export async function ensureLoginRole(admin: pg.ClientBase, role: string): Promise<void> {
  await admin.query(
    `do $$ begin
       if not exists (select 1 from pg_roles where rolname = '${role}') then
         create role ${pg.escapeIdentifier(role)} login nosuperuser nobypassrls nocreatedb nocreaterole;
       end if;
     exception when duplicate_object or unique_violation then null; end $$`,
  );
}

/** Creates a fresh database and makes sure the application login role exists. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = await pgAdminUrl();
  const name = `t_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    await ensureLoginRole(admin, APP_ROLE);
  } finally {
    await admin.end();
  }
  return {
    name,
    adminUrl: withDatabase(adminUrl, name),
    appUrl: withDatabase(adminUrl, name, APP_ROLE),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function stopContainers(): Promise<void> {
  for (const stop of stops.splice(0)) await stop();
}
