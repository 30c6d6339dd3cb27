import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { runConversion } from '../../src/conversion/index.js';
import { MODULES } from '../../src/modules/registry.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { coreMigrationSet, grantAppRole, runMigrations } from '../../src/postgres/migrations/index.js';
import { PostgresPendingLog } from '../../src/postgres/pg-pending-log.js';
import { rlsCheck } from '../../src/postgres/rls-check.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';
import { EXPECTED_QUARANTINE_TENANTS, quarantineUsers, runCli, seed, TENANTS } from '../conversion/legacy-docs.js';
import { APP_ROLE, createTestDatabase, ensureLoginRole } from '../setup/environment.js';

type Outcome = { rows: Record<string, unknown>[] } | { code: string; message: string };

/** One statement as `url`'s role, with `app.tenant_id` set for its transaction when `tenant` is given. */
async function run(url: string, sql: string, params: unknown[] = [], tenant?: string): Promise<Outcome> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    if (tenant !== undefined) await client.query(`select set_config('app.tenant_id', $1, true)`, [tenant]);
    const res = await client.query(sql, params);
    await client.query('commit');
    return { rows: res.rows };
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  } finally {
    await client.end();
  }
}

function rowsOf(o: Outcome): Record<string, unknown>[] {
  if (!('rows' in o)) throw new Error(`expected rows, got ${o.code}: ${o.message}`);
  return o.rows;
}

const OTHER_TENANT = '44444444-4444-4444-8444-444444444444';

