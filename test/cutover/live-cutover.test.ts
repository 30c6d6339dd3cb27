import { expect } from 'chai';
import { runLiveCutoverFresh, type HarnessOptions, type HarnessReport } from '../../bench/cutover-harness.js';
import { authorityWorkload, schedulerWorkload } from '../../bench/cutover-workloads.js';

/**
 * The whole cutover under live traffic (the harness of `npm run bench`, at a test's rate): writers
 * keep writing through the container while the module walks every phase, services restart on each
 * phase's configuration, and the backfill, the follower and verify run under the writes (nothing
 * pauses); also the rollback from DualWrite (Primary Postgres) to Mongo, and runs where the
 * converter and the follower are killed with SIGKILL while they work and started again. Authority
 * is a plain module; Scheduler has a custom store (its job queue) that takes traffic as well.
 * Nothing acknowledged is lost, no caller sees an error, and every verify finds both stores equal.
 */
describe('cutover under live traffic', function () {
  this.timeout(900_000);

  const run = (o: Pick<HarnessOptions, 'workload' | 'scenario' | 'kill'>) => runLiveCutoverFresh({ writers: 3, rate: 20, phaseMs: 1500, initialDocs: 300, directIntervalMs: 200, ...o });

  function expectClean(report: HarnessReport, scenario: 'forward' | 'rollback'): void {
    expect(report.phases.map((p) => p.phase)).to.deep.equal(
      scenario === 'forward'
        ? ['mongo', 'dualwrite-mongo', 'backfill', 'verified', 'dualwrite-postgres', 'postgres']
        : ['mongo', 'dualwrite-mongo', 'backfill', 'verified', 'dualwrite-postgres', 'mongo'],
    );
    expect(report.errors, report.errors.join('\n')).to.deep.equal([]);
    for (const p of report.phases) {
      expect(p.acknowledged, `${p.phase}: writes acknowledged`).to.be.greaterThan(0);
      expect(p.callerErrors, `${p.phase}: caller errors`).to.equal(0);
    }
    expect(report.lost).to.equal(0);
    // Two verifies ran while the writes continued (backfill, DualWrite Primary Postgres): both clean.
    expect(report.parity.map((p) => p.phase)).to.deep.equal(['backfill', 'dualwrite-postgres']);
    for (const p of report.parity) expect(p.mismatches, `verify in ${p.phase}`).to.equal(0);
    expect(report.parityMismatches).to.equal(0);
    expect(report.directWrites).to.be.greaterThan(0);
  }

  for (const workload of [authorityWorkload, schedulerWorkload]) {
    const m = workload.module.name;
    it(`${m} walks Mongo -> Postgres under writes: 0 lost, 0 caller errors, 0 mismatches`, async () => {
      const report = await run({ workload, scenario: 'forward' });
      expectClean(report, 'forward');
      if (workload.jobQueue) expect(report.jobOps, 'job-queue calls acknowledged').to.be.greaterThan(0);
    });

    it(`${m} walks to DualWrite (Primary Postgres) and rolls back to Mongo under writes: 0 lost, 0 caller errors, 0 mismatches`, async () => {
      expectClean(await run({ workload, scenario: 'rollback' }), 'rollback');
    });

    it(`${m}: the converter and the follower killed (kill -9) at random moments and started again: 0 lost, 0 mismatches`, async () => {
      const report = await run({ workload, scenario: m === 'Authority' ? 'forward' : 'rollback', kill: { seed: m.length, converter: 2, follower: 2 } });
      // Up to two kills each are planned; a kill waits for the process to make progress, so a run whose
      // follower has nothing left to apply before it is stopped kills it fewer times. At least one each.
      expect(report.kills.converter, 'convert processes killed').to.be.within(1, 2);
      expect(report.kills.follower, 'follow processes killed').to.be.within(1, 2);
      expectClean(report, m === 'Authority' ? 'forward' : 'rollback');
    });
  }
});
