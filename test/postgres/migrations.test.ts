import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import pg from 'pg';
import {
  coreMigrationSet,
  grantAppRole,
  loadMigrations,
  migrationStatus,
  MigrationChecksumError,
  MigrationError,
  MigrationNameError,
  packageRoot,
  runMigrations,
  splitSqlStatements,
  type MigrationCategory,
  type MigrationSet,
} from '../../src/postgres/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';

const fixtures = join(packageRoot(), 'test', 'fixtures', 'migrations');
const basic: MigrationSet = { module: 'fixture', dir: join(fixtures, 'basic') };
const ALL: MigrationCategory[] = ['startup', 'release', 'seed', 'data'];

async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function history(url: string, module = 'fixture'): Promise<string[]> {
  const rows = await sql<{ version: string }>(url, 'select version from core.migration_history where module = $1 order by version', [module]);
  return rows.map((r) => r.version);
}

async function tableExists(url: string, name: string): Promise<boolean> {
  const [row] = await sql<{ present: boolean }>(url, 'select to_regclass($1) is not null as present', [name]);
  return row!.present;
}

async function expectRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('migrations: file names and loading', () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'migrations-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('loads a folder in application order with categories, checksums and the no-transaction directive', async () => {
    const migrations = await loadMigrations(basic);
    expect(migrations.map((m) => `${m.version}:${m.category}`)).to.deep.equal([
      '001:startup',
      '002:startup',
      '003:startup',
      '100:release',
      'S001:seed',
      'DM001:data',
    ]);
    expect(migrations[0]!.name).to.equal('widget');
    expect(migrations[0]!.file).to.equal(join(basic.dir, '001_widget.sql'));
    expect(migrations[0]!.checksum).to.match(/^[0-9a-f]{64}$/);
    expect(migrations.filter((m) => !m.transactional).map((m) => m.version)).to.deep.equal(['003']);
  });

  for (const bad of ['01_short.sql', '000_zero.sql', '200_out_of_range.sql', 'S000_zero.sql', 'DM1000_long.sql', 'X001_prefix.sql', 'notes.txt']) {
    it(`refuses ${bad}, naming the file`, async () => {
      await writeFile(join(scratch, '001_fine.sql'), 'select 1;');
      await writeFile(join(scratch, bad), 'select 1;');
      const err = await expectRejection(loadMigrations({ module: 'm', dir: scratch }));
      expect(err).to.be.instanceOf(MigrationNameError);
      expect((err as MigrationNameError).file).to.equal(join(scratch, bad));
      expect(err.message).to.contain(bad);
    });
  }

  it('refuses a duplicate version, naming both files', async () => {
    await writeFile(join(scratch, '001_a.sql'), 'select 1;');
    await writeFile(join(scratch, '001_b.sql'), 'select 2;');
    const err = await expectRejection(loadMigrations({ module: 'm', dir: scratch }));
    expect(err).to.be.instanceOf(MigrationNameError);
    expect(err.message).to.contain('001_a.sql').and.to.contain('001_b.sql');
  });

  it('orders numerically within each category (S2 before S10, startup before release)', async () => {
    for (const name of ['S010_b.sql', 'S002_a.sql', '150_r.sql', '099_last.sql', 'DM002_d.sql', '001_first.sql']) {
      await writeFile(join(scratch, name), 'select 1;');
    }
    const versions = (await loadMigrations({ module: 'm', dir: scratch })).map((m) => m.version);
    expect(versions).to.deep.equal(['001', '099', '150', 'S002', 'S010', 'DM002']);
  });

  it('splits statements like psql: strings, quoted names, dollar quotes, comments, BEGIN ATOMIC', () => {
    const text = [
      "insert into t values ('a;b', E'it\\'s;', \"we;ird\"); -- trailing; comment",
      'do $body$ begin perform 1; end $body$;',
      '/* block; /* nested; */ */ create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end;',
      'select $1;',
      '-- only a comment;',
    ].join('\n');
    const statements = splitSqlStatements(text);
    expect(statements.map((s) => s.keyword)).to.deep.equal(['insert', 'do', 'create', 'select']);
    expect(statements[0]!.text).to.contain("'a;b'").and.to.contain('"we;ird"');
    expect(statements[2]!.text.trim()).to.match(/end$/);
  });
});

