import { expect } from 'chai';
import { EJSON } from 'bson';
import { runConversion } from '../../src/conversion/index.js';
import { corpusDir } from '../../src/corpus/index.js';
import { readVexCorpus } from '../../src/modules/excititor/corpus-documents.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { runVerify } from '../../src/parity/index.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';

const now = (() => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
})();
const options = { tenants: ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', 'b0e6f1c2-1111-4a59-9d3e-0b7a1f6f2a10'], count: 12, seed: 7, now, corpusDir: null };

describe('Excititor demo data', () => {
  it('is deterministic for a seed and differs for another', () => {
    const a = EJSON.stringify([...excititorModule.demo!(options)], { relaxed: false });
    const b = EJSON.stringify([...excititorModule.demo!(options)], { relaxed: false });
    const c = EJSON.stringify([...excititorModule.demo!({ ...options, seed: 8 })], { relaxed: false });
    expect(a).to.equal(b);
    expect(a).to.not.equal(c);
  });

  it('covers every collection, decodes without loss and respects the unique keys', () => {
    const byCollection = new Map<string, number>();
    const keys = new Set<string>();
    const idKinds = new Set<string>();
    for (const [collection, doc] of excititorModule.demo!(options)) {
      byCollection.set(collection, (byCollection.get(collection) ?? 0) + 1);
      const spec = excititorModule.entities.find((e) => e.collection === collection)!;
      const { entity, legacyId } = decodeDocument(spec, doc);
      idKinds.add(legacyId.split(':')[0]!);
      for (const key of spec.uniqueKeys ?? []) {
        const k = `${collection}|${entity.tenantId}|${key.map((f) => String(entity[f])).join('|')}`;
        expect(keys.has(k), k).to.equal(false);
        keys.add(k);
      }
    }
    expect([...byCollection.keys()].sort()).to.deep.equal(excititorModule.entities.map((e) => e.collection).sort());
    expect([...idKinds].sort()).to.deep.equal(['oid', 'uuid']);
  });

  it('adds the real VEX corpus to the first tenant when corpusDir is set (skipped without the corpus)', function () {
    const root = corpusDir();
    if (!root) this.skip();
    const docs = [...excititorModule.demo!({ ...options, count: 1, corpusDir: root })];
    const raw = docs.filter(([c, d]) => c === 'vex.raw' && String(d.sourceUri ?? '').startsWith('corpus:'));
    expect(raw.length).to.equal(readVexCorpus(root!).length);
    expect(new Set(raw.map(([, d]) => d.tenantId))).to.deep.equal(new Set([options.tenants[0]]));
    for (const [collection, doc] of docs) decodeDocument(excititorModule.entities.find((e) => e.collection === collection)!, doc);
  });

  describe('through conversion and parity', function () {
    this.timeout(300_000);
    let env: ConversionEnv;
    before(async () => {
      env = await startConversionEnv('vex_demo');
      await loadLegacyDocuments(env.mongo.db, excititorModule.demo!(options));
    });
    after(async () => env?.close());

    it('converts with the tier windows applied (B left behind, C schema only) and verifies with 0 mismatches', async () => {
      const report = await runConversion({ config: env.config, module: excititorModule, tier: 'auto', referenceTime: now, progress: 'none', log: testLog });
      expect(report.ok).to.equal(true);
      const by = new Map(report.collections.map((c) => [c.collection, c]));
      for (const c of report.collections) expect(c.quarantined, c.collection).to.equal(0);
      expect(by.get('vex.raw')!.skipped, 'old processed raw documents').to.be.greaterThan(0);
      expect(by.get('vex.timeline_events')!.skipped, 'events past retention').to.be.greaterThan(0);
      expect(by.get('vex.cache')!.outcome).to.equal('schema-only');
      expect(by.get('vex.unknown_items')!.converted).to.be.greaterThan(options.count);
      const { report: verify, exitCode } = await runVerify({ config: env.config, module: excititorModule, outDir: null, referenceTime: now, log: testLog });
      const failing = verify.output.probes.filter((p) => p.status !== 'match').map((p) => `${p.name} ${p.tenant ?? ''} ${p.status} ${JSON.stringify(p.difference)}`);
      const dataFailing = verify.data.filter((d) => JSON.stringify(d).includes('"differing":[{')).map((d) => JSON.stringify(d).slice(0, 600));
      expect(dataFailing).to.deep.equal([]);
      expect(failing).to.deep.equal([]);
      expect(verify.summary.mismatches, JSON.stringify(verify.summary)).to.equal(0);
      expect(exitCode).to.equal(0);
      // The module's own probes ran: triage queue, Unknowns snapshots and histories.
      const names = new Set(verify.output.probes.map((p) => p.name));
      for (const probe of ['vex_decision.triageQueue', 'unknown.current', 'unknown.asOf.d20.d27']) expect(names, probe).to.include(probe);
    });
  });
});
