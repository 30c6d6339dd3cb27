import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ObjectId, type Document } from 'bson';
import { connectMongo, type MongoDataSource } from '../../src/mongo/mongo-data-source.js';
import { auditLog, loginAttempt, user } from '../../src/modules/authority/entities.js';
import { profileCollection, reasonGroup } from '../../src/profile/index.js';
import { mongoTarget } from '../setup/environment.js';
import { runCli } from '../setup/run-cli.js';

/**
 * `profile` on a hand-built legacy data set whose figures are worked out by hand below (types,
 * frequencies, outcomes, duplicates). The documents avoid what other work changes on purpose
 * (undeclared fields, typed payload values and named tenants decide no outcome here): the one
 * undeclared field sits in a document refused for another reason first.
 */

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const D = new Date('2026-03-01T10:00:00.000Z');
const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;

function userDoc(_id: unknown, tenantId: string, username: string, extra: Document = {}): Document {
  return { _id, tenantId, username, email: `${username}@example.org`, status: 'active', mfaEnabled: false, createdAt: D, updatedAt: D, ...extra };
}

/** In `_id` order (strings before ObjectIds): u-1 keeps (T1, ada); u-2 and the ObjectId repeat it. */
const USERS: Document[] = [
  userDoc('u-1', T1, 'ada'),
  userDoc('u-2', T1, 'ada'),
  userDoc('u-3', T2, 'ada'),
  userDoc('u-4', T1, 'bob', { status: 5, legacyFlag: true }),
  userDoc('u-5', T2, 'cy', { mfaEnabled: 'yes' }),
  userDoc(new ObjectId('000000000000000000000001'), T1, 'ada'),
  userDoc('u-6', T1, 'dee', { mfaEnabled: 'no' }),
  userDoc('u-7', T2, 'eve', { email: null, lastLoginAt: D }),
];

function attempt(_id: string, tenantId: string, daysAgo: number): Document {
  const at = new Date(NOW.getTime() - daysAgo * DAY);
  return { _id, tenantId, username: 'ada', successful: true, attemptedAt: at, createdAt: at, updatedAt: at };
}

