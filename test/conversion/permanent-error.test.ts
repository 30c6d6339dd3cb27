import { expect } from 'chai';
import { ObjectId } from 'bson';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { formatSummary, runConversion } from '../../src/conversion/index.js';
import { runMigrations } from '../../src/postgres/migrations/index.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { startConversionEnv, testLog, type ConversionEnv } from './conversion-env.js';
import { expectExactlyConverted, seed, TENANTS } from './legacy-docs.js';

const noteSpec: EntitySpec = {
  module: 'Authority',
  name: 'conv_note',
  collection: 'conv_notes',
  schema: 'conv_test',
  table: 'note',
  fields: [{ name: 'body', type: 'text' }],
  orders: { default: { fields: [{ field: 'body', dir: 'asc' }] } },
  tier: { tier: 'A' },
};
const noteModule: ModuleDefinition = { name: 'Authority', folder: 'authority', schemas: ['authority', 'conv_test'], entities: [noteSpec], tokens: { conv_note: Symbol.for('Authority.conv_note') } };

describe('conversion: permanent errors', function () {
  this.timeout(120_000);
  let env: ConversionEnv;

  before(async () => {
    env = await startConversionEnv('conv_permanent');
    await runMigrations(env.db.adminUrl, migrationSetsFor([noteModule]));
    const at = new Date(Date.UTC(2025, 0, 1));
    await seed(env, 'conv_notes', Array.from({ length: 40 }, (_, i) => ({ _id: new ObjectId(i.toString(16).padStart(24, '0')), tenantId: TENANTS[i % 3], body: `note ${i}`, createdAt: at, updatedAt: at })));
  });
  after(async () => env?.close());

  it('stops the job with a clear message, gives its range back, and resumes once the cause is fixed', async () => {
    // The target table does not exist yet: not transient, so no retry and no quarantine.
    const failed = await runConversion({ config: env.config, module: noteModule, batchSize: 10, progress: 'none', log: testLog });
    expect(failed.ok).to.equal(false);
    const s = failed.collections[0]!;
    expect(s.outcome).to.equal('failed');
    expect(s.error).to.match(/relation "conv_test.note" does not exist/);
    expect(formatSummary(s).join('\n')).to.match(/FAILED in pass 1 .*does not exist\n {2}so far: converted 0 .*The job is resumable/);
    const state = (await env.admin.query(`select r.status as range, j.status as job from core.conversion_range r join core.conversion_job j using (job_id)`)).rows;
    expect(state).to.deep.equal([{ range: 'pending', job: 'running' }]);
    expect((await env.admin.query(`select count(*)::int as n from core.conversion_quarantine`)).rows[0].n).to.equal(0);

    await env.admin.query(`create schema conv_test;
      create table conv_test.note (id uuid primary key, tenant_id uuid not null, body text not null,
        created_at timestamptz(3) not null, updated_at timestamptz(3) not null, legacy_id text,
        legacy_extra jsonb not null default '{}');
      select core.enable_tenant_rls('conv_test.note');`);
    const resumed = await runConversion({ config: env.config, module: noteModule, batchSize: 10, progress: 'none', log: testLog });
    expect(resumed.ok, JSON.stringify(resumed)).to.equal(true);
    expect(resumed.collections[0]!.converted).to.equal(40);
    expect(await expectExactlyConverted(env, noteSpec)).to.equal(40);
  });
});
