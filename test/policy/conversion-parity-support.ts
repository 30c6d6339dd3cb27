import { expect } from 'chai';
import { runConversion } from '../../src/conversion/index.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { runVerify } from '../../src/parity/index.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';
import { DEMO_OPTIONS } from './demo-support.js';

/**
 * A module's demo legacy documents, end to end: loaded into the legacy store (memory: or a real
 * MongoDB), converted with the tier predicates, then verified: data parity and output parity (the
 * generic probes and the module's own catalogue) with 0 mismatches.
 */
export function describeConversionParity(module: ModuleDefinition, tierB: readonly string[] = []): void {
  describe(`${module.name}: demo legacy data -> convert -> verify`, function () {
    this.timeout(600_000);
    const now = DEMO_OPTIONS.now;
    let env: ConversionEnv;
    const perCollection = new Map<string, number>();

    before(async () => {
      env = await startConversionEnv(module.folder.replace(/-/g, '_'));
      const docs = [...module.demo!(DEMO_OPTIONS)];
      for (const [c] of docs) perCollection.set(c, (perCollection.get(c) ?? 0) + 1);
      await loadLegacyDocuments(env.mongo.db, docs);
    });
    after(async () => env?.close());

    it('converts every document (tier A) or the tier-B window, with nothing quarantined', async () => {
      const report = await runConversion({ config: env.config, module, tier: 'auto', referenceTime: now, progress: 'none', log: testLog });
      expect(report.ok, JSON.stringify(report.collections.filter((c) => c.outcome === 'failed'))).to.equal(true);
      for (const c of report.collections) {
        expect(c.quarantined, `${c.collection} quarantined`).to.equal(0);
        const total = perCollection.get(c.collection) ?? 0;
        if (tierB.includes(c.collection)) {
          expect(c.tier, c.collection).to.equal('B');
          expect(c.converted, `${c.collection} converted`).to.be.greaterThan(0).and.lessThan(total);
          expect(c.converted + c.skipped, `${c.collection} accounted`).to.equal(total);
        } else {
          expect(c.tier, c.collection).to.equal('A');
          expect(c.converted, `${c.collection} converted`).to.equal(total);
        }
      }
    });

    it('verifies with 0 mismatches, its own probes included and not vacuous', async () => {
      const { report, exitCode } = await runVerify({ config: env.config, module, outDir: null, referenceTime: now, log: testLog });
      const failed = report.output.probes.filter((p) => p.status !== 'match').slice(0, 3);
      expect(report.summary.mismatches, JSON.stringify({ summary: report.summary, failed, data: report.data.filter((d) => d.mismatches) })).to.equal(0);
      expect(exitCode).to.equal(0);
      const own = report.output.probes.filter((p) => p.kind === 'module');
      expect(own.length, 'module probes').to.be.greaterThan(0);
      // Not vacuous: every entity has module probes that found data, and most probes did. (Some
      // answer null by design, e.g. a key looked up exactly at its validTo.)
      const answered = own.filter((p) => (p.mongo.count ?? 0) > 0 && p.mongo.count === p.postgres.count);
      const names = new Set(own.map((p) => p.name));
      const withData = new Set(answered.map((p) => p.name));
      expect(new Set(answered.map((p) => p.entity)), 'entities with answering probes').to.have.keys(...new Set(own.map((p) => p.entity)));
      expect(withData.size / names.size, `probes with data: ${[...names].filter((n) => !withData.has(n)).join(', ')}`).to.be.greaterThan(0.5);
    });

    it('gives the same report digest on a second run over the same data', async () => {
      const a = await runVerify({ config: env.config, module, outDir: null, referenceTime: now, log: testLog });
      const b = await runVerify({ config: env.config, module, outDir: null, referenceTime: now, log: testLog });
      expect(a.report.digest).to.equal(b.report.digest);
    });
  });
}
