import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { runConversion } from '../../src/conversion/index.js';
import { runMigrations } from '../../src/postgres/migrations/index.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { user } from '../../src/modules/authority/entities.js';
import { ensureLoginRole } from '../setup/environment.js';
import { startConversionEnv, testLog, type ConversionEnv } from './conversion-env.js';
import { EXPECTED_QUARANTINE_TENANTS, expectExactlyConverted, quarantineUsers, seed, userDoc } from './legacy-docs.js';

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
    await ensureLoginRole(env.admin, OWNER);
    // What a migrating owner role has: create in the database and its schemas.
    await env.admin.query(`grant create on database ${env.db.name} to ${OWNER}`);
    await env.admin.query(`grant usage, create on schema core, authority to ${OWNER}`);
    await env.admin.query(`grant select, insert, update, delete on all tables in schema core to ${OWNER}`);
    await env.admin.query(`alter table authority."user" owner to ${OWNER}`);
    // The quarantine's owner is the maintenance role: its policy lets it write rows of every tenant (core 021).
    await env.admin.query(`alter table core.conversion_quarantine owner to ${OWNER}`);
  });
  const ownerConfig = () => {
    const ownerUrl = new URL(env.db.adminUrl);
    ownerUrl.username = OWNER;
    return loadConfig({ env: { ...env.env, POSTGRES_ADMIN_URL: ownerUrl.toString() } });
  };
  after(async () => env?.close());

  it('writes each tenant\'s rows under that tenant and converts them all', async () => {
    const N = 120;
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
    const flags = (await env.admin.query(`select relrowsecurity, relforcerowsecurity from pg_class where oid = 'authority."user"'::regclass`)).rows[0];
    expect(flags).to.deep.equal({ relrowsecurity: true, relforcerowsecurity: true });
    // Migrations are already applied; the runner finds nothing to do as this role.
    const report = await runConversion({ config: ownerConfig(), module: 'Authority', collection: 'authority_users', batchSize: 25, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    expect(report.collections[0]!.converted).to.equal(N);
    expect(await expectExactlyConverted(env, user)).to.equal(N);
  });

  it('quarantines documents of every tenant and of none in one batch, each row with its tenant, under FORCE RLS', async () => {
    await seed(env, 'authority_users_q', quarantineUsers());
    const flags = (await env.admin.query(`select relforcerowsecurity as forced from pg_class where oid = 'core.conversion_quarantine'::regclass`)).rows[0];
    expect(flags).to.deep.equal({ forced: true });
    const module = { ...authorityModule, entities: [{ ...user, collection: 'authority_users_q' }] };
    const report = await runConversion({ config: ownerConfig(), module, collection: 'authority_users_q', batchSize: 9, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    expect(report.collections[0]).to.include({ converted: 5, quarantined: 4 });
    const rows = (await env.admin.query(`select document_ejson::json ->> 'username' as username, tenant_id from core.conversion_quarantine where collection = 'authority_users_q' order by 1`)).rows;
    expect(Object.fromEntries(rows.map((r) => [r.username, r.tenant_id]))).to.deep.equal(EXPECTED_QUARANTINE_TENANTS);
  });
});
