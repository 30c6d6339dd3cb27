import { expect } from 'chai';
import { idFromLegacyId } from '../../src/codec/ids.js';
import type { ModuleDefinition } from '../../src/interfaces/module-definition.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { runVerify, type ParityProbe } from '../../src/parity/index.js';
import { PostgresRepository } from '../../src/postgres/postgres-repository.js';
import { attemptDoc, oid, REF, startParityBed, T1, userDoc, type ParityBed } from './parity-fixture.js';

/**
 * A deliberately wrong module probe: on PostgreSQL it re-sorts users with a naive, locale-aware
 * collation, as a repository that forgot COLLATE "C" would; MongoDB compares strings by bytes.
 */
const naiveCollation: ParityProbe = {
  name: 'users by username (PostgreSQL side re-sorted with a locale collation)',
  entity: 'user',
  call: async (repo, ctx) => {
    const page = await repo.list(ctx, { order: 'default', limit: 100 });
    if (!(repo instanceof PostgresRepository)) return page.items;
    return [...page.items].sort((a, b) => (a as unknown as { username: string }).username.localeCompare((b as unknown as { username: string }).username, 'en'));
  },
};

/** A correct module probe over the same list, declaring its order so ties are compared fairly. */
const byUsername: ParityProbe = {
  name: 'users by username',
  entity: 'user',
  order: 'default',
  call: async (repo, ctx) => (await repo.list(ctx, { order: 'default', limit: 100 })).items,
};

const withProbes: ModuleDefinition = { ...authorityModule, probes: () => [naiveCollation, byUsername] };

describe('parity: output parity', function () {
  this.timeout(120_000);
  let bed: ParityBed;

  before(async () => {
    bed = await startParityBed(withProbes);
  });
  after(async () => bed?.close());
  beforeEach(async () => {
    for (const e of ['user', 'login_attempt']) await bed.reset(e);
  });

  it('catches an ordering difference in a repository output (byte order vs a naive collation)', async () => {
    // Byte order (MongoDB, COLLATE "C"): Zed < alice < bob < Émile; a locale collation: alice, bob, Émile, Zed.
    const docs = ['Zed', 'alice', 'bob', 'Émile'].map((username, i) => userDoc(i + 1, T1, { username }));
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    const { report, exitCode } = await runVerify({ config: bed.t.config, module: withProbes, collections: ['authority_users'], outDir: null });
    expect(report.data[0]!.mismatches).to.equal(0);
    const failing = report.output.probes.filter((p) => p.status !== 'match');
    expect(failing.map((p) => p.name)).to.deep.equal([naiveCollation.name]);
    const probe = failing[0]!;
    expect(probe.kind).to.equal('module');
    expect(probe.tenant).to.equal(T1);
    expect(probe.difference!.message).to.match(/same items in a different order/);
    expect(probe.difference!.index).to.equal(0);
    expect(probe.difference!.mongo).to.include({ username: 'Zed' });
    expect(probe.difference!.postgres).to.include({ username: 'alice' });
    expect(report.output.probes.find((p) => p.name === 'users by username')!.status).to.equal('match');
    expect(report.output.probes.find((p) => p.name === 'list(order=default)')!.status).to.equal('match');
    expect(exitCode).to.equal(1);
  });

  it('does not flag ties in a declared order broken by _id on MongoDB and by id on PostgreSQL', async () => {
    // Same attemptedAt for all: MongoDB orders the tie by ObjectId, PostgreSQL by the UUIDv5 id.
    const docs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => attemptDoc(n, T1, 5, { username: 'same-user' }));
    const byLegacy = docs.map((_, i) => idFromLegacyId('authority_login_attempts', oid(100_000 + i + 1)));
    expect(byLegacy, 'precondition: _id order differs from id order').to.not.deep.equal([...byLegacy].sort());
    await bed.legacy('login_attempt', docs);
    await bed.convert('login_attempt', docs);
    const { report, exitCode } = await runVerify({ config: bed.t.config, module: withProbes, collections: ['authority_login_attempts'], outDir: null, referenceTime: REF });
    const lists = report.output.probes.filter((p) => p.name.startsWith('list('));
    expect(lists.length).to.be.greaterThan(2);
    expect(report.output.probes.filter((p) => p.status !== 'match')).to.deep.equal([]);
    // 12 items in pages of 7: paging itself was exercised on both backends.
    expect(lists.find((p) => p.name === 'list(order=default)')!.mongo.count).to.equal(12);
    expect(exitCode).to.equal(0);
  });

  it('stops long lists at the item cap, at the end of a tie group, on both sides alike', async () => {
    const docs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => attemptDoc(n, T1, n < 6 ? 1 : 2, { username: 'u' }));
    await bed.legacy('login_attempt', docs);
    await bed.convert('login_attempt', docs);
    const { report } = await runVerify({ config: bed.t.config, module: withProbes, collections: ['authority_login_attempts'], outDir: null, referenceTime: REF, maxListItems: 3, pageSize: 2 });
    const list = report.output.probes.find((p) => p.name === 'list(order=default)')!;
    expect(list.status).to.equal('match');
    expect(list.truncated).to.equal(true);
    // The cap falls in the first tie group (5 attempts one day ago): the whole group is compared.
    expect(list.mongo.count).to.equal(5);
    expect(list.postgres.count).to.equal(5);
  });

  it('runs lookups on both sides and refuses writes from a probe', async () => {
    const docs = [1, 2, 3].map((n) => userDoc(n, T1));
    await bed.legacy('user', docs);
    await bed.convert('user', docs);
    const writer: ParityProbe = {
      name: 'a probe that writes',
      entity: 'user',
      call: async (repo, ctx) =>
        repo.insert(ctx, { username: 'written', email: null, displayName: 'written', passwordHash: null, status: 'active', mfaEnabled: false, lastLoginAt: null } as unknown as Parameters<typeof repo.insert>[1]),
    };
    const module: ModuleDefinition = { ...authorityModule, probes: () => [writer] };
    const { report } = await runVerify({ config: bed.t.config, module, collections: ['authority_users'], outDir: null });
    const p = report.output.probes.find((x) => x.name === writer.name)!;
    expect(p.status).to.equal('error');
    expect(p.mongo.error).to.match(/read-only/);
    expect(p.postgres.error).to.match(/read-only transaction/);
    const findOne = report.output.probes.find((x) => x.name === 'findOne(username)')!;
    expect(findOne.status).to.equal('match');
    expect(findOne.mongo.count).to.equal(3);
    const rows = await bed.admin.query("select count(*)::int as n from authority.\"user\" where username = 'written'");
    expect(rows.rows[0].n).to.equal(0);
  });
});
