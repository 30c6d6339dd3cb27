import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, pgAdminUrl, type TestDatabase } from '../setup/environment.js';
import { packageRoot } from '../../src/postgres/migrations/index.js';
import { runCli as run } from '../setup/run-cli.js';
import { sample } from '../metrics/exposition.js';

/** Every stderr line of a non-terminal run is one JSON log record. */
function records(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stderr line is not a JSON log record: ${line}`);
      }
    });
}

function onDatabase(url: string, database: string, password?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (password) u.password = password;
  return u.toString();
}

describe('CLI: --version, JSON logs without secrets, --json everywhere, demo --database, metrics', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let work: string;
  const demoName = `t_demo_${randomBytes(4).toString('hex')}`;
  let adminRoot: string;
  before(async () => {
    db = await createTestDatabase('clipolish');
    work = mkdtempSync(join(tmpdir(), 'stellaops-cli-'));
    adminRoot = await pgAdminUrl();
  });
  after(async () => {
    const c = new pg.Client({ connectionString: adminRoot });
    await c.connect();
    await c.query(`drop database if exists ${pg.escapeIdentifier(demoName)} with (force)`).finally(() => c.end());
    rmSync(work, { recursive: true, force: true });
    await db?.drop();
  });

  it('--version prints the package version', async () => {
    const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    const r = await run(['--version'], {});
    expect(r.code).to.equal(0);
    expect(r.stdout.trim()).to.equal(version);
  });

  it('logs are JSON records with the command, and a password in a URL appears nowhere', async () => {
    // Trust authentication ignores the password; the logs must not show it anyway.
    const secret = `pw-${randomBytes(6).toString('hex')}`;
    const env = { POSTGRES_URL: onDatabase(db.adminUrl, db.name, secret), MONGO_URL: 'memory:' };
    const r = await run(['migrate', '--module', 'Authority'], env);
    expect(r.code, r.stderr).to.equal(0);
    const logs = records(r.stderr);
    expect(logs.length).to.be.greaterThan(3);
    for (const rec of logs) {
      expect(rec).to.include({ command: 'migrate' });
      expect(rec.level).to.be.oneOf(['info', 'warn']);
      expect(rec.time).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(rec.msg).to.be.a('string');
    }
    expect(logs.some((l) => /^\[core\] applied 001_core_schema\.sql \(startup\) in \d+ ms$/.test(String(l.msg)))).to.equal(true);
    // A failure (exit 1) is an error record; its text shows the URL masked.
    const bad = await run(['status', '--module', 'Authority'], { ...env, PERSISTENCE_AUTHORITY: 'Postgres', POSTGRES_ADMIN_URL: `postgres://nobody:${secret}@127.0.0.1:1/none` });
    expect(bad.code).to.equal(1);
    expect(records(bad.stderr).some((l) => l.level === 'error' && l.command === 'status')).to.equal(true);
    for (const output of [r.stdout, r.stderr, bad.stdout, bad.stderr]) expect(output).to.not.contain(secret);
  });

  it('--no-progress is accepted by convert, verify and demo; verify still takes --quiet', async () => {
    for (const cmd of ['convert', 'verify', 'demo']) {
      const r = await run([cmd, '--help'], {});
      expect(r.code).to.equal(0);
      expect(r.stdout, cmd).to.contain('--no-progress');
      expect(r.stdout, `${cmd} shows no second spelling`).to.not.contain('--quiet');
    }
    // The former spelling still parses (the module error comes after option parsing).
    const quiet = await run(['verify', '--module', 'Nope', '--quiet'], {});
    expect(quiet.code).to.equal(2);
    expect(quiet.stderr).to.contain('unknown module "Nope"').and.not.contain('unknown option');
  });

  it('demo --database --json: one JSON document, a marked database; a second run reuses it; verify --json agrees', async () => {
    const folder = join(work, 'legacy');
    const args = ['demo', '--module', 'Authority', '--count', '4', '--tenants', '1', '--no-corpus', '--folder', folder, '--out', join(work, 'reports'), '--database', demoName, '--json', '--no-progress'];
    const env = { POSTGRES_URL: db.adminUrl };
    const first = await run(args, env);
    expect(first.code, first.stderr).to.equal(0);
    const doc = JSON.parse(first.stdout);
    expect(doc).to.include({ ok: true, database: demoName, legacy: `memory:${folder}` });
    expect(doc.modules.map((m: { module: string }) => m.module)).to.deep.equal(['Authority']);
    expect(doc.modules[0].parity.ok).to.equal(true);
    expect(doc.modules[0].seeded.authority_users).to.be.greaterThan(0);
    expect(doc.reports.length).to.equal(3);
    for (const rec of records(first.stderr)) expect(rec).to.include({ command: 'demo', database: demoName });

    const c = new pg.Client({ connectionString: adminRoot });
    await c.connect();
    try {
      const mark = (await c.query(`select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1`, [demoName])).rows[0]?.mark;
      expect(mark).to.match(/^stellaops-persistence demo database/);
    } finally {
      await c.end();
    }
    const again = await run(args, env);
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout).modules[0].parity.digest, 'same seed, same data, same digest').to.equal(doc.modules[0].parity.digest);

    const verify = await run(['verify', '--module', 'Authority', '--out', join(work, 'verify'), '--json', '--no-progress'], {
      POSTGRES_URL: onDatabase(db.adminUrl, demoName),
      MONGO_URL: `memory:${folder}`,
    });
    expect(verify.code, verify.stderr).to.equal(0);
    const v = JSON.parse(verify.stdout);
    expect(v).to.include({ module: 'Authority', ok: true, exitCode: 0, digest: doc.modules[0].parity.digest });
    expect(v.reports.length).to.equal(3);
    expect(v.summary.mismatches).to.equal(0);
  });

  it('demo refuses to drop a database it did not create, which keeps its data', async () => {
    const c = new pg.Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      await c.query('create table if not exists public.precious (v int)');
      await c.query('insert into public.precious values (42)');
      const r = await run(['demo', '--module', 'Authority', '--count', '2', '--no-corpus', '--folder', join(work, 'legacy-2'), '--database', db.name], { POSTGRES_URL: db.adminUrl });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain(`database "${db.name}" exists and was not created by demo; refusing to drop it`);
      expect((await c.query('select v from public.precious')).rows).to.deep.equal([{ v: 42 }]);
    } finally {
      await c.end();
    }
    const tooLong = await run(['demo', '--database', 'x'.repeat(64)], { POSTGRES_URL: db.adminUrl });
    expect(tooLong.code).to.equal(2);
    expect(tooLong.stderr).to.contain('--database must be 1 to 63 bytes');
  });

  it('reconcile --json is JSON with and without DualWrite modules', async () => {
    const env = { POSTGRES_URL: db.adminUrl, MONGO_URL: 'memory:' };
    const none = await run(['reconcile', '--json'], env);
    expect(none.code, none.stderr).to.equal(0);
    expect(JSON.parse(none.stdout)).to.deep.equal({ dualWrite: false, applied: 0, failed: 0, deferred: 0, unknown: 0, remaining: 0 });
    const dual = await run(['reconcile', '--json'], { ...env, PERSISTENCE_AUTHORITY: 'DualWrite' });
    expect(dual.code, dual.stderr).to.equal(0);
    expect(JSON.parse(dual.stdout)).to.deep.equal({ dualWrite: true, applied: 0, failed: 0, deferred: 0, unknown: 0, remaining: 0 });
  });

  it('metrics prints the exposition once; status shows the DualWrite backlog', async () => {
    const env = { POSTGRES_URL: db.appUrl, POSTGRES_ADMIN_URL: db.adminUrl, MONGO_URL: 'memory:', PERSISTENCE_AUTHORITY: 'DualWrite' };
    const c = new pg.Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      // Two secondary writes left pending by some service (one tenant).
      for (const id of ['2a7c1f6f-0b7a-4a59-9d3e-3f1c7a528f0e', '4b8d2a7a-1c8b-4b6a-8e4f-4a2d8b639a1f']) {
        await c.query(
          `insert into core.dualwrite_pending (module, entity, tenant_id, entity_id, target, op, change) values ('Authority', 'Authority.user', $1, $2, 'Mongo', 'delete', '{}')`,
          ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', id],
        );
      }
      const m = await run(['metrics', '--module', 'Authority'], env);
      expect(m.code, m.stderr).to.equal(0);
      expect(sample(m.stdout, 'stellaops_dualwrite_pending_records', { store: 'Postgres', module: 'Authority' })).to.equal(2);
      expect(sample(m.stdout, 'stellaops_metrics_source_up', { source: 'conversion' })).to.equal(1);
      const json = await run(['metrics', '--module', 'Authority', '--json'], env);
      expect(json.code, json.stderr).to.equal(0);
      const metric = (JSON.parse(json.stdout) as { name: string; values: { value: number; labels: Record<string, string> }[] }[]).find((x) => x.name === 'stellaops_dualwrite_pending_records');
      expect(metric?.values).to.deep.equal([{ value: 2, labels: { store: 'Postgres', module: 'Authority' } }]);
      const status = await run(['status', '--module', 'Authority', '--json'], env);
      expect(status.code, status.stderr).to.equal(0);
      const backlog = JSON.parse(status.stdout).dualWritePending;
      expect(backlog).to.have.length(1);
      expect(backlog[0]).to.include({ store: 'Postgres', module: 'Authority', pending: 2 });
      const human = await run(['status', '--module', 'Authority'], env);
      expect(human.stdout).to.match(/^DualWrite pending Authority \(Postgres log\): 2, oldest \d+ s$/m);
    } finally {
      await c.query('delete from core.dualwrite_pending');
      await c.end();
    }
  });
});