describe('core tenant data: the application role reaches no quarantine row and no maintenance function', function () {
  this.timeout(240_000);
  const READER = 'stellaops_test_quarantine_reader';
  let env: ConversionEnv;

  before(async () => {
    env = await startConversionEnv('core_tenant_data');
    await runMigrations(env.db.adminUrl, migrationSetsFor(MODULES));
    await grantAppRole(env.db.adminUrl, APP_ROLE);
    await seed(env, 'authority_users', quarantineUsers());
    const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', batchSize: 4, progress: 'none', log: testLog });
    expect(report.collections[0], JSON.stringify(report)).to.include({ converted: 5, quarantined: 4 });
  });
  after(async () => env?.close());

  it('conversion records the tenant each quarantined document names (NULL where it names no valid one)', async () => {
    const rows = (await env.admin.query(`select document_ejson::json ->> 'username' as username, tenant_id from core.conversion_quarantine order by 1`)).rows;
    expect(Object.fromEntries(rows.map((r) => [r.username, r.tenant_id]))).to.deep.equal(EXPECTED_QUARANTINE_TENANTS);
  });

  it('the application role cannot read the quarantine or the ranges, with or without a tenant; job status stays readable', async () => {
    for (const tenant of [undefined, '', TENANTS[1]!, OTHER_TENANT]) {
      for (const table of ['core.conversion_quarantine', 'core.conversion_range']) {
        const o = await run(env.db.appUrl, `select count(*)::int as n from ${table}`, [], tenant);
        expect(o, `${table} with tenant ${tenant}`).to.deep.include({ code: '42501' });
        expect((o as { message: string }).message).to.contain(`permission denied for table ${table.slice('core.'.length)}`);
      }
    }
    expect(rowsOf(await run(env.db.appUrl, `select job_id, quarantined from core.conversion_job`))).to.deep.equal([{ job_id: 'Authority/authority_users', quarantined: '4' }]);
  });

  it('a role granted read sees only its tenant\'s quarantine rows: none without a tenant, never a tenant-less row', async () => {
    await ensureLoginRole(env.admin, READER);
    await env.admin.query(`grant usage on schema core to ${READER}; grant select on core.conversion_quarantine to ${READER}`);
    const url = new URL(env.db.adminUrl);
    url.username = READER;
    const seen = async (tenant?: string) =>
      rowsOf(await run(url.toString(), `select document_ejson::json ->> 'username' as u from core.conversion_quarantine order by 1`, [], tenant)).map((r) => r.u);
    expect(await seen()).to.deep.equal([]);
    expect(await seen('')).to.deep.equal([]);
    expect(await seen(TENANTS[0])).to.deep.equal(['user-904']);
    expect(await seen(TENANTS[1])).to.deep.equal(['user-901']);
    expect(await seen(TENANTS[2])).to.deep.equal(['user-902']);
    expect(await seen(OTHER_TENANT)).to.deep.equal([]);
    // Nor can it write a row for another tenant, or one without a tenant.
    const insert = `insert into core.conversion_quarantine (module, collection, legacy_id, reason, document_ejson, document_bson, job_id, quarantined_at, tenant_id)
                    values ('Authority', 'authority_users', 'str:x', 'r', '{}', '\\x00', 'Authority/authority_users', now(), $1)`;
    await env.admin.query(`grant insert on core.conversion_quarantine to ${READER}`);
    for (const tenant of [TENANTS[2], null]) expect(await run(url.toString(), insert, [tenant], TENANTS[1])).to.deep.include({ code: '42501' });
    await env.admin.query(`revoke all on core.conversion_quarantine from ${READER}`);
  });

  it('the application role cannot execute core.dualwrite_due or any other maintenance routine of core (42501)', async () => {
    const calls = [
      `select * from core.dualwrite_due(10, now())`,
      `select core.enable_tenant_rls('core.outbox')`,
      `select core.create_audit_log_table('core', 'sneaky_audit')`,
      `select * from core.partition_bounds('core.outbox')`,
      `select core.ensure_monthly_partition('scheduler.run', now())`,
      `select * from core.ensure_monthly_partitions('scheduler.run', now(), now())`,
      `select * from core.drop_expired_partitions('scheduler.run', now() - interval '10 years', true)`,
      `select core.partition_lock('core.outbox')`,
    ];
    for (const sql of calls) {
      for (const tenant of [undefined, TENANTS[0]]) {
        const o = await run(env.db.appUrl, sql, [], tenant);
        expect(o, sql).to.deep.include({ code: '42501' });
        expect((o as { message: string }).message, sql).to.match(/^permission denied for function /);
      }
    }
    // From the catalog: of core's routines, the application role may execute the tenant accessor alone.
    const executable = rowsOf(
      await run(
        env.db.adminUrl,
        `select p.oid::regprocedure::text as routine from pg_proc p
          where p.pronamespace = 'core'::regnamespace and has_function_privilege($1, p.oid, 'EXECUTE') order by 1`,
        [APP_ROLE],
      ),
    ).map((r) => r.routine);
    expect(executable).to.deep.equal(['core.current_tenant()']);
    // The tenant accessor still works for it (every policy calls it).
    expect(rowsOf(await run(env.db.appUrl, `select core.current_tenant()::text as t`, [], TENANTS[0]))).to.deep.equal([{ t: TENANTS[0] }]);
  });

  it('the pending log still works as the application role; only the cross-tenant due scan needs the maintenance role', async () => {
    const settings = (url: string) => ({ url, pool: { min: 0, max: 2, connectionTimeoutMs: 5000, idleTimeoutMs: 1000, maxLifetimeMs: 60_000 }, statementTimeoutMs: 5000 });
    const app = new PostgresDataSource(settings(env.db.appUrl));
    const admin = new PostgresDataSource(settings(env.db.adminUrl));
    try {
      const [a, b] = [tenantContext(TENANTS[0]!), tenantContext(TENANTS[1]!)];
      const entry = (tenantId: string, entityId: string) =>
        ({ module: 'Authority', entity: 'Authority.user', tenantId, entityId, target: 'Mongo' as const, op: 'upsert' as const, change: { n: 1 } });
      const appOnly = new PostgresPendingLog(app);
      // Written in the application's own unit of work, under RLS, as DualWrite does.
      const seqA = await app.withTenant(a, (tx) => appOnly.record(tx, a, entry(TENANTS[0]!, '00000000-0000-4000-8000-00000000000a')));
      const seqB = await app.withTenant(b, (tx) => appOnly.record(tx, b, entry(TENANTS[1]!, '00000000-0000-4000-8000-00000000000b')));
      expect(seqA.hasEarlier).to.equal(false);
      // RLS keeps a record its tenant's; a wrong tenant cannot even see it.
      expect((await appOnly.read(a, seqA.seq))?.entityId).to.equal('00000000-0000-4000-8000-00000000000a');
      expect(await appOnly.read(b, seqA.seq)).to.equal(null);
      // Writing a record for another tenant is refused by the policy.
      const cross = await app.withTenant(a, (tx) => appOnly.record(tx, a, entry(TENANTS[1]!, '00000000-0000-4000-8000-00000000000c'))).catch((e: { code: string }) => e);
      expect(cross).to.include({ code: '42501' });

      let refused: Error | null = null;
      await appOnly.due(10, new Date()).catch((e: Error) => (refused = e));
      expect(refused!.message).to.match(/core\.dualwrite_due .* is the maintenance role's.*POSTGRES_ADMIN_URL/);
      expect(((refused as Error | null)?.cause as { code?: string }).code).to.equal('42501');

      const withMaintenance = new PostgresPendingLog(app, admin);
      const due = await withMaintenance.due(10, new Date(Date.now() + 60_000));
      expect(due).to.deep.equal([
        { seq: seqA.seq, tenantId: TENANTS[0] },
        { seq: seqB.seq, tenantId: TENANTS[1] },
      ]);
      expect(await withMaintenance.count()).to.equal(2);
      await withMaintenance.resolve(a, seqA.seq);
      await withMaintenance.resolve(b, seqB.seq);
      expect(await withMaintenance.count()).to.equal(0);
    } finally {
      await app.close();
      await admin.close();
    }
  });

  it('rls check passes on the fresh migrate, covering the quarantine and the ranges, and fails once the application role can read the ranges', async () => {
    const report = await rlsCheck(env.db.adminUrl, undefined, { appRoles: ['stellaops_app', APP_ROLE] });
    expect(report.tables.filter((t) => !t.ok)).to.deep.equal([]);
    expect(report.coverage).to.equal(1);
    const byName = new Map(report.tables.map((t) => [`${t.schema}.${t.table}`, t]));
    expect(byName.get('core.conversion_quarantine')).to.deep.include({
      tenantColumn: true, marked: true, rlsEnabled: true, rlsForced: true, policies: ['p_owner_maintenance', 'p_tenant_isolation'], appPrivileges: [], ok: true,
    });
    expect(byName.get('core.conversion_range')).to.deep.include({ tenantColumn: false, marked: true, appPrivileges: [], ok: true });
    expect(byName.get('core.dualwrite_pending')).to.deep.include({ tenantColumn: true, rlsForced: true, ok: true });
    expect(byName.get('vex.mv_triage_queue')).to.deep.include({ kind: 'materialized view', appPrivileges: [], ok: true });
    expect(byName.has('core.conversion_job'), 'counts only: not tenant data').to.equal(false);

    const cliEnv = { POSTGRES_URL: env.db.appUrl, POSTGRES_ADMIN_URL: env.db.adminUrl, MONGO_URL: 'memory:' };
    await env.admin.query('grant select on core.conversion_range to stellaops_app');
    try {
      const bad = await runCli(['rls', 'check'], cliEnv);
      expect(bad.code, bad.stderr).to.equal(1);
      expect(bad.stdout).to.match(new RegExp(`✗ core\\.conversion_range: REACHABLE by the application role \\(stellaops_app:SELECT, ${APP_ROLE}:SELECT\\)`));
      expect(bad.stdout).to.match(/application roles checked: stellaops_app, stellaops_test_app\)/);
    } finally {
      await env.admin.query('revoke all on core.conversion_range from stellaops_app');
    }
    const good = await runCli(['rls', 'check', '--json'], cliEnv);
    expect(good.code, good.stderr).to.equal(0);
    expect(JSON.parse(good.stdout)).to.include({ coverage: 1, ok: true });
  });
});

