import { expect } from 'chai';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { policyModule } from '../../src/modules/policy/index.js';
import { MODULES } from '../../src/modules/registry.js';
import { runMigrations } from '../../src/postgres/migrations/index.js';
import { rlsCheck } from '../../src/postgres/rls-check.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';

describe('Policy, PacksRegistry, IssuerDirectory: row-level security coverage', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('policy_rls');
  });
  after(async () => db?.drop());

  it('are registered, and migrate beside every other module (PacksRegistry and Policy sharing schema policy)', async () => {
    for (const m of [policyModule, packsRegistryModule, issuerDirectoryModule]) expect(MODULES, m.name).to.include(m);
    await runMigrations(db.adminUrl, migrationSetsFor(MODULES), { categories: ['startup', 'seed'] });
  });

  it('have RLS enabled, forced and a policy on every tenant table: 100% coverage', async () => {
    const report = await rlsCheck(db.adminUrl, ['policy', 'issuer']);
    expect(report.tables.map((t) => `${t.schema}.${t.table}:${t.ok ? 'ok' : 'FAIL'}`)).to.deep.equal([
      'issuer.audit_log:ok',
      'issuer.issuer:ok',
      'issuer.issuer_key:ok',
      'issuer.trust_override:ok',
      'policy.audit_log:ok',
      'policy.evaluation_run:ok',
      'policy.exception:ok',
      'policy.pack:ok',
      'policy.pack_version:ok',
      'policy.registry_audit_log:ok',
      'policy.registry_entry:ok',
      'policy.registry_version:ok',
      'policy.risk_profile:ok',
      'policy.rule:ok',
    ]);
    expect(report.coverage).to.equal(1);
    expect(report.ok).to.equal(true);
  });

  it('declare exactly the tables their migrations create', async () => {
    const declared = [policyModule, packsRegistryModule, issuerDirectoryModule].flatMap((m) => m.entities.map((e) => `${e.schema}.${e.table}`)).sort();
    const report = await rlsCheck(db.adminUrl, ['policy', 'issuer']);
    expect(report.tables.map((t) => `${t.schema}.${t.table}`)).to.deep.equal(declared);
  });
});
