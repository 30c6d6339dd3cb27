import { expect } from 'chai';
import pg from 'pg';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { rlsCheck } from '../../src/postgres/rls-check.js';
import { APP_ROLE, createTestDatabase, type TestDatabase } from '../setup/environment.js';

const POLICY = "using (tenant_id = current_setting('app.tenant_id', true)::uuid)";

/** enable + force + a tenant policy: what every tenant-scoped table must have (SPEC 4.2). */
function protect(table: string, { force = true, policy = true } = {}): string {
  return [
    `alter table ${table} enable row level security;`,
    force ? `alter table ${table} force row level security;` : '',
    policy ? `create policy tenant_isolation on ${table} ${POLICY};` : '',
  ].join('\n');
}

async function exec(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('rls check', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('rls_check');
  });
  afterEach(async () => {
    await db.drop();
  });

  it('passes with full coverage when every tenant table has enable + force + a policy', async () => {
    await exec(
      db.adminUrl,
      `create schema app;
       create table app.widget (id uuid primary key, tenant_id uuid not null, name text);
       create table app.setting (key text primary key, value text); -- global: no tenant_id, not listed
       ${protect('app.widget')}`,
    );
    const report = await rlsCheck(db.adminUrl);
    expect(report.tables).to.deep.equal([
      {
        schema: 'app', table: 'widget', kind: 'table', tenantColumn: true, marked: false,
        rlsEnabled: true, rlsForced: true, policies: ['tenant_isolation'], appPrivileges: [], partitionOf: null, ok: true,
      },
    ]);
    expect(report.coverage).to.equal(1);
    expect(report.ok).to.equal(true);
  });

  it('fails enabled-but-not-forced, no policy and an unprotected partition, with coverage numbers', async () => {
    await exec(
      db.adminUrl,
      `create schema app;
       create table app.good (id uuid primary key, tenant_id uuid not null);
       create table app.not_forced (id uuid primary key, tenant_id uuid not null);
       create table app.no_policy (id uuid primary key, tenant_id uuid not null);
       create table app.event (id uuid not null, tenant_id uuid not null, at timestamptz not null) partition by range (at);
       create table app.event_2025_01 partition of app.event for values from ('2025-01-01') to ('2025-02-01');
       create table app.event_2025_02 partition of app.event for values from ('2025-02-01') to ('2025-03-01');
       ${protect('app.good')}
       ${protect('app.not_forced', { force: false })}
       ${protect('app.no_policy', { policy: false })}
       ${protect('app.event')}
       ${protect('app.event_2025_01')}`,
    );
    const report = await rlsCheck(db.adminUrl);
    const summary = report.tables.map((t) => `${t.schema}.${t.table}:${t.ok ? 'ok' : 'FAIL'}`);
    expect(summary).to.deep.equal([
      'app.event:ok',
      'app.event_2025_01:ok',
      'app.event_2025_02:FAIL',
      'app.good:ok',
      'app.no_policy:FAIL',
      'app.not_forced:FAIL',
    ]);
    const byName = new Map(report.tables.map((t) => [t.table, t]));
    expect(byName.get('not_forced')).to.include({ rlsEnabled: true, rlsForced: false });
    expect(byName.get('no_policy')!.policies).to.deep.equal([]);
    expect(byName.get('event_2025_02')).to.include({ partitionOf: 'app.event', rlsEnabled: false, rlsForced: false });
    expect(byName.get('event')!.partitionOf).to.equal(null);
    expect(report.coverage).to.equal(3 / 6);
    expect(report.ok).to.equal(false);

    // Fixing the three brings coverage to 100%.
    await exec(
      db.adminUrl,
      `alter table app.not_forced force row level security;
       create policy tenant_isolation on app.no_policy ${POLICY};
       ${protect('app.event_2025_02')}`,
    );
    const fixed = await rlsCheck(db.adminUrl);
    expect(fixed.coverage).to.equal(1);
    expect(fixed.ok).to.equal(true);
  });

  it('limits the check to the given schemas, counts public tenant tables, and is 1 with none', async () => {
    await exec(
      db.adminUrl,
      `create schema a; create schema b;
       create table a.t (id uuid primary key, tenant_id uuid not null);
       create table b.t (id uuid primary key, tenant_id uuid not null);
       create table public.loose (id uuid primary key, tenant_id uuid not null);
       create table public.dropped (id uuid primary key, tenant_id uuid not null);
       alter table public.dropped drop column tenant_id;
       ${protect('a.t')}`,
    );
    expect((await rlsCheck(db.adminUrl, ['a'])).coverage).to.equal(1);
    const all = await rlsCheck(db.adminUrl);
    expect(all.tables.map((t) => `${t.schema}.${t.table}`)).to.deep.equal(['a.t', 'b.t', 'public.loose']);
    expect(all.coverage).to.equal(1 / 3);
    const none = await rlsCheck(db.adminUrl, ['nothing_here']);
    expect(none).to.deep.include({ tables: [], coverage: 1, ok: true });
  });

  it('takes a data source as well as a URL (and does not close the caller\'s)', async () => {
    const ds = new PostgresDataSource({
      url: db.adminUrl,
      pool: { min: 0, max: 2, connectionTimeoutMs: 5000, idleTimeoutMs: 1000, maxLifetimeMs: 60_000 },
      statementTimeoutMs: 5000,
    });
    try {
      expect((await rlsCheck(ds)).ok).to.equal(true);
      expect((await ds.health()).ok).to.equal(true);
    } finally {
      await ds.close();
    }
  });
});

