import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { derivedUuid } from '../../src/codec/ids.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { ISSUER_SYSTEM_TENANT_ID, type Issuer } from '../../src/interfaces/issuer-directory.js';
import { POLICY_SYSTEM_TENANT_ID, type RiskProfile } from '../../src/interfaces/policy.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { policyModule } from '../../src/modules/policy/index.js';
import { packageRoot, runMigrations } from '../../src/postgres/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';
import { startTestRuntime } from '../setup/runtime.js';

const MODULES = [policyModule, packsRegistryModule, issuerDirectoryModule];
const seedFile = (folder: string, name: string) => join(packageRoot(), 'src', 'modules', folder, 'migrations', name);

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Rows of the system tenant, counted as the owner (a superuser here, so RLS does not hide them). */
async function seeded(db: TestDatabase): Promise<{ profiles: string[]; issuers: string[] }> {
  return withClient(db.adminUrl, async (c) => ({
    profiles: (await c.query(`select profile_id from policy.risk_profile where tenant_id = $1 order by profile_id`, [POLICY_SYSTEM_TENANT_ID])).rows.map((r) => r.profile_id),
    issuers: (await c.query(`select issuer_id from issuer.issuer where tenant_id = $1 order by issuer_id`, [ISSUER_SYSTEM_TENANT_ID])).rows.map((r) => r.issuer_id),
  }));
}

/** Runs the compiled CLI that sits beside this compiled test (whatever the output folder). */
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