describe('migrations: runner', () => {
  let db: TestDatabase;
  beforeEach(async function () {
    db = await createTestDatabase(`mig_${(this.currentTest?.title ?? 'x').slice(0, 20)}`);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('applies startup migrations only by default and reports release, seed and data as pending', async () => {
    const lines: string[] = [];
    const [report] = await runMigrations(db.adminUrl, [basic], { log: (l) => lines.push(l) });
    expect(report!.module).to.equal('fixture');
    expect(report!.applied.map((m) => m.version)).to.deep.equal(['001', '002', '003']);
    expect(report!.pendingRelease.map((m) => m.version)).to.deep.equal(['100']);
    expect(report!.pendingOther.map((m) => m.version)).to.deep.equal(['S001', 'DM001']);
    expect(await history(db.adminUrl)).to.deep.equal(['001', '002', '003']);
    // The release migration did not run: the column it drops is still there.
    const columns = await sql(db.adminUrl, "select 1 from information_schema.columns where table_schema = 'fx' and table_name = 'widget' and column_name = 'status'");
    expect(columns).to.have.length(1);
    expect(lines.some((l) => l.includes('release migrations pending') && l.includes('100'))).to.equal(true);

    const [row] = await sql<{ version: number; migration_hash: string }>(db.adminUrl, "select version, migration_hash from core.schema_version where module = 'fixture'");
    const [info003] = (await loadMigrations(basic)).filter((m) => m.version === '003');
    expect(row).to.deep.equal({ version: 3, migration_hash: info003!.checksum });

    // A second start-up finds nothing to do and still reports the pending release migration.
    const [again] = await runMigrations(db.adminUrl, [basic]);
    expect(again!.applied).to.deep.equal([]);
    expect(again!.pendingRelease.map((m) => m.version)).to.deep.equal(['100']);
  });

  it('applies release migrations only when asked, and moves schema_version to 100', async () => {
    await runMigrations(db.adminUrl, [basic]);
    const [report] = await runMigrations(db.adminUrl, [basic], { categories: ['startup', 'release'] });
    expect(report!.applied.map((m) => m.version)).to.deep.equal(['100']);
    expect(report!.pendingRelease).to.deep.equal([]);
    const [row] = await sql<{ version: number }>(db.adminUrl, "select version from core.schema_version where module = 'fixture'");
    expect(row!.version).to.equal(100);
    const columns = await sql(db.adminUrl, "select 1 from information_schema.columns where table_schema = 'fx' and table_name = 'widget' and column_name = 'status'");
    expect(columns).to.have.length(0);
  });

  it('applies seeds only with seed, without touching schema_version', async () => {
    await runMigrations(db.adminUrl, [basic]);
    const [report] = await runMigrations(db.adminUrl, [basic], { categories: ['seed'] });
    expect(report!.applied.map((m) => m.version)).to.deep.equal(['S001']);
    expect(report!.pendingRelease.map((m) => m.version)).to.deep.equal(['100']);
    expect(report!.pendingOther.map((m) => m.version)).to.deep.equal(['DM001']);
    const [count] = await sql<{ n: number }>(db.adminUrl, 'select count(*)::int as n from fx.widget');
    expect(count!.n).to.equal(2500);
    const [row] = await sql<{ version: number }>(db.adminUrl, "select version from core.schema_version where module = 'fixture'");
    expect(row!.version).to.equal(3);
  });

  it('repeats a data migration batch until it affects 0 rows, recording progress', async () => {
    await runMigrations(db.adminUrl, [basic], { categories: ['startup', 'seed'] });
    const lines: string[] = [];
    const [report] = await runMigrations(db.adminUrl, [basic], { categories: ['data'], log: (l) => lines.push(l) });
    expect(report!.applied.map((m) => m.version)).to.deep.equal(['DM001']);
    const [left] = await sql<{ n: number }>(db.adminUrl, 'select count(*)::int as n from fx.widget where label is null');
    expect(left!.n).to.equal(0);
    const [progress] = await sql<{ batches: number; rows: number }>(
      db.adminUrl,
      "select batches::int, rows_affected::int as rows from core.data_migration_progress where module = 'fixture' and version = 'DM001'",
    );
    expect(progress).to.deep.equal({ batches: 4, rows: 2500 }); // 1000 + 1000 + 500 + the empty batch
    expect(lines.filter((l) => l.includes('DM001_label_backfill.sql batch'))).to.have.length(4);
    expect(await history(db.adminUrl)).to.include('DM001');
  });

  it('runs a no-transaction migration (CREATE INDEX CONCURRENTLY) and leaves valid indexes', async () => {
    const [report] = await runMigrations(db.adminUrl, [basic]);
    const info = report!.applied.find((m) => m.version === '003')!;
    expect(info.transactional).to.equal(false);
    const indexes = await sql<{ name: string; valid: boolean }>(
      db.adminUrl,
      `select c.relname as name, i.indisvalid as valid
         from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = 'fx.widget'::regclass and c.relname like 'widget\\_%\\_idx'
        order by 1`,
    );
    expect(indexes).to.deep.equal([
      { name: 'widget_label_idx', valid: true },
      { name: 'widget_name_idx', valid: true },
    ]);
  });

  it('refuses a changed checksum of an applied migration, naming the file, and applies nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-tamper-'));
    try {
      await cp(basic.dir, dir, { recursive: true });
      const set = { module: 'fixture', dir };
      await runMigrations(db.adminUrl, [set]);
      await appendFile(join(dir, '001_widget.sql'), '\n-- an edit after the fact\n');
      await writeFile(join(dir, '004_more.sql'), 'create table fx.more (id int primary key);');

      const err = await expectRejection(runMigrations(db.adminUrl, [set], { categories: ALL }));
      expect(err).to.be.instanceOf(MigrationChecksumError);
      expect((err as MigrationChecksumError).file).to.equal(join(dir, '001_widget.sql'));
      expect(err.message).to.contain(join(dir, '001_widget.sql')).and.to.contain('fixture');
      expect(await history(db.adminUrl)).to.deep.equal(['001', '002', '003']);
      expect(await tableExists(db.adminUrl, 'fx.more')).to.equal(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves nothing of a failing migration, names the file and line, and stops there', async () => {
    const set = { module: 'failing', dir: join(fixtures, 'failing') };
    const err = await expectRejection(runMigrations(db.adminUrl, [set]));
    expect(err).to.be.instanceOf(MigrationError);
    expect((err as MigrationError).file).to.equal(join(set.dir, '002_broken.sql'));
    expect((err as MigrationError).code).to.equal('42P01');
    expect(err.message).to.contain(join(set.dir, '002_broken.sql'));
    expect(err.message).to.contain('relation "fx_missing_table" does not exist');
    expect(err.message).to.contain('line 4');
    expect(await history(db.adminUrl, 'failing')).to.deep.equal(['001']);
    expect(await tableExists(db.adminUrl, 'fx_ok')).to.equal(true);
    expect(await tableExists(db.adminUrl, 'fx_partial')).to.equal(false);
    expect(await tableExists(db.adminUrl, 'fx_never')).to.equal(false);
  });

  it('refuses BEGIN/COMMIT inside a transactional migration before running any of it', async () => {
    const set = { module: 'txcontrol', dir: join(fixtures, 'txcontrol') };
    const err = await expectRejection(runMigrations(db.adminUrl, [set]));
    expect(err).to.be.instanceOf(MigrationError);
    expect(err.message).to.contain('001_own_transaction.sql').and.to.contain('line 2: BEGIN');
    expect(await tableExists(db.adminUrl, 'fx_tx')).to.equal(false);
    expect(await history(db.adminUrl, 'txcontrol')).to.deep.equal([]);
  });

  it('reports status without creating anything, then applied rows with time and duration', async () => {
    const before = await migrationStatus(db.adminUrl, [basic]);
    expect(before[0]!.applied).to.deep.equal([]);
    expect(before[0]!.pending).to.have.length(6);
    const [schema] = await sql<{ present: boolean }>(db.adminUrl, "select exists (select 1 from pg_namespace where nspname = 'core') as present");
    expect(schema!.present).to.equal(false);

    await runMigrations(db.adminUrl, [basic], { categories: ['startup', 'seed'] });
    const [after] = await migrationStatus(db.adminUrl, [basic]);
    expect(after!.applied.map((m) => m.version)).to.deep.equal(['001', '002', '003', 'S001']);
    expect(after!.applied[0]!.appliedAt).to.be.instanceOf(Date);
    expect(after!.applied[0]!.durationMs).to.be.a('number');
    expect(after!.applied[2]!.transactional).to.equal(false);
    expect(after!.pending.map((m) => m.version)).to.deep.equal(['100', 'DM001']);
  });

  it('lets 4 concurrent runners (each its own pool) apply every migration exactly once', async () => {
    const reports = await Promise.all(
      [1, 2, 3, 4].map(() => runMigrations(db.adminUrl, [basic], { categories: ALL })),
    );
    const appliedFixture = reports.flatMap((r) => r[0]!.applied.map((m) => m.version)).sort();
    expect(appliedFixture).to.deep.equal(['001', '002', '003', '100', 'DM001', 'S001']);
    const rows = await sql<{ module: string; version: string; n: number }>(
      db.adminUrl,
      'select module, version, count(*)::int as n from core.migration_history group by module, version order by module, version',
    );
    expect(rows.map((r) => `${r.module}:${r.version}`)).to.deep.equal([
      'fixture:001',
      'fixture:002',
      'fixture:003',
      'fixture:100',
      'fixture:DM001',
      'fixture:S001',
    ]);
    const [widgets] = await sql<{ n: number }>(db.adminUrl, 'select count(*)::int as n from fx.widget where label is not null');
    expect(widgets!.n).to.equal(2500);
  });

  it('lets 4 separate processes run the compiled runner at once; each migration is recorded once', async function () {
    this.timeout(120_000);
    const script = join(packageRoot(), 'test', 'fixtures', 'migrate-child.mjs');
    const run = promisify(execFile);
    const outputs = await Promise.all([1, 2, 3, 4].map(() => run(process.execPath, [script, db.adminUrl, basic.dir])));
    const applied = outputs.flatMap(({ stdout }) =>
      (JSON.parse(stdout) as { module: string; applied: string[] }[]).flatMap((r) => r.applied.map((v) => `${r.module}:${v}`)),
    );
    expect(applied.sort()).to.deep.equal(['fixture:001', 'fixture:002', 'fixture:003', 'fixture:100', 'fixture:DM001', 'fixture:S001']);
    const [counts] = await sql<{ rows: number; distinct: number }>(
      db.adminUrl,
      'select count(*)::int as rows, count(distinct (module, version))::int as distinct from core.migration_history',
    );
    expect(counts).to.deep.equal({ rows: 6, distinct: 6 });
  });
});

describe('migrations: core module and the application role', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('mig_core');
  });
  afterEach(async () => {
    await db.drop();
  });

  it('creates core and audit, the stellaops_app role, and default privileges the app role can use', async () => {
    const [report] = await runMigrations(db.adminUrl, [coreMigrationSet()]);
    expect(report!.applied.map((m) => m.version)).to.include.members(['001', '002']);
    const schemas = await sql<{ nspname: string }>(db.adminUrl, "select nspname from pg_namespace where nspname in ('core', 'audit') order by 1");
    expect(schemas.map((s) => s.nspname)).to.deep.equal(['audit', 'core']);
    const [role] = await sql<{ rolcanlogin: boolean; rolsuper: boolean; rolbypassrls: boolean }>(
      db.adminUrl,
      "select rolcanlogin, rolsuper, rolbypassrls from pg_roles where rolname = 'stellaops_app'",
    );
    expect(role).to.deep.equal({ rolcanlogin: false, rolsuper: false, rolbypassrls: false });

    // Idempotent and safe when several callers do it at once.
    const appRole = new URL(db.appUrl).username;
    await Promise.all([grantAppRole(db.adminUrl, appRole), grantAppRole(db.adminUrl, appRole)]);
    await grantAppRole(db.adminUrl, appRole);

    // A table the owner creates later (as a module migration would) is usable by the app role.
    await sql(db.adminUrl, 'create table core.probe (id serial primary key, note text)');
    await sql(db.appUrl, "insert into core.probe (note) values ('from the app role')");
    const rows = await sql<{ note: string }>(db.appUrl, 'select note from core.probe');
    expect(rows).to.deep.equal([{ note: 'from the app role' }]);
    await sql(db.appUrl, 'select version from core.schema_version');
    // DML only: no DDL in core, no writes to the history.
    expect((await expectRejection(sql(db.appUrl, 'create table core.nope (id int)'))).message).to.contain('permission denied');
    expect((await expectRejection(sql(db.appUrl, "delete from core.migration_history"))).message).to.contain('permission denied');
  });

  it('survives core migrations of several databases at once (the role is cluster-wide)', async () => {
    const others = await Promise.all([createTestDatabase('mig_core_b'), createTestDatabase('mig_core_c')]);
    try {
      const reports = await Promise.all([db, ...others].map((d) => runMigrations(d.adminUrl, [coreMigrationSet()])));
      for (const [report] of reports) expect(report!.applied.map((m) => m.version)).to.include.members(['001', '002']);
    } finally {
      await Promise.all(others.map((d) => d.drop()));
    }
  });
});