/**
 * Tenant data without a tenant_id column (declared by the `@tenant-data` comment marker) and
 * materialized views (no RLS possible) count too: they pass only while the application role cannot
 * reach them at all.
 */
describe('rls check: tenant data without tenant_id', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('rls_tenant_data');
  });
  afterEach(async () => {
    await db.drop();
  });

  it('fails every marked table and materialized view the application role can reach, and passes once none is', async () => {
    await exec(
      db.adminUrl,
      `create schema app;
       create table app.ledger (id uuid primary key, owner_email text);
       comment on table app.ledger is '@tenant-data legacy rows of every tenant';
       create table app.secret (id uuid primary key, body text);
       comment on table app.secret is 'holds documents @tenant-data';
       create table app.sealed (id uuid primary key, body text);
       comment on table app.sealed is '@tenant-data';
       create table app.pub (id uuid primary key);
       comment on table app.pub is '@tenant-data';
       create table app.note (id uuid primary key);             -- no marker, no tenant_id: not tenant data
       create table app.lookalike (id uuid primary key);
       comment on table app.lookalike is '@tenant-data-ish';    -- not the marker word
       create table app.event (id uuid not null, at timestamptz not null) partition by range (at);
       comment on table app.event is '@tenant-data';
       create table app.event_2025_01 partition of app.event for values from ('2025-01-01') to ('2025-02-01');
       create table app.base (id uuid primary key, tenant_id uuid not null);
       alter table app.base enable row level security; alter table app.base force row level security;
       create policy p on app.base using (tenant_id = current_setting('app.tenant_id', true)::uuid);
       create materialized view app.summary as select tenant_id, count(*) as n from app.base group by tenant_id;
       grant usage on schema app to ${APP_ROLE};
       grant select on app.ledger, app.note, app.lookalike, app.summary to ${APP_ROLE};
       grant select (id) on app.secret to ${APP_ROLE};
       grant select on app.pub to public;
       grant delete on app.event_2025_01 to ${APP_ROLE};
       grant select, insert, update, delete on app.base to ${APP_ROLE};`,
    );
    const report = await rlsCheck(db.adminUrl, ['app'], { appRoles: [APP_ROLE, 'no_such_role_here'] });
    expect(report.appRoles).to.deep.equal([APP_ROLE]);
    const summary = report.tables.map((t) => `${t.schema}.${t.table}:${t.kind}:${t.ok ? 'ok' : 'FAIL'}:${t.appPrivileges.join('+')}`);
    expect(summary).to.deep.equal([
      `app.base:table:ok:${APP_ROLE}:SELECT+${APP_ROLE}:INSERT+${APP_ROLE}:UPDATE+${APP_ROLE}:DELETE`,
      'app.event:partitioned table:ok:',
      `app.event_2025_01:table:FAIL:${APP_ROLE}:DELETE`,
      `app.ledger:table:FAIL:${APP_ROLE}:SELECT`,
      `app.pub:table:FAIL:${APP_ROLE}:SELECT`,
      'app.sealed:table:ok:',
      `app.secret:table:FAIL:${APP_ROLE}:SELECT`,
      `app.summary:materialized view:FAIL:${APP_ROLE}:SELECT`,
    ]);
    const byName = new Map(report.tables.map((t) => [t.table, t]));
    expect(byName.get('event_2025_01')).to.include({ marked: true, tenantColumn: false, partitionOf: 'app.event' });
    expect(byName.get('summary')).to.include({ marked: false, tenantColumn: true, rlsEnabled: false });
    expect(byName.get('ledger')).to.include({ marked: true, tenantColumn: false });
    expect(report.coverage).to.equal(3 / 8);
    expect(report.ok).to.equal(false);

    await exec(
      db.adminUrl,
      `revoke all on app.ledger, app.summary, app.event_2025_01 from ${APP_ROLE};
       revoke select (id) on app.secret from ${APP_ROLE};
       revoke all on app.pub from public;`,
    );
    const fixed = await rlsCheck(db.adminUrl, ['app'], { appRoles: [APP_ROLE] });
    expect(fixed.tables.filter((t) => !t.ok)).to.deep.equal([]);
    expect(fixed.coverage).to.equal(1);
    expect(fixed.ok).to.equal(true);
  });

  it('checks the application group role stellaops_app when no role is named', async () => {
    await exec(
      db.adminUrl,
      `do $$ begin
         if not exists (select 1 from pg_roles where rolname = 'stellaops_app') then create role stellaops_app nologin; end if;
       exception when duplicate_object or unique_violation then null; end $$;
       create schema app;
       create table app.ledger (id uuid primary key);
       comment on table app.ledger is '@tenant-data';
       grant select on app.ledger to stellaops_app;`,
    );
    const report = await rlsCheck(db.adminUrl, ['app']);
    expect(report.appRoles).to.deep.equal(['stellaops_app']);
    expect(report.tables.map((t) => [t.table, t.ok, t.appPrivileges])).to.deep.equal([['ledger', false, ['stellaops_app:SELECT']]]);
    expect(report.ok).to.equal(false);
  });
});