describe('profile: figures of a known legacy data set', function () {
  this.timeout(120_000);
  let mongo: MongoDataSource;
  let url: string;
  const database = `profile_${randomBytes(4).toString('hex')}`;

  before(async () => {
    url = (await mongoTarget()).url;
    mongo = await connectMongo(url, database);
    await mongo.db.collection(user.collection).insertMany(USERS.map((d) => ({ ...d })));
    // Tier B keeps attempts of the last 90 days: 10 and 89 days ago are kept, 100 days ago is not.
    await mongo.db.collection(loginAttempt.collection).insertMany([attempt('a-1', T1, 10), attempt('a-2', T1, 100), attempt('a-3', T2, 89)]);
    await mongo.db.collection(auditLog.collection).insertMany([
      { _id: 'x-1', tenantId: T1, action: 'update', entityType: 'Authority.user', entityId: T2, at: D, createdAt: D, updatedAt: D, diff: { changed: { status: { from: 'active', to: 'locked' } }, n: 1.5, update: { $set: { status: 'locked' } } } },
      { _id: 'x-2', tenantId: T1, action: 'insert', entityType: 'Authority.user', entityId: T2, at: D, createdAt: D, updatedAt: D, diff: { at: D, tags: ['a', 'b'] } },
    ]);
  });
  after(async () => {
    await mongo?.db.dropDatabase?.();
    await mongo?.close();
  });

  it('counts outcomes the way conversion decides them: convert, duplicate of a unique key, refused value', async () => {
    const p = await profileCollection({ db: mongo.db, spec: user, referenceTime: NOW, sample: null });
    expect(p).to.include({ collection: 'authority_users', tier: 'A', documents: 8, collectionDocuments: null, wouldConvert: 3, skippedByTier: 0, quarantined: 5 });
    expect(p.quarantine.map((g) => [g.count, g.legacyIds])).to.deep.equal([
      [2, ['oid:000000000000000000000001', 'str:u-2']],
      [2, ['str:u-5', 'str:u-6']],
      [1, ['str:u-4']],
    ]);
    expect(p.quarantine[0]!.reason).to.equal("duplicates the unique key (tenantId, username) of an earlier document (a legacy duplicate: PostgreSQL's unique index refuses it)");
    expect(p.quarantine[1]!.reason).to.equal('mfaEnabled: expected a boolean, found string');
    expect(p.quarantine[2]!.reason).to.equal('status: expected a string, found Int32');
    expect(p.uniqueKeys).to.deep.equal([
      {
        key: ['username'],
        duplicateDocuments: 2,
        duplicatedValues: 1,
        perTenant: [{ tenant: T1, duplicates: 2 }],
        examples: [
          { tenant: T1, value: { username: 'ada' }, keptBy: 'str:u-1', duplicate: 'oid:000000000000000000000001' },
          { tenant: T1, value: { username: 'ada' }, keptBy: 'str:u-1', duplicate: 'str:u-2' },
        ],
      },
    ]);
  });

  it('lists every field with its BSON types and frequencies, undeclared ones marked, declared absent ones named', async () => {
    const p = await profileCollection({ db: mongo.db, spec: user, referenceTime: NOW, sample: null });
    const rows = p.fields.map((f) => [f.name, f.declared, f.count, f.frequency, f.types.map((t) => `${t.type}:${t.count}:${t.frequency}`)]);
    expect(rows).to.deep.equal([
      ['_id', true, 8, 1, ['String:7:0.875', 'ObjectId:1:0.125']],
      ['createdAt', true, 8, 1, ['Date:8:1']],
      ['email', true, 8, 1, ['String:7:0.875', 'Null:1:0.125']],
      ['lastLoginAt', true, 1, 0.125, ['Date:1:0.125']],
      ['legacyFlag', false, 1, 0.125, ['Boolean:1:0.125']],
      ['mfaEnabled', true, 8, 1, ['Boolean:6:0.75', 'String:2:0.25']],
      ['status', true, 8, 1, ['String:7:0.875', 'Int32:1:0.125']],
      ['tenantId', true, 8, 1, ['String:8:1']],
      ['updatedAt', true, 8, 1, ['Date:8:1']],
      ['username', true, 8, 1, ['String:8:1']],
    ]);
    expect(p.fields.find((f) => f.name === 'mfaEnabled')!.declaredType).to.equal('bool');
    expect(p.fields.find((f) => f.name === 'legacyFlag')!.declaredType).to.equal(null);
    expect(p.absentDeclared).to.deep.equal(['displayName', 'passwordHash']);
  });

  it('applies the tier: a tier-B window leaves documents out', async () => {
    const p = await profileCollection({ db: mongo.db, spec: loginAttempt, referenceTime: NOW, sample: null });
    expect(p).to.include({ tier: 'B', documents: 3, wouldConvert: 2, skippedByTier: 1, quarantined: 0 });
    expect(p.uniqueKeys).to.deep.equal([]);
  });

  it('shows the BSON types inside a json payload and its $-prefixed keys', async () => {
    const p = await profileCollection({ db: mongo.db, spec: auditLog, referenceTime: NOW, sample: null });
    const diff = p.fields.find((f) => f.name === 'diff')!;
    expect(diff.types.map((t) => `${t.type}:${t.count}`)).to.deep.equal(['Document:2']);
    // changed, status, update, $set are documents; from, to, $set.status and the two tags strings.
    expect(diff.nestedTypes).to.deep.equal([
      { type: 'String', count: 5 },
      { type: 'Document', count: 4 },
      { type: 'Array', count: 1 },
      { type: 'Date', count: 1 },
      { type: 'Double', count: 1 },
    ]);
    expect(diff.dollarKeys).to.deep.equal(['$set']);
  });

  it('--sample profiles the first N documents in _id order and says how many the collection holds', async () => {
    const p = await profileCollection({ db: mongo.db, spec: user, referenceTime: NOW, sample: 3 });
    // u-1, u-2, u-3: one keeps (T1, ada), one repeats it, one is another tenant's.
    expect(p).to.include({ documents: 3, collectionDocuments: 8, wouldConvert: 2, quarantined: 1 });
  });

  it('groups reasons by kind, without the values they name', () => {
    expect(reasonGroup('tenantId: not a UUID: "acme"')).to.equal('tenantId: not a UUID: "…"');
    expect(reasonGroup('PostgreSQL refused the row (SQLSTATE 23505): duplicate key value violates unique constraint "ux_tag_repository_name" (Key (tenant_id, repository, name)=(x, y, z))')).to.equal(
      'PostgreSQL refused the row (SQLSTATE 23505): duplicate key value violates unique constraint "ux_tag_repository_name" (Key …)',
    );
    expect(reasonGroup('payload.items[12].at: -4368-01-01T00:00:00.000Z is before 4714 BC')).to.equal('payload.items[].at: … is before 4714 BC');
  });
});

