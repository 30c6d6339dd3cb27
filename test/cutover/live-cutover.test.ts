import { expect } from 'chai';
import { runLiveCutoverFresh } from '../../bench/cutover-harness.js';
import { authorityModule } from '../../src/modules/authority/index.js';

/**
 * The whole cutover under live traffic (the harness of `npm run bench`, at a test's rate): writers
 * keep writing through the container while the module walks every phase, services restart on each
 * phase's configuration, and the backfill and follower run under the writes; also the rollback from
 * DualWrite (Primary Postgres) to Mongo. Nothing acknowledged is lost, no caller sees an error, and
 * verify finds both stores equal.
 */
describe('cutover under live traffic', function () {
  this.timeout(600_000);

  for (const scenario of ['forward', 'rollback'] as const) {
    it(`${scenario === 'forward' ? 'walks Mongo -> Postgres' : 'walks to DualWrite (Primary Postgres) and rolls back to Mongo'}: 0 lost, 0 caller errors, 0 mismatches`, async () => {
      const report = await runLiveCutoverFresh({ module: authorityModule, writers: 3, rate: 30, phaseMs: 1500, initialDocs: 300, scenario });
      const phases = report.phases.map((p) => p.phase);
      expect(phases).to.deep.equal(
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
      expect(report.parityMismatches).to.equal(0);
      expect(report.directWrites).to.be.greaterThan(0);
    });
  }
});
