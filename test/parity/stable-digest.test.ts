import { expect } from 'chai';
import { runConversion } from '../../src/conversion/index.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { loadLegacyDocuments } from '../../src/mongo/legacy-loader.js';
import { runVerify, type VerifyReport } from '../../src/parity/index.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';
import { DEMO_OPTIONS } from '../policy/demo-support.js';

/**
 * The digest of a verification depends on the data, the tier rules and their effective windows,
 * not on when a tier-A job happened to run: the same legacy data converted twice, into two
 * databases, at two reference times.
 */
describe('parity: a stable digest across conversions at different times', function () {
  this.timeout(600_000);
  const first = new Date('2026-06-01T00:00:00.000Z');
  // Half a minute earlier: the tier-B windows move, yet no demo document (whole minutes) crosses their edges.
  const second = new Date(first.getTime() - 30_000);
  const tierA = authorityModule.entities.filter((s) => s.tier.tier === 'A').map((s) => s.collection);
  const tierB = authorityModule.entities.filter((s) => s.tier.tier === 'B').map((s) => s.collection);
  let envs: ConversionEnv[] = [];

  before(async () => {
    const docs = [...authorityModule.demo!(DEMO_OPTIONS)];
    envs = [await startConversionEnv('i12_digest_a'), await startConversionEnv('i12_digest_b')];
    for (const [env, referenceTime] of [[envs[0]!, first], [envs[1]!, second]] as const) {
      await loadLegacyDocuments(env.mongo.db, docs);
      const conversion = await runConversion({ config: env.config, module: authorityModule, tier: 'auto', referenceTime, progress: 'none', log: testLog });
      expect(conversion.ok).to.equal(true);
    }
  });
  after(async () => {
    for (const env of envs) await env.close();
  });

  const verify = async (env: ConversionEnv, collections: readonly string[]): Promise<VerifyReport> => {
    const { report, exitCode } = await runVerify({ config: env.config, module: authorityModule, collections, outDir: null });
    expect(exitCode, JSON.stringify(report.summary)).to.equal(0);
    return report;
  };

  it('tier A: identical digests, although the two jobs recorded different reference times', async () => {
    expect(tierA.length).to.be.greaterThan(3);
    const [a, b] = [await verify(envs[0]!, tierA), await verify(envs[1]!, tierA)];
    expect(a.data.map((d) => d.referenceTime)).to.deep.equal(tierA.map(() => first.toISOString()));
    expect(b.data.map((d) => d.referenceTime)).to.deep.equal(tierA.map(() => second.toISOString()));
    expect(a.summary.matchedRows).to.be.greaterThan(20);
    expect(a.summary.probes).to.be.greaterThan(10);
    expect(b.summary).to.deep.equal(a.summary);
    expect(b.digest).to.equal(a.digest);
  });

  it('tier B: the same rows in another effective window give another digest', async () => {
    const [a, b] = [await verify(envs[0]!, tierB), await verify(envs[1]!, tierB)];
    expect(b.data.map((d) => d.counts)).to.deep.equal(a.data.map((d) => d.counts));
    expect(a.data.every((d) => d.counts.outsideWindow > 0 || d.counts.matched > 0)).to.equal(true);
    expect(b.digest).to.not.equal(a.digest);
    // And a verification repeated over the same window gives the same digest.
    expect((await verify(envs[0]!, tierB)).digest).to.equal(a.digest);
  });
});