describe('profile CLI', function () {
  this.timeout(120_000);
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'stellaops-profile-'));
    const mongo = await connectMongo(`memory:${work}`, 'stellaops');
    await mongo.db.collection(user.collection).insertMany(USERS.map((d) => ({ ...d })));
    await mongo.close();
    env = { MONGO_URL: `memory:${work}` };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('--json prints one JSON report on stdout, the same twice', async () => {
    const args = ['profile', '--module', 'Authority', '--collection', 'authority_users', 'roles', '--reference-time', NOW.toISOString(), '--json'];
    const first = await runCli(args, env);
    expect(first.code, first.stderr).to.equal(0);
    const report = JSON.parse(first.stdout) as { module: string; collections: { collection: string; documents: number; wouldConvert: number; quarantined: number }[]; totals: Record<string, number> };
    expect(report.module).to.equal('Authority');
    expect(report.collections.map((c) => [c.collection, c.documents, c.wouldConvert, c.quarantined])).to.deep.equal([
      ['authority_users', 8, 3, 5],
      ['roles', 0, 0, 0],
    ]);
    expect(report.totals).to.deep.equal({ documents: 8, wouldConvert: 3, skippedByTier: 0, quarantined: 5 });
    const second = await runCli(args, env);
    expect(second.stdout).to.equal(first.stdout);
  });

  it('prints the human report: outcome line, reasons with ids, duplicates, undeclared fields marked', async () => {
    const r = await runCli(['profile', '--module', 'authority', '--collection', 'user', '--reference-time', NOW.toISOString(), '--no-progress'], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('Authority/authority_users (user, tier A): 8 document(s)');
    expect(r.stdout).to.include('would convert 3, skipped by tier 0, quarantined 5');
    expect(r.stdout).to.include('e.g. str:u-5, str:u-6');
    expect(r.stdout).to.include('unique key (username): 2 duplicate document(s) of 1 value(s)');
    expect(r.stdout).to.match(/legacyFlag \*\s+12\.5%\s+Boolean 12\.5%/);
    expect(r.stderr).to.equal('');
  });

  it('refuses an unknown collection or a bad --sample with exit 2, naming what is allowed', async () => {
    const bad = await runCli(['profile', '--module', 'Authority', '--collection', 'nope'], env);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('Authority has no collection "nope"; allowed: authority_users (user)');
    const sample = await runCli(['profile', '--module', 'Authority', '--sample', '0'], env);
    expect(sample.code).to.equal(2);
    expect(sample.stderr).to.include('--sample must be a positive integer');
    const time = await runCli(['profile', '--module', 'Authority', '--reference-time', 'yesterday'], env);
    expect(time.code).to.equal(2);
    expect(time.stderr).to.include('--reference-time must be an ISO 8601 date-time');
  });
});
