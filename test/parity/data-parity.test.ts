import { expect } from 'chai';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { loadConfig } from '../../src/config/load-config.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { legacyIdOf, mongoIdOf } from '../../src/mongo/legacy-id.js';
import { runVerify, type VerifyOptions, type VerifyResult } from '../../src/parity/index.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { at, attemptDoc, oid, REF, roleDoc, spec, startParityBed, T1, T2, userDoc, type ParityBed } from './parity-fixture.js';

describe('parity: data parity', function () {
  this.timeout(120_000);
  let bed: ParityBed;
  const verify = (collections: string[], extra: Partial<VerifyOptions> = {}): Promise<VerifyResult> =>
    runVerify({ config: bed.t.config, module: authorityModule, collections, outDir: null, ...extra });
  const users = () => [1, 2, 3, 4, 5].map((n) => userDoc(n, T1)).concat([6, 7, 8].map((n) => userDoc(n, T2)));

  before(async () => {
    bed = await startParityBed();
  });
  after(async () => bed?.close());
  beforeEach(async () => {
    for (const e of ['user', 'role', 'login_attempt', 'oauth_token']) await bed.reset(e);
  });

  it('finds nothing to report when every document was converted, and probes both tenants', async () => {
    const docs = users();
    const roles = [1, 2, 3].map((n) => roleDoc(n, T1));
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    await bed.legacy('role', roles);
    await bed.convert('role', roles);
    const { report, exitCode } = await verify(['authority_users', 'roles']);
    expect(exitCode).to.equal(0);
    expect(report.summary.ok).to.equal(true);
    const u = report.data.find((d) => d.entity === 'user')!;
    expect(u.counts).to.include({ mongoDocuments: 8, postgresRows: 8, matched: 8, missingInPostgres: 0, missingInMongo: 0, differing: 0, undecodable: 0 });
    expect(report.data.find((d) => d.entity === 'role')!.counts.matched).to.equal(3);
    expect(report.output.tenants).to.deep.equal([T1, T2]);
    expect(report.output.probes.length).to.be.greaterThan(10);
    expect(report.output.probes.every((p) => p.status === 'match'), JSON.stringify(report.output.probes.filter((p) => p.status !== 'match'), null, 1)).to.equal(true);
    // Lists, lookups by unique key and by id are all in the catalogue.
    const names = new Set(report.output.probes.map((p) => p.name));
    for (const n of ['list(order=default)', 'list(order=newest)', 'list(order=default, status=locked)', 'findOne(username)', 'get(id)']) expect(names).to.include(n);
  });

  it('catches an injected field difference and names the field with both values', async () => {
    const docs = users();
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    const id = idFromLegacyId('authority_users', oid(2));
    await bed.admin.query(`update ${tableOf(spec('user'))} set email = 'changed@example.org' where id = $1`, [id]);
    const { report, exitCode } = await verify(['authority_users']);
    expect(exitCode).to.equal(1);
    const u = report.data[0]!;
    expect(u.counts).to.include({ matched: 7, differing: 1, missingInPostgres: 0, missingInMongo: 0 });
    expect(u.mismatches).to.equal(1);
    const sample = u.samples.differing[0]!;
    expect(sample.id).to.equal(id);
    expect(sample.legacyId).to.equal(oid(2));
    expect(sample.differences).to.deep.equal([{ field: 'email', mongoField: 'email', column: 'email', mongo: 'u2@example.org', postgres: 'changed@example.org' }]);
    // The repositories disagree too: output parity names the same field.
    const failing = report.output.probes.filter((p) => p.status !== 'match');
    expect(failing.length).to.be.greaterThan(0);
    expect(failing.some((p) => p.difference?.differences.some((d) => d.field === 'email'))).to.equal(true);
  });

  it('catches a row missing in PostgreSQL', async () => {
    const docs = users();
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    const id = idFromLegacyId('authority_users', oid(4));
    await bed.admin.query(`delete from ${tableOf(spec('user'))} where id = $1`, [id]);
    const { report, exitCode } = await verify(['authority_users']);
    expect(exitCode).to.equal(1);
    const u = report.data[0]!;
    expect(u.counts).to.include({ matched: 7, missingInPostgres: 1, missingInMongo: 0, differing: 0 });
    expect(u.samples.missingInPostgres.map((s) => [s.id, s.legacyId])).to.deep.equal([[id, oid(4)]]);
    expect(u.samples.missingInPostgres[0]!.mongo).to.include({ username: 'user-004' });
  });

  it('catches a row missing in MongoDB (legacy document gone after conversion)', async () => {
    const docs = users();
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    await bed.mongo.db.collection('authority_users').deleteOne({ _id: mongoIdOf(oid(6)) });
    const { report, exitCode } = await verify(['authority_users']);
    expect(exitCode).to.equal(1);
    const u = report.data[0]!;
    expect(u.counts).to.include({ mongoDocuments: 7, postgresRows: 8, matched: 7, missingInMongo: 1, missingInPostgres: 0 });
    expect(u.samples.missingInMongo[0]).to.include({ id: idFromLegacyId('authority_users', oid(6)), legacyId: oid(6) });
    expect(u.samples.missingInMongo[0]!.postgres).to.include({ username: 'user-006', tenantId: T2 });
  });

  it('catches an extra row that only PostgreSQL has', async () => {
    const docs = users();
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    const extraId = '0a0a0a0a-0000-4000-8000-000000000001';
    await bed.extraRow('user', {
      id: extraId, tenantId: T1, createdAt: at(3), updatedAt: at(2), username: 'intruder', email: null, displayName: null,
      passwordHash: null, status: 'active', mfaEnabled: false, lastLoginAt: null,
    });
    const { report, exitCode } = await verify(['authority_users']);
    expect(exitCode).to.equal(1);
    const u = report.data[0]!;
    expect(u.counts).to.include({ matched: 8, missingInMongo: 1, missingInPostgres: 0, differing: 0 });
    expect(u.samples.missingInMongo[0]).to.include({ id: extraId, legacyId: `uuid:${extraId}` });
    const list = report.output.probes.find((p) => p.name === 'list(order=default)' && p.tenant === T1)!;
    expect(list.status).to.equal('mismatch');
    expect(list.difference!.onlyInPostgres).to.deep.equal([extraId]);
  });

  it('does not flag tier-B documents outside the window, evaluated at the conversion job reference time', async () => {
    const kept = [1, 2, 3].map((n) => attemptDoc(n, T1, n * 10));
    const old = [4, 5].map((n) => attemptDoc(n, T1, 90 + n * 20));
    await bed.legacy('login_attempt', [...kept, ...old]);
    await bed.convert('login_attempt', kept);
    await bed.recordJob('login_attempt', REF);
    const { report, exitCode } = await verify(['authority_login_attempts']);
    const d = report.data[0]!;
    expect(d.referenceTime).to.equal(REF.toISOString());
    expect(d.referenceTimeSource).to.equal('conversion_job');
    expect(d.counts).to.include({ mongoDocuments: 5, postgresRows: 3, matched: 3, outsideWindow: 2, missingInPostgres: 0 });
    expect(d.mismatches).to.equal(0);
    expect(d.samples.outsideWindow.map((s) => s.legacyId).sort()).to.deep.equal([oid(100_004), oid(100_005)]);
    expect(d.samples.outsideWindow[0]!.reason).to.match(/tier-B window/);
    expect(report.output.probes.filter((p) => p.status !== 'match')).to.deep.equal([]);
    expect(exitCode).to.equal(0);
  });

  it('still flags a document inside the window that PostgreSQL lacks', async () => {
    const kept = [1, 2, 3].map((n) => attemptDoc(n, T1, n * 10));
    await bed.legacy('login_attempt', kept);
    await bed.convert('login_attempt', kept.slice(0, 2));
    const { report, exitCode } = await verify(['authority_login_attempts'], { referenceTime: REF });
    expect(report.data[0]!.referenceTimeSource).to.equal('option');
    expect(report.data[0]!.counts).to.include({ missingInPostgres: 1, outsideWindow: 0 });
    expect(exitCode).to.equal(1);
  });

  it('accounts for quarantined documents with their reason, and flags undecodable ones that are not', async () => {
    const good = users();
    const bad = { ...userDoc(20, T1), legacyNote: 'nul\u0000' };
    await bed.legacy('user', [...good, bad]);
    await bed.convert('user', good);
    await bed.recordJob('user', REF, [{ legacyId: oid(20), reason: 'legacyNote: string contains U+0000, which jsonb cannot store', doc: bad }]);
    let { report, exitCode } = await verify(['authority_users']);
    const u = report.data[0]!;
    expect(u.counts).to.include({ mongoDocuments: 9, matched: 8, quarantined: 1, undecodable: 0, missingInPostgres: 0 });
    expect(u.samples.quarantined[0]).to.include({ id: idFromLegacyId('authority_users', oid(20)), legacyId: oid(20) });
    expect(u.samples.quarantined[0]!.reason).to.match(/legacyNote: string contains U\+0000/);
    // The MongoDB repository cannot read the quarantined document; the probes' view leaves it out.
    expect(report.output.probes.filter((p) => p.status !== 'match')).to.deep.equal([]);
    expect(exitCode).to.equal(0);

    const unknown = userDoc(21, T1, { username: 'nul\u0000byte' });
    await bed.legacy('user', [unknown]);
    ({ report, exitCode } = await verify(['authority_users']));
    expect(exitCode).to.equal(1);
    const v = report.data[0]!;
    expect(v.counts).to.include({ quarantined: 1, undecodable: 1 });
    expect(v.samples.undecodable[0]!.legacyId).to.equal(oid(21));
    expect(v.samples.undecodable[0]!.reason).to.match(/not in core\.conversion_quarantine.*U\+0000/);
  });

  it('accounts for a large quarantine exactly: every quarantined document is quarantined, never missing, and the probes see none of them', async () => {
    // 3,000 quarantined among 3,125 users of two tenants, interleaved in _id order and in every list order:
    // half cannot be decoded (U+0000 in an undeclared field), half decode but PostgreSQL refused them. 125 were converted.
    const all = Array.from({ length: 3125 }, (_, i) => userDoc(i + 1, i % 2 ? T2 : T1, { username: `user-${String(i + 1).padStart(5, '0')}` }));
    const converted = all.filter((_, i) => i % 25 === 0);
    const quarantined = all.filter((_, i) => i % 25 !== 0).map((d, k) => (k % 2 ? { ...d, legacyNote: 'nul\u0000' } : d));
    expect([converted.length, quarantined.length]).to.deep.equal([125, 3000]);
    await bed.legacy('user', [...converted, ...quarantined]);
    await bed.convert('user', converted);
    await bed.recordJob('user', REF);
    const s = spec('user');
    const ids = quarantined.map((d) => legacyIdOf(d._id));
    await bed.admin.query(
      `insert into core.conversion_quarantine (module, collection, legacy_id, reason, document_ejson, document_bson, job_id, quarantined_at)
       select 'Authority', $1, l, 'quarantined by the test', '{}', '\\x00', $2, $3 from unnest($4::text[]) as l`,
      [s.collection, `Authority/${s.collection}`, REF, ids],
    );
    const { report, exitCode } = await verify(['authority_users'], { maxListItems: 60, pageSize: 7 });
    const u = report.data[0]!;
    expect(u.counts).to.include({ mongoDocuments: 3125, postgresRows: 125, matched: 125, quarantined: 3000, missingInPostgres: 0, undecodable: 0, differing: 0, missingInMongo: 0 });
    expect(report.summary.accountedRows).to.equal(3000);
    expect(report.output.probes.filter((p) => p.status !== 'match')).to.deep.equal([]);
    // The lists really were served around the quarantined documents: full pages of converted users only.
    for (const tenant of [T1, T2]) {
      const listed = report.output.probes.find((p) => p.name === 'list(order=default)' && p.tenant === tenant)!;
      expect([listed.mongo.count, listed.postgres.count]).to.deep.equal([60, 60]);
      // 62 or 63 converted users per tenant: the list without a cap has them all, and no quarantined one.
      const locked = report.output.probes.find((p) => p.name === 'list(order=default, status=locked)' && p.tenant === tenant)!;
      expect(locked.mongo.count).to.equal(converted.filter((d) => d.tenantId === tenant && d.status === 'locked').length);
    }
    expect(exitCode).to.equal(0);
  });

  it('accounts for a decodable document that the quarantine holds (PostgreSQL refused its row)', async () => {
    const docs = users();
    await bed.legacy('user', docs);
    await bed.convert('user', docs.slice(1));
    await bed.recordJob('user', REF, [{ legacyId: oid(1), reason: 'PostgreSQL refused the row: value too long', doc: docs[0]! }]);
    const { report, exitCode } = await verify(['authority_users']);
    expect(report.data[0]!.counts).to.include({ matched: 7, quarantined: 1, missingInPostgres: 0 });
    expect(report.data[0]!.samples.quarantined[0]!.reason).to.equal('PostgreSQL refused the row: value too long');
    expect(exitCode).to.equal(0);
  });

  it('reports tier C collections as not compared', async () => {
    const module = { ...authorityModule, entities: authorityModule.entities.map((e) => (e.name === 'scope' ? { ...e, tier: { tier: 'C' as const, description: 'cache: fresh start' } } : e)) };
    const { report, exitCode } = await runVerify({ config: bed.t.config, module, collections: ['authority_scopes'], outDir: null });
    expect(report.data[0]).to.include({ entity: 'scope', compared: false, tier: 'C', mismatches: 0 });
    expect(report.data[0]!.note).to.match(/tier C/);
    expect(report.output.probes).to.deep.equal([]);
    expect(exitCode).to.equal(0);
  });

  it('refuses, with a clear message, an admin role that row-level security would silently filter', async () => {
    await bed.legacy('user', users());
    await bed.convert('user', users());
    const config = loadConfig({ env: { POSTGRES_URL: bed.t.db.appUrl, MONGO_URL: bed.t.mongoUrl, MONGO_DATABASE: bed.t.mongoDatabase } });
    let error: Error | null = null;
    await runVerify({ config, module: authorityModule, collections: ['authority_users'], outDir: null }).catch((e: Error) => (error = e));
    expect(error).to.be.instanceOf(Error);
    // The application role's first cross-tenant read is the quarantine, which it may not read at all (core 021).
    expect(error!.message).to.match(/core\.conversion_quarantine across tenants, but the PostgreSQL admin role \(POSTGRES_ADMIN_URL\) has no access to it.*use the owner, a superuser or a role with BYPASSRLS/);
  });

  it('gives the same digest on two runs over the same data, and another once the data changes', async () => {
    const docs = users();
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    const first = await verify(['authority_users']);
    const second = await verify(['authority_users']);
    expect(first.report.timings.startedAt).to.not.equal(undefined);
    expect(second.report.digest).to.equal(first.report.digest);
    expect(second.report.digest).to.match(/^sha256:[0-9a-f]{64}$/);
    await bed.admin.query(`update ${tableOf(spec('user'))} set display_name = 'x' where id = $1`, [idFromLegacyId('authority_users', oid(1))]);
    const third = await verify(['authority_users']);
    expect(third.report.digest).to.not.equal(first.report.digest);
  });
});
