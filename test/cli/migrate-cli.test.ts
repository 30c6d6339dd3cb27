import { expect } from 'chai';
import pg from 'pg';
import { MODULES } from '../../src/modules/registry.js';
import { loadMigrations } from '../../src/postgres/migrations/index.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';
import { runCli as run } from '../setup/run-cli.js';

describe('migrate, status and rls check through the binary', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    db = await createTestDatabase('cli');
    env = { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl, MONGO_URL: 'memory:' };
  });
  after(async () => db?.drop());

  it('four concurrent migrate processes on an empty database all succeed, each migration recorded once', async () => {
    const results = await Promise.all([0, 1, 2, 3].map(() => run(['migrate'], env)));
    for (const r of results) expect(r.code, r.stderr).to.equal(0);
    const expected = (await Promise.all(migrationSetsFor(MODULES).map(loadMigrations))).flat().filter((m) => m.category === 'startup');
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      const rows = (await admin.query('select module, version, count(*)::int as n from core.migration_history group by module, version order by module, version')).rows;
      expect(rows.every((r) => r.n === 1)).to.equal(true);
      expect(rows.map((r) => `${r.module}/${r.version}`).sort()).to.deep.equal(expected.map((m) => `${m.module}/${m.version}`).sort());
      const schemas = (await admin.query("select nspname from pg_namespace where nspname in ('core', 'authority')")).rows.map((r) => r.nspname).sort();
      expect(schemas).to.deep.equal(['authority', 'core']);
    } finally {
      await admin.end();
    }
  });

  it('rls check reports 100% after migrate, and exits 1 once a tenant table loses FORCE', async () => {
    const ok = await run(['rls', 'check', '--json'], env);
    expect(ok.code, ok.stderr).to.equal(0);
    const report = JSON.parse(ok.stdout);
    expect(report.coverage).to.equal(1);
    expect(report.tables.map((t: { schema: string; table: string }) => `${t.schema}.${t.table}`)).to.include('authority.user');
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      await admin.query('alter table authority.scope no force row level security');
      const bad = await run(['rls', 'check'], env);
      expect(bad.code).to.equal(1);
      expect(bad.stdout).to.contain('authority.scope').and.contain('force');
    } finally {
      await admin.query('alter table authority.scope force row level security');
      await admin.end();
    }
  });

  it('status lists the backend and migrations of each module', async () => {
    const r = await run(['status', '--json', '--module', 'Authority'], { ...env, PERSISTENCE_AUTHORITY: 'Postgres' });
    expect(r.code, r.stderr).to.equal(0);
    const status = JSON.parse(r.stdout);
    expect(status.modules[0]).to.include({ module: 'Authority', backend: 'Postgres' });
    expect(status.modules[0].applied).to.include('001');
    expect(status.health[0]).to.include({ backend: 'Postgres', ok: true });
  });
});
