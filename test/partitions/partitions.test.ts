import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Entity } from '../../src/interfaces/entity-spec.js';
import type { PartitionedTable } from '../../src/interfaces/module-definition.js';
import { notifyModule } from '../../src/modules/notify/index.js';
import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { listPartitions, maintainPartitions, monthStartUtc, partitionedTablesOf, type PartitionInfo } from '../../src/postgres/partitions.js';
import { rlsCheck } from '../../src/postgres/rls-check.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const MODULES = [schedulerModule, notifyModule];
const TABLES = partitionedTablesOf(MODULES);
const RUN: PartitionedTable = TABLES.find((t) => t.table === 'run')!;

const ym = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('monthly partitions and partitions maintain', function () {
  this.timeout(180_000);
  let t: TestRuntime;
  let admin: pg.Client;
  const now = new Date();

  before(async () => {
    t = await startTestRuntime('Postgres', { modules: MODULES });
    admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    // Retention must never DELETE: any row deletion on these tables now fails loudly (the trigger is
    // cloned onto every partition, present and future). DETACH and DROP fire no delete trigger.
    await admin.query(`create function public.refuse_delete() returns trigger language plpgsql as $$
      begin raise exception 'DELETE on %', tg_table_name; end $$`);
    for (const table of TABLES) await admin.query(`create trigger refuse_delete before delete on ${table.schema}.${table.table} for each row execute function public.refuse_delete()`);
  });
  after(async () => {
    await admin?.end();
    await t?.close();
  });

  const partitionsOf = async (table: PartitionedTable): Promise<PartitionInfo[]> => listPartitions(admin, table);

  it('a fresh database has every month from the retention horizon to three months ahead, with inherited indexes and BRIN', async () => {
    for (const table of TABLES) {
      const parts = await partitionsOf(table);
      const expected: string[] = [];
      for (let m = monthStartUtc(now, -table.retentionMonths); m <= monthStartUtc(now, 3); m = monthStartUtc(m, 1)) expected.push(`${table.schema}.${table.table}_p${ym(m)}`);
      expect(parts.map((p) => p.name), table.table).to.deep.equal(expected);
      for (const p of parts) expect(p.to!.getTime() - monthStartUtc(p.from!, 1).getTime()).to.equal(0);
      const brin = await admin.query(
        `select count(*)::int as n from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am a on a.oid = c.relam
          where i.indrelid = $1::regclass and a.amname = 'brin'`,
        [parts[0]!.name],
      );
      expect(brin.rows[0].n, `${parts[0]!.name} inherits the BRIN`).to.equal(1);
    }
  });

  it('puts each row in the partition of its UTC month, month edges included', async () => {
    const ctx = t.tenant();
    const runs = t.runtime.repository<Entity>('Scheduler', 'run');
    const deliveries = t.runtime.repository<Entity>('Notify', 'delivery');
    const start = monthStartUtc(now);
    const instants = [
      new Date(start.getTime() - 1), // last millisecond of the previous month
      start, // first millisecond of this month
      new Date(monthStartUtc(now, 1).getTime() - 1),
      monthStartUtc(now, 2),
      monthStartUtc(now, -RUN.retentionMonths),
    ];
    for (const createdAt of instants) {
      const run = await runs.insert(ctx, { scheduleId: null, trigger: 'manual', state: 'queued', reason: null, stats: {}, deltaCount: 0, startedAt: null, finishedAt: null, error: null, createdAt } as never);
      const delivery = await deliveries.insert(ctx, { ruleId: null, channelId: run.id, eventId: 'e', eventKind: 'k', recipient: null, templateKey: null, state: 'pending', attempts: 0, nextAttemptAt: null, sentAt: null, lastError: null, correlationId: null, metadata: {}, createdAt: new Date(Math.max(createdAt.getTime(), monthStartUtc(now, -4).getTime())) } as never);
      const where = await admin.query(`select tableoid::regclass::text as p from scheduler.run where id = $1`, [run.id]);
      expect(where.rows[0].p, createdAt.toISOString()).to.equal(`scheduler.run_p${ym(createdAt)}`);
      const d = await admin.query(`select tableoid::regclass::text as p, created_at from notify.delivery where id = $1`, [delivery.id]);
      expect(d.rows[0].p).to.equal(`notify.delivery_p${ym(d.rows[0].created_at)}`);
      expect((await runs.get(ctx, run.id))?.id, 'found by id across partitions').to.equal(run.id);
    }
  });

  it('refuses a row for a month nobody prepared, loudly (there is no default partition)', async () => {
    const ctx = t.tenant();
    const runs = t.runtime.repository<Entity>('Scheduler', 'run');
    let error: unknown;
    try {
      await runs.insert(ctx, { scheduleId: null, trigger: 'manual', state: 'queued', reason: null, stats: {}, deltaCount: 0, startedAt: null, finishedAt: null, error: null, createdAt: monthStartUtc(now, 40) } as never);
    } catch (err) {
      error = err;
    }
    expect((error as Error)?.message).to.match(/no partition of relation "run" found for row/);
  });

  it('dry run reports without changing anything', async () => {
    const future = monthStartUtc(now, 9);
    const before = await Promise.all(TABLES.map(partitionsOf));
    const report = await maintainPartitions(t.db.adminUrl, TABLES, { monthsAhead: 3, now: future, dryRun: true });
    expect(await Promise.all(TABLES.map(partitionsOf))).to.deep.equal(before);
    const run = report.tables.find((x) => x.table === 'scheduler.run')!;
    expect(run.created.length).to.be.greaterThan(0);
    expect(run.dropped.length).to.be.greaterThan(0);
  });

  it('creates months ahead and detaches + drops exactly the expired partitions, keeping every other row', async () => {
    const ctx = t.tenant();
    const runs = t.runtime.repository<Entity>('Scheduler', 'run');
    // One run in each existing month.
    for (const p of await partitionsOf(RUN)) {
      await runs.insert(ctx, { scheduleId: null, trigger: 'cron', state: 'completed', reason: null, stats: {}, deltaCount: 1, startedAt: null, finishedAt: null, error: null, createdAt: new Date(p.from!.getTime() + 86_400_000) } as never);
    }
    const counts = async () => new Map((await admin.query(`select tableoid::regclass::text as p, count(*)::int as n from scheduler.run group by 1`)).rows.map((r) => [r.p as string, r.n as number]));
    const before = await counts();
    const partsBefore = await partitionsOf(RUN);
    const future = new Date(monthStartUtc(now, 2).getTime() + 5 * 86_400_000); // two months later
    const report = await maintainPartitions(t.db.adminUrl, TABLES, { monthsAhead: 4, now: future });
    const run = report.tables.find((x) => x.table === 'scheduler.run')!;

    const cutoff = monthStartUtc(future, -RUN.retentionMonths);
    const expectedDropped = partsBefore.filter((p) => p.to!.getTime() <= cutoff.getTime()).map((p) => p.name);
    expect(expectedDropped).to.have.length(2);
    expect(run.dropped.map((p) => p.name)).to.deep.equal(expectedDropped);
    const expectedCreated: string[] = [];
    for (let m = monthStartUtc(now, 4); m <= monthStartUtc(future, 4); m = monthStartUtc(m, 1)) expectedCreated.push(`scheduler.run_p${ym(m)}`);
    expect(run.created).to.deep.equal(expectedCreated);

    for (const name of expectedDropped) expect((await admin.query(`select to_regclass($1) as r`, [name])).rows[0].r, name).to.equal(null);
    const after = await counts();
    for (const [partition, n] of before) {
      if (expectedDropped.includes(partition)) expect(after.has(partition)).to.equal(false);
      else expect(after.get(partition), partition).to.equal(n);
    }
    const partsAfter = await partitionsOf(RUN);
    expect(partsAfter[0]!.from!.getTime()).to.equal(cutoff.getTime());
    expect(partsAfter[partsAfter.length - 1]!.from!.getTime()).to.equal(monthStartUtc(future, 4).getTime());

    // The guard is live: a DELETE would have failed the maintenance run.
    let guard: unknown;
    try {
      await admin.query(`delete from scheduler.run where id = (select id from scheduler.run limit 1)`);
    } catch (err) {
      guard = err;
    }
    expect((guard as Error)?.message).to.match(/DELETE on run_p/);

    // Again: nothing left to do.
    const again = await maintainPartitions(t.db.adminUrl, TABLES, { monthsAhead: 4, now: future });
    for (const x of again.tables) {
      expect(x.created, x.table).to.deep.equal([]);
      expect(x.dropped, x.table).to.deep.equal([]);
    }
  });

  it('is safe with two maintainers at once: each partition created or dropped exactly once', async () => {
    const future = new Date(monthStartUtc(now, 6).getTime() + 3_600_000);
    const beforeRun = await partitionsOf(RUN);
    const pools = [0, 1].map(() => new PostgresDataSource({ url: t.db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 1000, maxLifetimeMs: 60_000 }, statementTimeoutMs: 0 }));
    try {
      const [a, b] = await Promise.all(pools.map((ds) => maintainPartitions(ds, TABLES, { monthsAhead: 3, now: future })));
      for (const table of TABLES) {
        const name = `${table.schema}.${table.table}`;
        const ra = a!.tables.find((x) => x.table === name)!;
        const rb = b!.tables.find((x) => x.table === name)!;
        const created = [...ra.created, ...rb.created];
        const dropped = [...ra.dropped, ...rb.dropped].map((p) => p.name);
        expect(new Set(created).size, `${name} created once each`).to.equal(created.length);
        expect(new Set(dropped).size, `${name} dropped once each`).to.equal(dropped.length);
        const parts = await partitionsOf(table);
        expect(parts[0]!.from!.getTime()).to.equal(monthStartUtc(future, -table.retentionMonths).getTime());
        expect(parts[parts.length - 1]!.from!.getTime()).to.equal(monthStartUtc(future, 3).getTime());
        for (let i = 1; i < parts.length; i++) expect(parts[i]!.from!.getTime(), 'no gap').to.equal(parts[i - 1]!.to!.getTime());
        if (table === RUN) {
          expect(created.length).to.equal(parts.filter((p) => !beforeRun.some((q) => q.name === p.name)).length);
          expect(dropped.length).to.equal(beforeRun.filter((q) => !parts.some((p) => p.name === q.name)).length);
        }
      }
    } finally {
      for (const ds of pools) await ds.close();
    }
  });

  it('enforces RLS on partitions it creates, through the parent and directly, as the application role', async () => {
    const a = t.tenant();
    const b = t.tenant();
    const newest = (await partitionsOf(RUN)).at(-1)!;
    const flags = await admin.query(
      `select c.relrowsecurity, c.relforcerowsecurity, (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
         from pg_class c where c.oid = $1::regclass`,
      [newest.name],
    );
    expect(flags.rows[0]).to.deep.equal({ relrowsecurity: true, relforcerowsecurity: true, policies: 1 });
    const runs = t.runtime.repository<Entity>('Scheduler', 'run');
    const run = await runs.insert(a, { scheduleId: null, trigger: 'manual', state: 'queued', reason: null, stats: {}, deltaCount: 0, startedAt: null, finishedAt: null, error: null, createdAt: new Date(newest.from!.getTime() + 1000) } as never);
    expect(await runs.get(b, run.id)).to.equal(null);
    const app = t.runtime.postgres!;
    const direct = async (ctx: typeof a | null) =>
      ctx
        ? app.withTenant(ctx, async (tx) => (await tx.query(`select count(*)::int as n from ${newest.name}`)).rows[0].n as number)
        : app.transaction(async (tx) => (await tx.query(`select count(*)::int as n from ${newest.name}`)).rows[0].n as number);
    expect(await direct(a)).to.equal(1);
    expect(await direct(b)).to.equal(0);
    expect(await direct(null), 'no tenant set means no rows').to.equal(0);
    let error: unknown;
    try {
      await app.withTenant(b, (tx) => tx.query(`insert into ${newest.name} (id, tenant_id, trigger, state, stats, delta_count, created_at, updated_at) values (gen_random_uuid(), $1, 'manual', 'queued', '{}', 0, $2, $2)`, [a.tenantId, new Date(newest.from!.getTime() + 2000)]));
    } catch (err) {
      error = err;
    }
    expect((error as Error)?.message, 'cannot write another tenant into a partition').to.match(/row-level security/);
  });

  it('conversion ensures an old month on demand, and the next maintenance drops it again when expired', async () => {
    const old = monthStartUtc(now, -20);
    const made = await admin.query(`select core.ensure_monthly_partition('scheduler.run', $1) as p`, [old]);
    expect(made.rows[0].p).to.equal(`scheduler.run_p${ym(old)}`);
    const report = await maintainPartitions(t.db.adminUrl, [RUN], { monthsAhead: 3, now: new Date(monthStartUtc(now, 6).getTime() + 3_600_000) });
    expect(report.tables[0]!.dropped.map((p) => p.name)).to.deep.equal([`scheduler.run_p${ym(old)}`]);
  });

  it('partitions maintain and list through the binary; rls check stays at 100%', async () => {
    const env = { POSTGRES_URL: t.db.appUrl, POSTGRES_ADMIN_URL: t.db.adminUrl, MONGO_URL: 'memory:' };
    const dry = await cli(['partitions', 'maintain', '--months-ahead', '12', '--dry-run'], env);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/scheduler\.run: \d+ partitions .*would create scheduler\.run_p\d{6}/);
    const real = await cli(['partitions', 'maintain', '--months-ahead', '12', '--module', 'Scheduler', '--json'], env);
    expect(real.code, real.stderr).to.equal(0);
    const report = JSON.parse(real.stdout);
    expect(report.tables.map((x: { table: string }) => x.table)).to.deep.equal(['scheduler.execution_log', 'scheduler.run']);
    expect(report.tables[1].created.length).to.be.greaterThan(0);
    const list = await cli(['partitions', 'list', '--module', 'Notify'], env);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.contain('notify.delivery (retention 4 months)');
    const bad = await cli(['partitions', 'maintain', '--months-ahead', 'many'], env);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--months-ahead must be an integer');

    const rls = await rlsCheck(t.db.adminUrl);
    expect(rls.tables.filter((x) => !x.ok)).to.deep.equal([]);
    expect(rls.coverage).to.equal(1);
    expect(rls.tables.filter((x) => x.partitionOf === 'scheduler.run').length).to.be.greaterThan(10);
  });
});