describe('core 021 on a database converted before it: quarantine rows get their document\'s tenant', function () {
  this.timeout(120_000);

  it('fills tenant_id from the Extended JSON (UUID string or subtype-4 Binary), NULL otherwise', async () => {
    const db = await createTestDatabase('core_021_backfill');
    // The core migrations up to 020, byte for byte (the same checksums), as an older release applied them.
    const older = mkdtempSync(join(tmpdir(), 'stellaops-core-020-'));
    try {
      const dir = coreMigrationSet().dir;
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.sql') && f < '021')) copyFileSync(join(dir, f), join(older, f));
      await runMigrations(db.adminUrl, [{ module: 'core', dir: older }]);
      const admin = new pg.Client({ connectionString: db.adminUrl });
      await admin.connect();
      try {
        await admin.query(`insert into core.conversion_job (job_id, module, collection, tier, reference_time, status, started_at) values ('M/c', 'M', 'c', 'A', now(), 'finished', now())`);
        const docs: [string, string][] = [
          ['str:a', JSON.stringify({ _id: 'a', tenantId: TENANTS[0]!.toUpperCase() })],
          ['str:b', JSON.stringify({ _id: 'b', tenantId: { $binary: { base64: Buffer.from(TENANTS[1]!.replace(/-/g, ''), 'hex').toString('base64'), subType: '04' } } })],
          ['str:c', JSON.stringify({ _id: 'c', tenantId: 'acme-corp' })],
          ['str:d', JSON.stringify({ _id: 'd' })],
          ['str:e', JSON.stringify({ $unreadableBson: 'AAAA', error: 'bad' })],
          ['str:f', '{"_id": "f", "note": "nul \\u0000 inside", "tenantId": 42}'],
        ];
        for (const [id, ejson] of docs) {
          await admin.query(
            `insert into core.conversion_quarantine (module, collection, legacy_id, reason, document_ejson, document_bson, job_id, quarantined_at)
             values ('M', 'c', $1, 'r', $2, '\\x00', 'M/c', now())`,
            [id, ejson],
          );
        }
        await runMigrations(db.adminUrl, [coreMigrationSet()]);
        const rows = (await admin.query(`select legacy_id, tenant_id from core.conversion_quarantine order by legacy_id`)).rows;
        expect(rows).to.deep.equal([
          { legacy_id: 'str:a', tenant_id: TENANTS[0] },
          { legacy_id: 'str:b', tenant_id: TENANTS[1] },
          { legacy_id: 'str:c', tenant_id: null },
          { legacy_id: 'str:d', tenant_id: null },
          { legacy_id: 'str:e', tenant_id: null },
          { legacy_id: 'str:f', tenant_id: null },
        ]);
      } finally {
        await admin.end();
      }
    } finally {
      rmSync(older, { recursive: true, force: true });
      await db.drop();
    }
  });
});