describe('Policy and IssuerDirectory seed migrations (S001)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('policy_seed');
  });
  after(async () => db?.drop());

  it('are not applied at start-up, only with the seed category, once, and idempotently', async () => {
    const startup = await runMigrations(db.adminUrl, migrationSetsFor(MODULES), { categories: ['startup'] });
    const pending = Object.fromEntries(startup.map((r) => [r.module, r.pendingOther.map((m) => `${m.version}:${m.category}`)]));
    expect(pending.Policy).to.deep.equal(['S001:seed']);
    expect(pending.IssuerDirectory).to.deep.equal(['S001:seed']);
    expect(pending.PacksRegistry).to.deep.equal([]);
    expect(await seeded(db)).to.deep.equal({ profiles: [], issuers: [] });

    const seed = await runMigrations(db.adminUrl, migrationSetsFor(MODULES), { categories: ['seed'] });
    expect(seed.flatMap((r) => r.applied.map((m) => `${r.module}:${m.version}_${m.name}`))).to.deep.equal([
      'Policy:S001_default_risk_profiles',
      'IssuerDirectory:S001_well_known_issuers',
    ]);
    const expected = { profiles: ['default', 'lenient', 'strict'], issuers: ['bsi', 'cisa', 'debian', 'redhat', 'suse', 'ubuntu'] };
    expect(await seeded(db)).to.deep.equal(expected);

    const again = await runMigrations(db.adminUrl, migrationSetsFor(MODULES), { categories: ['startup', 'seed'] });
    expect(again.flatMap((r) => r.applied)).to.deep.equal([]);

    // Running the files' SQL again (a restored history, a second environment) changes nothing.
    await withClient(db.adminUrl, async (c) => {
      for (const file of [seedFile('policy', 'S001_default_risk_profiles.sql'), seedFile('issuer-directory', 'S001_well_known_issuers.sql')]) {
        await c.query('begin');
        await c.query(readFileSync(file, 'utf8'));
        await c.query('commit');
      }
    });
    expect(await seeded(db)).to.deep.equal(expected);
  });

  it('uses the documented deterministic ids and fixed timestamps', async () => {
    await withClient(db.adminUrl, async (c) => {
      const profiles = (await c.query(`select id, profile_id, version, created_at from policy.risk_profile order by profile_id`)).rows;
      for (const p of profiles) {
        expect(p.id).to.equal(derivedUuid('seed', 'Policy.risk_profile', p.profile_id, String(p.version)));
        expect((p.created_at as Date).toISOString()).to.equal('2025-12-01T00:00:00.000Z');
      }
      const issuers = (await c.query(`select id, issuer_id from issuer.issuer`)).rows;
      for (const i of issuers) expect(i.id).to.equal(derivedUuid('seed', 'IssuerDirectory.issuer', i.issuer_id));
    });
  });

  it('works for an owner that is not a superuser, under forced row-level security', async () => {
    const owner = 'stellaops_test_policy_owner';
    await withClient(db.adminUrl, async (c) => {
      await c.query(`do $$ begin
          if not exists (select 1 from pg_roles where rolname = '${owner}') then create role ${owner} nologin nosuperuser nobypassrls; end if;
        exception when duplicate_object or unique_violation then null; end $$`);
      await c.query(`grant usage on schema policy, core to ${owner}`);
      await c.query(`alter table policy.risk_profile owner to ${owner}`);
      await c.query(`delete from policy.risk_profile`);
      await c.query('begin');
      await c.query(`set local role ${owner}`);
      await c.query(readFileSync(seedFile('policy', 'S001_default_risk_profiles.sql'), 'utf8'));
      await c.query('commit');
      // Without the tenant, the forced policy hides every row from the owner too.
      await c.query('begin');
      await c.query(`set local role ${owner}`);
      expect((await c.query('select count(*)::int as n from policy.risk_profile')).rows[0].n).to.equal(0);
      await c.query('rollback');
      await c.query(`alter table policy.risk_profile owner to current_user`);
    });
    expect((await seeded(db)).profiles).to.deep.equal(['default', 'lenient', 'strict']);
  });

  it('are readable through the repositories as the system tenant, and by no other tenant', async () => {
    const t = await startTestRuntime('Postgres', { modules: MODULES });
    try {
      await runMigrations(t.db.adminUrl, migrationSetsFor(MODULES), { categories: ['seed'] });
      const system = tenantContext(POLICY_SYSTEM_TENANT_ID);
      const profiles = t.runtime.repository<RiskProfile>('Policy', 'risk_profile');
      const page = await profiles.list(system, {});
      expect(page.items.map((p) => `${p.profileId}@${p.version}`)).to.deep.equal(['default@1', 'lenient@1', 'strict@1']);
      expect((await profiles.list(system, { where: { isDefault: true } })).items.map((p) => p.profileId)).to.deep.equal(['default']);
      expect((await profiles.findOne(system, { profileId: 'strict', version: 1 }))?.weights).to.deep.equal({ cvss: 0.35, epss: 0.25, kev: 0.3, reachability: 0.1 });
      const issuers = t.runtime.repository<Issuer>('IssuerDirectory', 'issuer');
      expect((await issuers.findOne(tenantContext(ISSUER_SYSTEM_TENANT_ID), { issuerId: 'redhat' }))?.formats).to.deep.equal(['csaf', 'csaf-vex']);
      expect((await profiles.list(t.tenant(), {})).items).to.deep.equal([]);
      expect(await issuers.findOne(t.tenant(), { issuerId: 'redhat' })).to.equal(null);
    } finally {
      await t.close();
    }
  });

  it('through the binary: `migrate` leaves the seeds out, `migrate --seed` applies them, `rls check` is 100%', async () => {
    const fresh = await createTestDatabase('policy_seed_cli');
    try {
      const env = { POSTGRES_URL: fresh.appUrl, POSTGRES_ADMIN_URL: fresh.adminUrl, MONGO_URL: 'memory:' };
      const modules = ['--module', 'Policy', 'PacksRegistry', 'IssuerDirectory'];
      const plain = await cli(['migrate', ...modules], env);
      expect(plain.code, plain.stderr).to.equal(0);
      expect(await seeded(fresh)).to.deep.equal({ profiles: [], issuers: [] });
      const seed = await cli(['migrate', '--seed', ...modules], env);
      expect(seed.code, seed.stderr).to.equal(0);
      expect((await seeded(fresh)).profiles).to.deep.equal(['default', 'lenient', 'strict']);
      const rls = await cli(['rls', 'check', '--json'], env);
      expect(rls.code, rls.stderr).to.equal(0);
      expect(JSON.parse(rls.stdout).coverage).to.equal(1);
    } finally {
      await fresh.drop();
    }
  });
});
