import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { migrationSetsFor } from '../../src/container/migration-sets.js';
import { checksFor, runChecks, type CheckContext } from '../../src/cutover/cutover-checks.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { runMigrations } from '../../src/postgres/migrations/index.js';
import { startConversionEnv, type ConversionEnv } from '../conversion/conversion-env.js';

/**
 * `cutover` refuses backfill -> verified while the follower lags, while the deletes were not
 * re-applied after the backfill, and while the last verify found mismatches, naming each failed
 * precondition and what it found; once each holds, that check passes and the others still name theirs.
 */
describe('cutover: refusals name the failed preconditions', function () {
  this.timeout(120_000);
  let env: ConversionEnv;
  let ds: PostgresDataSource;
  let folder: string;
  const converted = authorityModule.entities.filter((e) => e.tier.tier !== 'C');

  before(async () => {
    env = await startConversionEnv('cutover_refuse');
    ds = new PostgresDataSource({ url: env.db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 60_000 }, statementTimeoutMs: 0 });
    await runMigrations(ds, migrationSetsFor([authorityModule]), { categories: ['startup'] });
    folder = mkdtempSync(join(tmpdir(), 'stellaops-refuse-'));
    mkdirSync(join(folder, 'reports'));
    // Every backfill job finished a minute ago; every collection followed.
    for (const e of converted) {
      await ds.query(
        `insert into core.conversion_job (job_id, module, collection, tier, reference_time, status, started_at, finished_at)
         values ($1, 'Authority', $2, $3, now() - interval '5 minutes', 'finished', now() - interval '5 minutes', now() - interval '1 minute')`,
        [`Authority/${e.collection}`, e.collection, e.tier.tier],
      );
      await ds.query(
        `insert into core.change_follow (module, collection, resume_token, state, started_at, updated_at, lag_ms, caught_up_at, swept_at)
         values ('Authority', $1, '{}', 'following', now() - interval '6 minutes', now(), 0, now(), now())`,
        [e.collection],
      );
    }
  });
  after(async () => {
    await ds?.close();
    await env?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  function writeReport(mismatches: number): void {
    const report = { module: 'Authority', summary: { ok: mismatches === 0, mismatches }, timings: { finishedAt: new Date().toISOString() }, data: converted.map((e) => ({ collection: e.collection })) };
    writeFileSync(join(folder, 'reports', 'parity-authority.json'), JSON.stringify(report));
  }

  async function refused(): Promise<Record<string, string>> {
    const file = join(folder, 'backfill.json');
    writeFileSync(file, JSON.stringify({ Persistence: { Authority: 'DualWrite' }, DualWriteOverrides: { Authority: { Primary: 'Mongo' } } }));
    const plan = checksFor('backfill', 'verified');
    if (!('checks' in plan)) throw new Error(plan.reason);
    const c: CheckContext = { ds, mongo: env.mongo, config: loadConfig({ file, env: env.env }), module: authorityModule, maxLagMs: 5_000, maxVerifyAgeMs: 3_600_000, reportsDir: join(folder, 'reports'), now: new Date() };
    return Object.fromEntries((await runChecks(plan.checks, c)).filter((r) => !r.ok).map((r) => [r.name, r.detail]));
  }

  it('names the lagging follower, the unswept deletes and the unclean verify, then each clears on its own', async () => {
    const lagging = converted[0]!.collection;
    const unswept = converted[1]!.collection;
    await ds.query(`update core.change_follow set lag_ms = 120000, caught_up_at = now() - interval '10 minutes', updated_at = now() - interval '10 minutes' where collection = $1`, [lagging]);
    await ds.query(`update core.change_follow set swept_at = now() - interval '3 minutes' where collection = $1`, [unswept]);
    writeReport(3);

    let failed = await refused();
    expect(Object.keys(failed).sort()).to.deep.equal(['deletes re-applied after backfill', 'follow caught up', 'verify clean and recent']);
    expect(failed['follow caught up']).to.match(new RegExp(`${lagging}: lag 120000 ms, last caught up \\d+ ms ago`));
    expect(failed['deletes re-applied after backfill']).to.equal(`follow has not swept since the backfill finished: ${unswept}`);
    expect(failed['verify clean and recent']).to.match(/parity-authority\.json: 3 mismatch\(es\)/);

    await ds.query(`update core.change_follow set lag_ms = 0, caught_up_at = now(), updated_at = now() where collection = $1`, [lagging]);
    failed = await refused();
    expect(Object.keys(failed).sort()).to.deep.equal(['deletes re-applied after backfill', 'verify clean and recent']);

    await ds.query(`update core.change_follow set swept_at = now() where collection = $1`, [unswept]);
    writeReport(0);
    expect(await refused()).to.deep.equal({});
  });

  it('names a resume point that left the change history', async () => {
    const gone = converted[2]!.collection;
    await ds.query(`update core.change_follow set state = 'lost', lost_reason = 'oplog rolled over' where collection = $1`, [gone]);
    try {
      const failed = await refused();
      expect(Object.keys(failed)).to.include('follow caught up');
      expect(failed['follow caught up']).to.equal(`${gone}: resume point lost`);
    } finally {
      await ds.query(`update core.change_follow set state = 'following', lost_reason = null where collection = $1`, [gone]);
    }
  });
});
