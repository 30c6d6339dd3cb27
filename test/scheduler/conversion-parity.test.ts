import { expect } from 'chai';
import { EJSON } from 'bson';
import { runConversion } from '../../src/conversion/index.js';
import type { DemoOptions, ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { notifyModule } from '../../src/modules/notify/index.js';
import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { runVerify } from '../../src/parity/index.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';

/** A fixed "now" far from the machine's: conversion must make the partitions of the months it loads. */
const DEMO: DemoOptions = Object.freeze({
  tenants: ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', 'b0e6f1c2-1111-4a59-9d3e-0b7a1f6f2a10'],
  count: 12,
  seed: 11,
  now: new Date('2025-03-10T12:00:00.000Z'),
  corpusDir: null,
});

const CASES: { module: ModuleDefinition; tierB: string[]; tierC: string[]; partitioned: string[] }[] = [
  { module: schedulerModule, tierB: ['runs', 'graph_jobs', 'policy_jobs', 'impact_snapshots', 'execution_logs'], tierC: ['locks', 'job_queue'], partitioned: ['scheduler.run', 'scheduler.execution_log'] },
  { module: notifyModule, tierB: ['deliveries'], tierC: ['outbox'], partitioned: ['notify.delivery'] },
];

for (const { module, tierB, tierC, partitioned } of CASES) {
  describe(`${module.name} demo data`, () => {
    it('is deterministic per seed, decodes exactly in every collection, and spans the tier-B windows', () => {
      const a = EJSON.stringify([...module.demo!(DEMO)], { relaxed: false });
      expect(EJSON.stringify([...module.demo!(DEMO)], { relaxed: false })).to.equal(a);
      expect(EJSON.stringify([...module.demo!({ ...DEMO, seed: 12 })], { relaxed: false })).to.not.equal(a);
      const seen = new Map<string, { kept: number; total: number }>();
      for (const [collection, doc] of module.demo!(DEMO)) {
        const spec = module.entities.find((s) => s.collection === collection);
        expect(spec, collection).to.not.equal(undefined);
        const { entity } = decodeDocument(spec!, doc);
        const s = seen.get(collection) ?? { kept: 0, total: 0 };
        s.total++;
        if (spec!.tier.tier === 'A' || (spec!.tier.tier === 'B' && spec!.tier.keep(entity, DEMO.now))) s.kept++;
        seen.set(collection, s);
      }
      const declared = module.entities.filter((s) => s.tier.tier !== 'C' && s.name !== 'audit_log').map((s) => s.collection).sort();
      expect([...seen.keys()].filter((c) => !tierC.includes(c)).sort()).to.deep.equal(declared);
      for (const c of tierB) expect(seen.get(c)!.kept, c).to.be.greaterThan(0).and.lessThan(seen.get(c)!.total);
    });
  });

  describe(`${module.name}: demo legacy data -> convert -> verify`, function () {
    this.timeout(600_000);
    let env: ConversionEnv;
    const perCollection = new Map<string, number>();

    before(async () => {
      env = await startConversionEnv(module.folder);
      const docs = [...module.demo!(DEMO)];
      for (const [c] of docs) perCollection.set(c, (perCollection.get(c) ?? 0) + 1);
      await loadLegacyDocuments(env.mongo.db, docs);
    });
    after(async () => env?.close());

    it('converts tier A whole, the tier-B windows, nothing of tier C, with nothing quarantined', async () => {
      const report = await runConversion({ config: env.config, module, tier: 'auto', referenceTime: DEMO.now, progress: 'none', log: testLog, batchSize: 17 });
      expect(report.ok, JSON.stringify(report.collections.filter((c) => c.outcome === 'failed'))).to.equal(true);
      for (const c of report.collections) {
        expect(c.quarantined, `${c.collection} quarantined`).to.equal(0);
        const total = perCollection.get(c.collection) ?? 0;
        if (tierC.includes(c.collection)) {
          expect(c.tier, c.collection).to.equal('C');
          expect(c.converted, c.collection).to.equal(0);
        } else if (tierB.includes(c.collection)) {
          expect(c.tier, c.collection).to.equal('B');
          expect(c.converted, `${c.collection} converted`).to.be.greaterThan(0).and.lessThan(total);
          expect(c.converted + c.skipped, `${c.collection} accounted`).to.equal(total);
        } else {
          expect(c.tier, c.collection).to.equal('A');
          expect(c.converted, `${c.collection} converted`).to.equal(total);
        }
      }
      // Rows of the demo's past months landed in partitions the conversion made for them.
      for (const table of partitioned) {
        const months = await env.admin.query(
          `select distinct to_char(created_at at time zone 'UTC', 'YYYYMM') as m, tableoid::regclass::text as p from ${table}`,
        );
        expect(months.rows.length, table).to.be.greaterThan(1);
        for (const r of months.rows) expect(r.p).to.equal(`${table}_p${r.m}`);
      }
    });

    it('verifies with 0 mismatches, its own probes included and answering', async () => {
      const { report, exitCode } = await runVerify({ config: env.config, module, outDir: null, referenceTime: DEMO.now, log: testLog });
      const failed = report.output.probes.filter((p) => p.status !== 'match').slice(0, 3);
      expect(report.summary.mismatches, JSON.stringify({ summary: report.summary, failed, data: report.data.filter((d) => d.mismatches) })).to.equal(0);
      expect(exitCode).to.equal(0);
      const own = report.output.probes.filter((p) => p.kind === 'module');
      const answered = own.filter((p) => (p.mongo.count ?? 0) > 0 && p.mongo.count === p.postgres.count);
      const names = new Set(own.map((p) => p.name));
      const withData = new Set(answered.map((p) => p.name));
      expect(names.size, 'module probes').to.be.greaterThan(8);
      expect(withData.size / names.size, `probes without data: ${[...names].filter((n) => !withData.has(n)).join(', ')}`).to.be.greaterThan(0.6);
    });

    it('gives the same report digest on a second run', async () => {
      const a = await runVerify({ config: env.config, module, outDir: null, referenceTime: DEMO.now, log: testLog });
      const b = await runVerify({ config: env.config, module, outDir: null, referenceTime: DEMO.now, log: testLog });
      expect(a.report.digest).to.equal(b.report.digest);
    });
  });
}
