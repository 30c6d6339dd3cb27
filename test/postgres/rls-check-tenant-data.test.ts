import { expect } from 'chai';
import pg from 'pg';
import { rlsCheck } from '../../src/postgres/rls-check.js';
import { APP_ROLE, createTestDatabase, type TestDatabase } from '../setup/environment.js';

async function exec(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

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
