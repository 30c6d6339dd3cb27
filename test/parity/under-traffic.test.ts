import { expect } from 'chai';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { mongoIdOf } from '../../src/mongo/legacy-id.js';
import { PENDING_COLLECTION } from '../../src/mongo/mongo-pending-log.js';
import { runVerify, type VerifyOptions, type VerifyResult } from '../../src/parity/index.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { oid, REF, spec, startParityBed, T1, T2, userDoc, type ParityBed } from './parity-fixture.js';

/**
 * `verify` while writes continue (issue 10 point 4): a row that differs while both sides stream is
 * read again until it settles; one that keeps changing is "in flight" (counted apart, never a
 * mismatch); one that stays different with nothing on its way is a mismatch; on data at rest the
 * report is exactly the one without re-checks.
 */
describe('parity: verify under traffic', function () {
  this.timeout(120_000);
  let bed: ParityBed;
  const verify = (extra: Partial<VerifyOptions> = {}): Promise<VerifyResult> =>
    runVerify({ config: bed.t.config, module: authorityModule, collections: ['authority_users'], outDir: null, ...extra });
  const docs = () => Array.from({ length: 40 }, (_, i) => userDoc(i + 1, i % 2 ? T1 : T2));
  const users = () => bed.mongo.db.collection(spec('user').collection);
  const table = () => tableOf(spec('user'));
  const idOf = (n: number) => idFromLegacyId('authority_users', oid(n));

  before(async () => {
    bed = await startParityBed();
  });
  after(async () => bed?.close());
  beforeEach(async () => {
    await bed.reset('user');
    await bed.mongo.db.collection(PENDING_COLLECTION).deleteMany({});
    const all = docs();
    await bed.legacy('user', all);
    await bed.convert('user', all);
  });

  /** Runs `write(k)` in a loop (k = 0, 1, ...) until the returned stop() is awaited. */
  function churn(write: (k: number) => Promise<void>, pauseMs = 3): () => Promise<number> {
    let stop = false;
    let k = 0;
    const loop = (async () => {
      while (!stop) {
        await write(k++);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
    return async () => {
      stop = true;
      await loop;
      return k;
    };
  }

  it('on data at rest gives exactly the report of a verify without re-checks (same counts, samples, digest)', async () => {
    await bed.admin.query(`update ${table()} set email = 'broken@example.org' where id = $1`, [idOf(3)]);
    await bed.admin.query(`delete from ${table()} where id = $1`, [idOf(8)]);
    const plain = (await verify({ settle: { rounds: 0 }, referenceTime: REF })).report;
    const settled = (await verify({ referenceTime: REF })).report;
    expect(settled.digest).to.equal(plain.digest);
    expect(settled.data).to.deep.equal(plain.data);
    expect(settled.summary).to.deep.equal(plain.summary);
    expect(settled.data[0]).to.not.have.property('inFlight');
    expect(settled.summary).to.not.have.property('inFlight');
    expect(settled.data[0]!.counts).to.include({ differing: 1, missingInPostgres: 1, matched: 38 });
    expect(settled.output.probes.map((p) => p.status)).to.deep.equal(plain.output.probes.map((p) => p.status));
  });

  it('writes applied to both sides while verify runs (the second side a moment later) are never mismatches', async () => {
    // As DualWrite does: MongoDB first, PostgreSQL a few milliseconds later, one row after the other.
    const stop = churn(async (k) => {
      const n = (k % 40) + 1;
      const name = `renamed ${k}`;
      const updatedAt = new Date(Date.UTC(2026, 3, 1) + k * 1000);
      await users().updateOne({ _id: mongoIdOf(oid(n)) }, { $set: { displayName: name, updatedAt } });
      await new Promise((r) => setTimeout(r, 4));
      await bed.admin.query(`update ${table()} set display_name = $2, updated_at = $3 where id = $1`, [idOf(n), name, updatedAt]);
    });
    let result: VerifyResult;
    try {
      result = await verify();
    } finally {
      const writes = await stop();
      expect(writes).to.be.greaterThan(5);
    }
    const u = result.report.data[0]!;
    expect(u.mismatches, JSON.stringify(u.samples, null, 1)).to.equal(0);
    expect(result.report.summary.dataMismatches).to.equal(0);
    expect(u.counts.matched + (u.inFlight?.count ?? 0)).to.equal(40);
  });

  it('reports a row that keeps changing on one side as in flight, with both sides of the last look, and not as a mismatch', async () => {
    const stop = churn(async (k) => {
      await users().updateOne({ _id: mongoIdOf(oid(5)) }, { $set: { displayName: `moving ${k}`, updatedAt: new Date(Date.UTC(2026, 3, 1) + k) } });
    }, 2);
    let result: VerifyResult;
    try {
      result = await verify();
    } finally {
      await stop();
    }
    const u = result.report.data[0]!;
    expect(u.mismatches).to.equal(0);
    expect(u.counts.differing).to.equal(0);
    expect(u.inFlight?.count).to.equal(1);
    const sample = u.inFlight!.samples[0]!;
    expect(sample.id).to.equal(idOf(5));
    expect(sample.reason).to.match(/still in flight after 4 re-check\(s\)/);
    expect(sample.mongo).to.have.property('displayName').that.matches(/^moving /);
    expect(sample.postgres).to.include({ displayName: 'User 5' });
    expect(result.report.summary.inFlight?.rows).to.equal(1);
    // The tenant's list probes saw the same row moving: in flight too, never mismatches.
    expect(result.report.output.probes.filter((p) => p.status === 'mismatch' || p.status === 'error')).to.deep.equal([]);
    expect(result.report.summary.ok).to.equal(true);
  });

  it('still reports a real difference while other rows change around it', async () => {
    await bed.admin.query(`update ${table()} set email = 'broken@example.org' where id = $1`, [idOf(7)]);
    const stop = churn(async (k) => {
      const n = (k % 30) + 11;
      const updatedAt = new Date(Date.UTC(2026, 3, 1) + k * 1000);
      await users().updateOne({ _id: mongoIdOf(oid(n)) }, { $set: { displayName: `busy ${k}`, updatedAt } });
      await bed.admin.query(`update ${table()} set display_name = $2, updated_at = $3 where id = $1`, [idOf(n), `busy ${k}`, updatedAt]);
    });
    let result: VerifyResult;
    try {
      result = await verify();
    } finally {
      await stop();
    }
    const u = result.report.data[0]!;
    expect(u.counts.differing).to.equal(1);
    expect(u.mismatches).to.equal(1);
    expect(u.samples.differing.map((s) => s.id)).to.deep.equal([idOf(7)]);
    expect(u.samples.differing[0]!.differences.map((d) => [d.field, d.mongo, d.postgres])).to.deep.equal([['email', 'u7@example.org', 'broken@example.org']]);
    expect(result.report.summary.ok).to.equal(false);
  });

  it('a difference with a DualWrite replication pending for the row is in flight, and a mismatch once the record is gone', async () => {
    await bed.admin.query(`update ${table()} set display_name = 'not yet' where id = $1`, [idOf(9)]);
    const pending = bed.mongo.db.collection(PENDING_COLLECTION);
    await pending.insertOne({ module: 'Authority', entity: 'Authority.user', tenantId: T1, entityId: idOf(9), target: 'Postgres', op: 'upsert' });
    const waiting = (await verify()).report.data[0]!;
    expect(waiting.mismatches).to.equal(0);
    expect(waiting.inFlight?.count).to.equal(1);
    expect(waiting.inFlight!.samples[0]!.reason).to.match(/DualWrite replication of this row is pending/);
    await pending.deleteMany({});
    const stuck = (await verify()).report.data[0]!;
    expect(stuck.counts.differing).to.equal(1);
    expect(stuck).to.not.have.property('inFlight');
  });
});
