import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { runConversion } from '../../src/conversion/index.js';
import { encodeDocument } from '../../src/mongo/document-codec.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { unknown, vulnFact } from '../../src/modules/excititor/entities.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { legacyDocument } from '../../src/modules/excititor/demo.js';
import { factContentHash } from '../../src/modules/excititor/vuln-fact-rules.js';
import { runVerify } from '../../src/parity/index.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';

const at = (d: number) => new Date(Date.UTC(2026, 5, 1) + d * 86_400_000);

/**
 * Legacy documents that break the rules of the new tables land in quarantine with PostgreSQL's or the
 * declaration's reason; the rest converts, and parity accounts for the quarantined ones.
 */
describe('Excititor legacy conversion: what cannot be converted is quarantined with its reason', function () {
  this.timeout(300_000);
  const tenant = randomUUID();
  let env: ConversionEnv;
  before(async () => {
    env = await startConversionEnv('vex_legacy');
    const version = (i: number, fields: Record<string, unknown>) =>
      legacyDocument(unknown, { tenantId: tenant, createdAt: at(i), updatedAt: at(i), subjectHash: 's1', kind: 'missing_vex', context: { i }, validFrom: at(0), validTo: null, sysFrom: at(i), sysTo: null, ...fields }, `oid:65a0000000000000000000${String(i).padStart(2, '0')}`);
    const payload = { document: { csaf_version: '2.0', tracking: { id: 'X-1' } } };
    const fact = { tenantId: tenant, createdAt: at(1), updatedAt: at(1), source: 'csaf', externalId: 'X-1', payload, schemaVersion: 1, receivedAt: at(1), contentHash: factContentHash(payload) };
    await loadLegacyDocuments(env.mongo.db, [
      // A proper history: superseded on day 2, then the current belief.
      [unknown.collection, version(1, { sysTo: at(2), updatedAt: at(2) })],
      [unknown.collection, version(2, {})],
      // A second open row of the same subject (legacy data the unique index refuses).
      [unknown.collection, version(3, {})],
      // An empty valid interval.
      [unknown.collection, version(4, { subjectHash: 's2', validTo: at(0) })],
      [vulnFact.collection, legacyDocument(vulnFact, fact, 'oid:65b000000000000000000001')],
      // A "fact" the legacy store changed after recording it: not a fact any more.
      [vulnFact.collection, encodeDocument(vulnFact, { ...fact, id: randomUUID(), updatedAt: at(5), externalId: 'X-2', payload: { ...payload, v: 2 }, contentHash: factContentHash({ ...payload, v: 2 }) }, 'oid:65b000000000000000000002')],
    ]);
  });
  after(async () => env?.close());

  it('quarantines legacy Unknowns the bitemporal rules refuse, with the reason, and verifies with 0 mismatches', async () => {
    const report = await runConversion({ config: env.config, module: excititorModule, collection: unknown.collection, tier: 'auto', referenceTime: at(10), progress: 'none', log: testLog });
    const [summary] = report.collections;
    expect(summary!.converted).to.equal(2);
    expect(summary!.quarantined).to.equal(2);
    const reasons = (await env.admin.query(`select legacy_id, reason from core.conversion_quarantine where collection = $1 order by legacy_id`, [unknown.collection])).rows;
    expect(reasons.map((r) => r.legacy_id)).to.deep.equal(['oid:65a000000000000000000003', 'oid:65a000000000000000000004']);
    expect(reasons[0].reason).to.match(/unknown_one_open_per_subject/);
    expect(reasons[1].reason).to.match(/ck_unknown_valid_interval/);
    const { report: verify } = await runVerify({ config: env.config, module: excititorModule, collections: [unknown.collection], outDir: null, referenceTime: at(10), log: testLog });
    expect(verify.summary.mismatches, JSON.stringify(verify.summary)).to.equal(0);
  });

  it('quarantines a legacy "fact" that was changed after it was recorded (the declaration refuses it)', async () => {
    const report = await runConversion({ config: env.config, module: excititorModule, collection: vulnFact.collection, tier: 'auto', referenceTime: at(10), progress: 'none', log: testLog });
    const [summary] = report.collections;
    expect(summary!.converted).to.equal(1);
    expect(summary!.quarantined).to.equal(1);
    const quarantined = (await env.admin.query(`select legacy_id, reason from core.conversion_quarantine where collection = $1`, [vulnFact.collection])).rows;
    expect(quarantined.map((r) => r.legacy_id)).to.deep.equal(['oid:65b000000000000000000002']);
    expect(quarantined[0].reason).to.match(/vuln facts are immutable/);
    const { report: verify } = await runVerify({ config: env.config, module: excititorModule, collections: [vulnFact.collection], outDir: null, referenceTime: at(10), log: testLog });
    expect(verify.summary.mismatches, JSON.stringify(verify.summary)).to.equal(0);
  });
});
