import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, pgAdminUrl, type TestDatabase } from '../setup/environment.js';
import { runCli } from '../setup/run-cli.js';

/**
 * The `demo --drift` wiring: the drift is seeded, the quarantine is read back and printed by reason
 * with its category, and the deliberate duplicate is found in it. Whether the module passes depends on
 * the codec's handling of drift (other work), so the exit code is not asserted here, only that the
 * verdict agrees with what it printed.
 */
describe('demo --drift (CLI)', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let work: string;
  let adminRoot: string;
  const demoName = `t_drift_${randomBytes(4).toString('hex')}`;

  before(async () => {
    db = await createTestDatabase('drift');
    work = mkdtempSync(join(tmpdir(), 'stellaops-drift-'));
    adminRoot = await pgAdminUrl();
  });
  after(async () => {
    const c = new pg.Client({ connectionString: adminRoot });
    await c.connect();
    await c.query(`drop database if exists ${pg.escapeIdentifier(demoName)} with (force)`).finally(() => c.end());
    rmSync(work, { recursive: true, force: true });
    await db?.drop();
  });

  it('--json carries, per module, documents, converted, quarantine by reason with its category, and the drift ledger', async () => {
    const args = ['demo', '--drift', '--module', 'PacksRegistry', '--count', '4', '--tenants', '3', '--no-corpus', '--folder', join(work, 'legacy'), '--out', join(work, 'reports'), '--database', demoName, '--now', '2026-06-01T00:00:00Z', '--json', '--no-progress'];
    const r = await runCli(args, { POSTGRES_URL: db.adminUrl });
    expect(r.code, r.stderr).to.be.oneOf([0, 1]);
    const doc = JSON.parse(r.stdout);
    expect(doc.drift).to.equal(true);
    const m = doc.modules[0];
    const seeded = Object.values(m.seeded as Record<string, number>).reduce((n, c) => n + c, 0);
    expect(m.drift.documents).to.equal(seeded);
    expect(m.drift.converted + m.drift.skippedByTier + m.drift.quarantined).to.equal(seeded);
    expect(m.drift.ledger.tenantNames).to.have.keys(doc.tenants[0], doc.tenants[1]);
    const dup = m.drift.ledger.duplicate;
    expect(dup.collection).to.equal('packs_registry_entries');
    expect(m.drift.quarantine.reduce((n: number, g: { count: number }) => n + g.count, 0)).to.equal(m.drift.quarantined);
    for (const g of m.drift.quarantine) expect(g.category).to.be.oneOf(['deliberate-duplicate', 'duplicate-key', 'unstorable', 'other']);
    // The copy is refused whatever else happens (a duplicate, or today its named tenant).
    expect(m.drift.problems.join(' ')).to.not.include('is not in the quarantine');
    expect(m.drift.quarantined).to.be.greaterThan(0);
    const other = m.drift.quarantine.filter((g: { category: string }) => g.category === 'other');
    expect(m.drift.ok).to.equal(other.length === 0);
    expect(doc.ok).to.equal(r.code === 0);
    if (other.length === 0) expect(r.code).to.equal(0);
  });
});
