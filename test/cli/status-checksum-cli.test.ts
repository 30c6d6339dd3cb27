import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { packageRoot } from '../../src/postgres/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';
import { runCli } from '../setup/run-cli.js';

describe('status flags changed migrations; rls check needs PostgreSQL only', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    db = await createTestDatabase('cli_status');
    env = { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl, MONGO_URL: 'memory:' };
    const migrated = await runCli(['migrate', '--module', 'Authority'], env);
    expect(migrated.code, migrated.stderr).to.equal(0);
  });
  after(async () => db?.drop());

  async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  it('rls check runs with only POSTGRES_URL and POSTGRES_ADMIN_URL set (no MONGO_URL, every module on Mongo)', async () => {
    const r = await runCli(['rls', 'check', '--module', 'Authority', '--json'], { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.not.contain('MONGO_URL');
    const report = JSON.parse(r.stdout);
    expect(report.coverage).to.equal(1);
    expect(report.tables.map((t: { schema: string; table: string }) => `${t.schema}.${t.table}`)).to.include('authority.user');
    // Commands that do open MongoDB still ask for it.
    const status = await runCli(['status'], { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl });
    expect(status.code).to.equal(2);
    expect(status.stderr).to.contain('MONGO_URL');
  });

  it('status exits 1 and names the file of an applied migration whose checksum no longer matches, in text and --json', async () => {
    const statusEnv = { ...env, PERSISTENCE_AUTHORITY: 'Postgres' };
    const clean = await runCli(['status', '--module', 'Authority', '--json'], statusEnv);
    expect(clean.code, clean.stderr).to.equal(0);
    expect(JSON.parse(clean.stdout).modules[0].changed).to.deep.equal([]);

    const dir = join(packageRoot(), 'src/modules/authority/migrations');
    const file = join(dir, readdirSync(dir).find((f) => f.startsWith('001_'))!);
    const onDisk = createHash('sha256').update(readFileSync(file)).digest('hex');
    const recorded = '0'.repeat(64);
    await admin((c) => c.query("update core.migration_history set checksum = $1 where module = 'Authority' and version = '001'", [recorded]));
    try {
      const text = await runCli(['status', '--module', 'Authority'], statusEnv);
      expect(text.code).to.equal(1);
      expect(text.stdout).to.match(/^Authority\s+Postgres\s+migrations applied: 001.*; CHANGED since applied: 001$/m);
      expect(text.stdout).to.contain(`Authority: migration ${file} changed after it was applied (recorded sha256 ${recorded}, file now ${onDisk})`);

      const json = await runCli(['status', '--module', 'Authority', '--json'], statusEnv);
      expect(json.code).to.equal(1);
      const status = JSON.parse(json.stdout);
      expect(status.ok).to.equal(false);
      expect(status.modules[0].changed).to.deep.equal([{ version: '001', file, recorded, actual: onDisk }]);
      expect(status.core.changed).to.deep.equal([]);

      // migrate refuses the module for the same reason status flags it.
      const migrate = await runCli(['migrate', '--module', 'Authority'], env);
      expect(migrate.code).to.equal(1);
      expect(migrate.stderr).to.contain(file).and.to.contain('changed after it was applied');
    } finally {
      await admin((c) => c.query("update core.migration_history set checksum = $1 where module = 'Authority' and version = '001'", [onDisk]));
    }
    const restored = await runCli(['status', '--module', 'Authority'], statusEnv);
    expect(restored.code, restored.stdout).to.equal(0);
    expect(restored.stdout).to.not.contain('CHANGED');
  });
});
