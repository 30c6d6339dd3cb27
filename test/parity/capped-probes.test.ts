import { expect } from 'chai';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { runVerify } from '../../src/parity/index.js';
import { oid, startParityBed, T1, userDoc, type ParityBed } from './parity-fixture.js';

/**
 * A list probe cut at its item limit sees different tails on the two sides when one side misses a
 * row: the row after the cut on one side is on both sides, so the probe must say it was capped
 * and compare the common prefix, never call that row one-sided.
 */
describe('parity: list probes capped at the item limit', function () {
  this.timeout(120_000);
  let bed: ParityBed;
  const docs = Array.from({ length: 10 }, (_, i) => userDoc(i + 1, T1));
  const missing = idFromLegacyId('authority_users', oid(2));

  before(async () => {
    bed = await startParityBed();
    await bed.legacy('user', docs);
    // user-002 never reached PostgreSQL.
    await bed.convert('user', docs.filter((_, i) => i !== 1));
  });
  after(async () => bed?.close());

  const listProbe = async (maxListItems: number) => {
    const { report } = await runVerify({ config: bed.t.config, module: authorityModule, collections: ['authority_users'], outDir: null, maxListItems });
    expect(report.data[0]!.counts.missingInPostgres).to.equal(1);
    return report.output.probes.find((p) => p.name === 'list(order=default)')!;
  };

  it('says it was capped and compares the common prefix, claiming no one-sided rows', async () => {
    const probe = await listProbe(5);
    expect(probe.status).to.equal('mismatch');
    expect(probe.truncated).to.equal(true);
    expect(probe.mongo.count).to.equal(5);
    expect(probe.postgres.count).to.equal(5);
    const d = probe.difference!;
    expect(d.message).to.equal('capped at 5 items: MongoDB listed 5, PostgreSQL 5; compared the first 5: first difference at position 1');
    expect(d.index).to.equal(1);
    expect(d.mongo).to.include({ username: 'user-002' });
    expect(d.postgres).to.include({ username: 'user-003' });
    // user-006 ends the PostgreSQL list and sits past the MongoDB cut: it is on both sides.
    expect(d.onlyInMongo).to.deep.equal([]);
    expect(d.onlyInPostgres).to.deep.equal([]);
  });

  it('an uncapped probe over the same data names the row only MongoDB has', async () => {
    const probe = await listProbe(500);
    expect(probe.truncated).to.equal(false);
    expect(probe.difference!.message).to.match(/^different items: MongoDB 10 item\(s\), PostgreSQL 9; first difference at position 1$/);
    expect(probe.difference!.onlyInMongo).to.deep.equal([missing]);
    expect(probe.difference!.onlyInPostgres).to.deep.equal([]);
  });
});
