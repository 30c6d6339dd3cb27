import { expect } from 'chai';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { dataParity, mergeRanges, parityRange, runVerify, splitIdSpace, type DataParityInput, type VerifyOptions } from '../../src/parity/index.js';
import { ReadOnlyDataSource } from '../../src/parity/read-only-data-source.js';
import { pgSettings } from '../../src/postgres/pool-settings.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { PostgresDataSource } from '../../src/postgres/data-source.js';
import { dropRun, planRun, runResults } from '../../src/parity/shared-verify.js';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at, oid, REF, roleDoc, spec, startParityBed, T1, T2, userDoc, type ParityBed } from './parity-fixture.js';

// The compiled CLI next to this compiled test (…/test/parity -> …/src/cli/main.js).
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

describe('parity: data parity shared by id ranges (verify --workers)', function () {
  this.timeout(180_000);
  let bed: ParityBed;
  // A fixed reference time: roles have no conversion job, and "now" would differ from run to run.
  const verify = (extra: Partial<VerifyOptions>) =>
    runVerify({ config: bed.t.config, module: authorityModule, collections: ['authority_users', 'roles'], outDir: null, sampleSize: 3, referenceTime: REF, ...extra });

  before(async () => {
    bed = await startParityBed();
    // 240 users and 40 roles over two tenants, with something of every kind to report, spread over the id space:
    // 14 users never converted and 3 rows deleted (17 missing), 5 changed, 5 extra rows, 1 quarantined, 2 undecodable.
    const users = Array.from({ length: 240 }, (_, i) => userDoc(i + 1, i % 2 ? T2 : T1, { username: `user-${String(i + 1).padStart(4, '0')}` }));
    const bad = [241, 242, 243].map((n) => ({ ...userDoc(n, T1), legacyNote: 'nul\u0000' }));
    await bed.legacy('user', [...users, ...bad]);
    await bed.convert('user', users.filter((_, i) => i % 17 !== 5));
    await bed.recordJob('user', REF, [{ legacyId: oid(241), reason: 'legacyNote: string contains U+0000, which jsonb cannot store', doc: bad[0]! }]);
    const s = spec('user');
    for (const n of [3, 50, 77, 130, 199]) await bed.admin.query(`update ${tableOf(s)} set email = $2 where id = $1`, [idFromLegacyId(s.collection, oid(n)), `changed-${n}@example.org`]);
    for (const n of [8, 90, 222]) await bed.admin.query(`delete from ${tableOf(s)} where id = $1`, [idFromLegacyId(s.collection, oid(n))]);
    for (const k of ['1', '5', '9', 'c', 'f']) {
      const id = `${k.repeat(8)}-0000-4000-8000-00000000000${k}`;
      await bed.extraRow('user', { id, tenantId: T2, createdAt: at(3), updatedAt: at(2), username: `extra-${k}`, email: null, displayName: null, passwordHash: null, status: 'active', mfaEnabled: false, lastLoginAt: null });
    }
    const roles = Array.from({ length: 40 }, (_, i) => roleDoc(i + 1, i % 3 ? T1 : T2));
    await bed.legacy('role', roles);
    await bed.convert('role', roles);
  });
  after(async () => bed?.close());

  it('adds the ranges of a split id space up to exactly the result of one pass over the whole', async () => {
    const postgres = new ReadOnlyDataSource(pgSettings(bed.t.config, bed.t.db.adminUrl));
    try {
      const input: DataParityInput = {
        spec: spec('user'), mongo: bed.mongo.db, postgres, quarantine: new Map([[oid(241), 'legacyNote: string contains U+0000, which jsonb cannot store']]),
        referenceTime: REF, referenceTimeSource: 'option', sampleSize: 4, lookupSamples: 3,
      };
      const whole = await dataParity(input);
      expect(whole.report.counts).to.include({ mongoDocuments: 243, matched: 218, differing: 5, missingInPostgres: 17, missingInMongo: 5, quarantined: 1, undecodable: 2 });
      for (const parts of [2, 3, 7]) {
        const partials = [];
        for (const range of splitIdSpace(parts)) partials.push(await parityRange(input, range));
        // Every range saw part of the data: the split is real.
        expect(partials.filter((p) => p.counts.mongoDocuments > 0).length).to.equal(parts);
        const merged = await mergeRanges(input, partials);
        expect(merged.report).to.deep.equal(whole.report);
        expect([...merged.tenants].sort()).to.deep.equal([...whole.tenants].sort());
        expect(merged.samples).to.deep.equal(whole.samples);
      }
    } finally {
      await postgres.close();
    }
  });

  it('merges ranges that another process (verify --join) verified into exactly the one-process result', async () => {
    const postgres = new ReadOnlyDataSource(pgSettings(bed.t.config, bed.t.db.adminUrl));
    const coordinator = new PostgresDataSource(pgSettings(bed.t.config, bed.t.db.adminUrl));
    try {
      const input: DataParityInput = {
        spec: spec('user'), mongo: bed.mongo.db, postgres, quarantine: new Map([[oid(241), 'legacyNote: string contains U+0000, which jsonb cannot store']]),
        referenceTime: REF, referenceTimeSource: 'conversion_job', sampleSize: 4, lookupSamples: 3,
      };
      const runId = await planRun(coordinator, { module: 'Authority', sampleSize: 4, lookupSamples: 3, collections: [{ collection: 'authority_users', referenceTime: REF.toISOString(), source: 'conversion_job' }] }, 3);
      const child = spawnSync(process.execPath, [MAIN, 'verify', '--module', 'Authority', '--join', runId], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, POSTGRES_ADMIN_URL: bed.t.db.adminUrl, POSTGRES_URL: bed.t.db.appUrl, MONGO_URL: bed.t.mongoUrl, MONGO_DATABASE: bed.t.mongoDatabase },
        timeout: 120_000,
      });
      expect(child.status, child.stderr).to.equal(0);
      expect(child.stdout).to.contain(`verified 3 range(s) of run ${runId}`);
      const results = await runResults(coordinator, runId);
      expect(results.get('authority_users')!.length).to.equal(3);
      const merged = await mergeRanges(input, results.get('authority_users')!);
      const whole = await dataParity(input);
      expect(merged.report).to.deep.equal(whole.report);
      // Lookup samples came back by _id from the legacy store, decoded again: the same entities.
      expect(merged.samples).to.deep.equal(whole.samples);
      await dropRun(coordinator, runId);
    } finally {
      await postgres.close();
      await coordinator.close();
    }
  });

  it('writes the same report with the same digest with 1, 2 and 3 worker processes, and leaves no run behind', async () => {
    const one = await verify({ workers: 1 });
    expect(one.report.summary.dataMismatches).to.equal(5 + 17 + 5 + 2);
    expect(one.report.data[0]!.samples.differing.length).to.equal(3);
    const two = await verify({ workers: 2 });
    const three = await verify({ workers: 3 });
    for (const other of [two, three]) {
      expect(other.report.digest).to.equal(one.report.digest);
      expect(other.report.data).to.deep.equal(one.report.data);
      expect(other.report.output).to.deep.equal(one.report.output);
      expect(other.exitCode).to.equal(1);
    }
    const left = await bed.admin.query('select count(*)::int as n from core.parity_run');
    expect(left.rows[0].n).to.equal(0);
  });

  it('refuses workers it cannot share with: the ephemeral memory: store, a count out of range', async () => {
    const config = { ...bed.t.config, Mongo: { ...bed.t.config.Mongo, Url: 'memory:' } };
    await runVerify({ config, module: authorityModule, collections: ['roles'], outDir: null, workers: 2 }).then(
      () => expect.fail('verify --workers accepted memory:'),
      (err: Error) => expect(err.message).to.match(/workers needs a legacy store that other processes can read/),
    );
    await verify({ workers: 0 }).then(
      () => expect.fail('workers 0 accepted'),
      (err: Error) => expect(err.message).to.match(/workers must be an integer from 1 to 64, got 0/),
    );
  });
});
