import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { runConversion } from '../../src/conversion/index.js';
import { runMigrations } from '../../src/postgres/migrations/index.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { user } from '../../src/modules/authority/entities.js';
import { startConversionEnv, testLog, type ConversionEnv } from './conversion-env.js';
import { expectExactlyConverted, seed, userDoc } from './legacy-docs.js';

/**
 * The conversion loads as the owner role, which in production is no superuser and has no BYPASSRLS:
 * with RLS forced on the table, every row must be written under its own tenant. Superuser test runs
 * would never notice; this one runs as such an owner.
 */
describe('conversion: as a table owner without BYPASSRLS (forced RLS)', function () {
  this.timeout(120_000);
  const OWNER = 'stellaops_conv_test_owner';
  let env: ConversionEnv;

  before(async () => {
    env = await startConversionEnv('conv_owner');
    await runMigrations(env.db.adminUrl, migrationSetsFor([authorityModule]));
    await env.admin.query(`do $$ begin
        if not exists (select 1 from pg_roles where rolname = '${OWNER}') then
          create role ${OWNER} login nosuperuser nobypassrls nocreatedb nocreaterole;
        end if;
      exception when duplicate_object or unique_violation then null; end $$`);
    // What a migrating owner role has: create in the database and its schemas.
    await env.admin.query(`grant create on database ${env.db.name} to ${OWNER}`);
    await env.admin.query(`grant usage, create on schema core, authority to ${OWNER}`);
    await env.admin.query(`grant select, insert, update, delete on all tables in schema core to ${OWNER}`);
    await env.admin.query(`alter table authority."user" owner to ${OWNER}`);
  });
  after(async () => env?.close());

  it('writes each tenant\'s rows under that tenant and converts them all', async () => {
    const N = 120;
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
    const flags = (await env.admin.query(`select relrowsecurity, relforcerowsecurity from pg_class where oid = 'authority."user"'::regclass`)).rows[0];
    expect(flags).to.deep.equal({ relrowsecurity: true, relforcerowsecurity: true });
    const ownerUrl = new URL(env.db.adminUrl);
    ownerUrl.username = OWNER;
    const config = loadConfig({ env: { ...env.env, POSTGRES_ADMIN_URL: ownerUrl.toString() } });
    // Migrations are already applied; the runner finds nothing to do as this role.
    const report = await runConversion({ config, module: 'Authority', collection: 'authority_users', batchSize: 25, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    expect(report.collections[0]!.converted).to.equal(N);
    expect(await expectExactlyConverted(env, user)).to.equal(N);
  });
});
