import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { UUID, type Document } from 'bson';
import pg from 'pg';
import { v5 as uuidv5 } from 'uuid';
import { loadConfig } from '../../src/config/load-config.js';
import { ROOT_NAMESPACE } from '../../src/codec/ids.js';
import { TENANT_NAMESPACE, TenantRegistry } from '../../src/codec/tenant-registry.js';
import { runConversion } from '../../src/conversion/index.js';
import { ConfigError, ConversionError, NotFoundError } from '../../src/interfaces/errors.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { connectMongo } from '../../src/mongo/mongo-data-source.js';
import { runVerify } from '../../src/parity/run-verify.js';
import { TenantRegistryConflictError } from '../../src/postgres/tenant-registry-store.js';
import { AuthorityTokens, type User } from '../../src/interfaces/authority.js';
import { MODULES } from '../../src/modules/registry.js';
import type { EntityRepository } from '../../src/interfaces/repository.js';
import { startConversionEnv, testLog, type ConversionEnv } from '../conversion/conversion-env.js';
import { runCli, seed } from '../conversion/legacy-docs.js';
import { createTestDatabase } from '../setup/environment.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

/** Named legacy tenants (README "Tenant registry"): 'acme' by its UUIDv5, 'globex' pinned by config. */
const GLOBEX = '6a3f0d2e-9b41-4c7a-8e15-2f90c4b7d611';
const UUID_TENANT = '1111abcd-1111-4111-8111-11111111efef';
// Expected UUIDs from the `uuid` package, not from the code under test.
const ACME = uuidv5('acme', uuidv5('tenant-key', ROOT_NAMESPACE));
const T0 = Date.UTC(2025, 0, 1);

function user(id: string | UUID, tenantId: unknown, username: string, i: number): Document {
  return { _id: id, tenantId, username, status: 'active', mfaEnabled: false, createdAt: new Date(T0 + i * 1000), updatedAt: new Date(T0 + i * 1000 + 5) };
}

/** Legacy users of three named/UUID tenants, plus a duplicate username in acme (the legacy collection had no unique index). */
function legacyUsers(): Document[] {
  return [
    user('a1', 'acme', 'alice', 1),
    user('a2', 'acme', 'bob', 2),
    user('a3', 'acme', 'alice', 3), // a legacy duplicate of (tenant, username): a1 keeps it
    user('g1', 'globex', 'alice', 4),
    user('g2', 'globex', 'carol', 5),
    user('u1', UUID_TENANT, 'alice', 6),
    user('u2', UUID_TENANT.toUpperCase(), 'dave', 7),
  ];
}

/** Writes legacy documents as a legacy service would, before any service of ours ensured indexes. */
async function legacyInsert(t: TestRuntime, docs: Document[]): Promise<void> {
  const m = await connectMongo(t.mongoUrl, t.mongoDatabase);
  try {
    await m.db.collection('authority_users').insertMany(docs);
  } finally {
    await m.close();
  }
}

function pinFile(dir: string, pins: { Key: string; TenantId: string }[]): string {
  const file = join(dir, `pins-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify({ Tenants: pins }));
  return file;
}

describe('tenant registry: the mapping', () => {
  it('maps a named key to UUIDv5 in the documented namespace, a UUID to itself, a pinned key to its pin', () => {
    expect(TENANT_NAMESPACE).to.equal(uuidv5('tenant-key', ROOT_NAMESPACE));
    const r = new TenantRegistry({ globex: GLOBEX });
    expect(r.uuidOf('acme')).to.equal(ACME);
    expect(r.uuidOf('globex')).to.equal(GLOBEX);
    expect(r.uuidOf(UUID_TENANT)).to.equal(UUID_TENANT);
    expect(r.uuidOf(UUID_TENANT.toUpperCase())).to.equal(UUID_TENANT);
    expect(new TenantRegistry().uuidOf('acme'), 'stable across instances').to.equal(ACME);
    expect(r.legacyKeysOf(ACME)).to.deep.equal([ACME, 'acme']);
    expect(r.legacyKeysOf(GLOBEX)).to.deep.equal(['globex']);
    expect(r.legacyKeysOf(UUID_TENANT)).to.deep.equal([UUID_TENANT, UUID_TENANT.toUpperCase()]);
    expect(r.legacyKeyFor(ACME)).to.equal('acme');
    expect(r.legacyKeyFor(GLOBEX)).to.equal('globex');
    expect(r.legacyKeyFor(UUID_TENANT)).to.equal(UUID_TENANT);
  });

  it('refuses pins that would merge or rename tenants, and a document naming a pinned UUID directly', () => {
    expect(() => new TenantRegistry({ a: GLOBEX, b: GLOBEX })).to.throw(ConfigError, /already pinned to "a"/);
    expect(() => new TenantRegistry({ [UUID_TENANT]: GLOBEX })).to.throw(ConfigError, /is a UUID is its own tenant/);
    expect(() => new TenantRegistry({ a: 'not-a-uuid' })).to.throw(ConfigError, /lowercase UUID/);
    expect(() => new TenantRegistry({ globex: GLOBEX }).uuidOf(GLOBEX)).to.throw(ConversionError, /pinned to legacy key "globex"/);
    expect(() => new TenantRegistry().uuidOf('a\u0000b')).to.throw(ConversionError, /U\+0000/);
  });

  it('the Tenants config key takes any string as a key and refuses a bad UUID naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenants-cfg-'));
    try {
      const config = loadConfig({ file: pinFile(dir, [{ Key: 'acme.corp eu', TenantId: GLOBEX }]), env: { MONGO_URL: 'memory:' } });
      expect(config.Tenants).to.deep.equal([{ Key: 'acme.corp eu', TenantId: GLOBEX }]);
      expect(() => loadConfig({ file: pinFile(dir, [{ Key: 'acme', TenantId: 'x' }]), env: { MONGO_URL: 'memory:' } })).to.throw(ConfigError, /Tenants: \[0\] \(Key "acme"\)\.TenantId: "x" is not allowed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('named legacy tenants: conversion, RLS, parity, registry, tenants CLI', function () {
  this.timeout(300_000);
  let env: ConversionEnv;
  let dir: string;
  let pinned: ReturnType<typeof loadConfig>;

  before(async () => {
    env = await startConversionEnv('named_tenants');
    dir = mkdtempSync(join(tmpdir(), 'tenants-'));
    pinned = loadConfig({ file: pinFile(dir, [{ Key: 'globex', TenantId: GLOBEX }]), env: env.env });
    await seed(env, 'authority_users', legacyUsers());
    const report = await runConversion({ config: pinned, module: 'Authority', collection: 'authority_users', batchSize: 3, progress: 'none', log: testLog });
    expect(report.collections[0], JSON.stringify(report)).to.include({ converted: 6, quarantined: 1 });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env?.close();
  });

  it('converts named tenants to their UUIDs (pinned honoured), UUID tenants unchanged', async () => {
    const rows = (await env.admin.query(`select legacy_id, tenant_id, username from authority."user" order by legacy_id`)).rows;
    expect(rows).to.deep.equal([
      { legacy_id: 'str:a1', tenant_id: ACME, username: 'alice' },
      { legacy_id: 'str:a2', tenant_id: ACME, username: 'bob' },
      { legacy_id: 'str:g1', tenant_id: GLOBEX, username: 'alice' },
      { legacy_id: 'str:g2', tenant_id: GLOBEX, username: 'carol' },
      { legacy_id: 'str:u1', tenant_id: UUID_TENANT, username: 'alice' },
      { legacy_id: 'str:u2', tenant_id: UUID_TENANT, username: 'dave' },
    ]);
  });

  it('quarantines the later duplicate of a natural key, naming the key and the row that kept it, under its tenant', async () => {
    const q = (await env.admin.query(`select legacy_id, reason, tenant_id from core.conversion_quarantine`)).rows;
    expect(q).to.have.length(1);
    expect(q[0].legacy_id).to.equal('str:a3');
    expect(q[0].tenant_id).to.equal(ACME);
    expect(q[0].reason).to.match(/^duplicate of the natural key \(tenantId, username\) kept by the row of legacy id str:a1: PostgreSQL refused the row \(SQLSTATE 23505\)/);
  });

  it('records the named keys in core.tenant_registry', async () => {
    const rows = (await env.admin.query(`select legacy_key, tenant_id, origin, recorded_by from core.tenant_registry order by legacy_key`)).rows;
    expect(rows).to.deep.equal([
      { legacy_key: 'acme', tenant_id: ACME, origin: 'derived', recorded_by: 'convert Authority.user' },
      { legacy_key: 'globex', tenant_id: GLOBEX, origin: 'pinned', recorded_by: 'convert Authority.user' },
    ]);
  });

  it('row-level security isolates the named tenants as the application role', async () => {
    const app = new pg.Client({ connectionString: env.db.appUrl });
    await app.connect();
    try {
      const as = async (tenant: string | null) => {
        await app.query('begin');
        if (tenant) await app.query(`select set_config('app.tenant_id', $1, true)`, [tenant]);
        const res = await app.query(`select legacy_id from authority."user" order by legacy_id`);
        await app.query('commit');
        return res.rows.map((r) => r.legacy_id);
      };
      expect(await as(ACME)).to.deep.equal(['str:a1', 'str:a2']);
      expect(await as(GLOBEX)).to.deep.equal(['str:g1', 'str:g2']);
      expect(await as(null)).to.deep.equal([]);
      const registry = await app.query(`select count(*) from core.tenant_registry`).then(
        () => 'readable',
        (e: { code: string }) => e.code,
      );
      expect(registry, 'the application role cannot read the registry').to.equal('42501');
    } finally {
      await app.end();
    }
  });

  it('is stable: a second run changes nothing, and a fresh database gets the same UUIDs', async () => {
    const again = await runConversion({ config: pinned, module: 'Authority', collection: 'authority_users', batchSize: 3, progress: 'none', log: testLog });
    expect(again.collections[0]!.outcome, JSON.stringify(again)).to.not.equal('failed');
    const fresh = await createTestDatabase('named_tenants_fresh');
    try {
      const freshConfig = loadConfig({ file: pinFile(dir, [{ Key: 'globex', TenantId: GLOBEX }]), env: { ...env.env, POSTGRES_URL: fresh.appUrl, POSTGRES_ADMIN_URL: fresh.adminUrl } });
      const report = await runConversion({ config: freshConfig, module: 'Authority', collection: 'authority_users', progress: 'none', log: testLog });
      expect(report.collections[0], JSON.stringify(report)).to.include({ converted: 6, quarantined: 1 });
      const client = new pg.Client({ connectionString: fresh.adminUrl });
      await client.connect();
      try {
        const a = (await client.query(`select legacy_key, tenant_id from core.tenant_registry order by legacy_key`)).rows;
        expect(a).to.deep.equal([
          { legacy_key: 'acme', tenant_id: ACME },
          { legacy_key: 'globex', tenant_id: GLOBEX },
        ]);
      } finally {
        await client.end();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('refuses a pin that contradicts a recorded key, naming it', async () => {
    const moved = loadConfig({ file: pinFile(dir, [{ Key: 'acme', TenantId: randomUUID() }]), env: env.env });
    let error: unknown;
    await runConversion({ config: moved, module: 'Authority', collection: 'authority_users', progress: 'none', log: testLog }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(TenantRegistryConflictError);
    expect((error as Error).message).to.match(/legacy tenant key "acme" is recorded in core.tenant_registry as tenant .* but now maps to/);
    const unpinned = loadConfig({ env: env.env });
    error = undefined;
    await runConversion({ config: unpinned, module: 'Authority', collection: 'authority_users', progress: 'none', log: testLog }).catch((e) => (error = e));
    expect((error as Error)?.message).to.match(/"globex" is recorded .* as tenant 6a3f0d2e-9b41-4c7a-8e15-2f90c4b7d611 \(pinned/);
  });

  it('data and output parity: 0 mismatches on named-tenant data', async () => {
    const { report, exitCode } = await runVerify({ config: pinned, module: 'Authority', collections: ['authority_users'], outDir: null });
    expect(report.summary.mismatches, JSON.stringify(report, null, 1).slice(0, 4000)).to.equal(0);
    expect(exitCode).to.equal(0);
    expect(report.output.tenants).to.include.members([ACME, GLOBEX, UUID_TENANT]);
  });

  it('`tenants list --json --scan` lists the mapping; a conflicting pin exits 1', async () => {
    const file = pinFile(dir, [{ Key: 'globex', TenantId: GLOBEX }]);
    const res = await runCli(['tenants', 'list', '--json', '--scan', '--module', 'Authority', '--config', file], env.env);
    expect(res.code, res.stderr).to.equal(0);
    const json = JSON.parse(res.stdout);
    expect(json.namespace).to.equal(TENANT_NAMESPACE);
    expect(json.tenants.map((t: { key: string; tenantId: string; origin: string; recorded: { tenantId: string } | null; collections: string[] }) => [t.key, t.tenantId, t.origin, t.recorded?.tenantId, t.collections])).to.deep.equal([
      ['acme', ACME, 'derived', ACME, ['authority_users']],
      ['globex', GLOBEX, 'pinned', GLOBEX, ['authority_users']],
    ]);
    const text = await runCli(['tenants', 'list', '--config', file], env.env);
    expect(text.stdout).to.contain(`"acme" -> ${ACME} (derived; recorded by convert Authority.user`);
    const bad = await runCli(['tenants', 'list', '--config', pinFile(dir, [{ Key: 'acme', TenantId: GLOBEX.replace(/^6/, '7') }])], env.env);
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.match(/CONFLICT: legacy tenant key "acme" is recorded/);
    const help = await runCli(['tenants', 'list', '--help'], {});
    expect(help.stdout).to.contain('--scan');
  });
});

describe('named legacy tenants on the Mongo and DualWrite backends', function () {
  this.timeout(240_000);
  let t: TestRuntime;
  let dir: string;
  const acme = tenantContext(ACME);
  const globex = tenantContext(GLOBEX);
  const ids = { acme: new UUID(randomUUID()), globex: new UUID(randomUUID()) };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tenants-rt-'));
    t = await startTestRuntime('Mongo', { modules: [], env: { PERSISTENCE_CONFIG: pinFile(dir, [{ Key: 'globex', TenantId: GLOBEX }]) } });
    await legacyInsert(t, [user(ids.acme, 'acme', 'alice', 1), user(ids.globex, 'globex', 'alice', 2), user('a9', 'acme', 'zed', 3)]);
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a UUID tenant context reads, lists, updates and deletes its named-tenant documents, never another tenant\u2019s', async () => {
    const rt = await t.restart({}, { modules: MODULES }); // a service starting on the legacy data (discovers the keys)
    const users = rt.get<EntityRepository<User>>(AuthorityTokens.user);
    const raw = rt.mongo!.db.collection('authority_users');
    const alice = await users.findOne(acme, { username: 'alice' });
    expect(alice?.id).to.equal(ids.acme.toHexString(true));
    expect(alice?.tenantId).to.equal(ACME);
    expect((await users.findOne(globex, { username: 'alice' }))?.id).to.equal(ids.globex.toHexString(true));
    expect((await users.list(acme)).items.map((u) => u.username)).to.deep.equal(['alice', 'zed']);
    expect((await users.list(globex)).items.map((u) => u.username)).to.deep.equal(['alice']);
    expect(await users.get(acme, ids.globex.toHexString(true)), 'not another tenant\u2019s').to.equal(null);
    let refused: unknown;
    await users.update(acme, ids.globex.toHexString(true), { status: 'locked' }).catch((e) => (refused = e));
    expect(refused).to.be.instanceOf(NotFoundError);
    expect(await users.delete(acme, ids.globex.toHexString(true))).to.equal(false);

    const updated = await users.update(acme, ids.acme.toHexString(true), { status: 'locked' });
    expect(updated.tenantId).to.equal(ACME);
    expect((await raw.findOne({ _id: ids.acme }))?.tenantId, 'the legacy key stays').to.equal('acme');
    const created = await users.insert(acme, { username: 'erin', status: 'active', mfaEnabled: true } as never);
    expect((await raw.findOne({ username: 'erin' }))?.tenantId, 'a new document carries the legacy key').to.equal('acme');
    const pinnedNew = await users.insert(tenantContext(GLOBEX), { username: 'frank', status: 'active', mfaEnabled: false } as never);
    expect((await raw.findOne({ username: 'frank' }))?.tenantId).to.equal('globex');
    expect(await users.delete(acme, created.id)).to.equal(true);
    expect(await users.delete(globex, pinnedNew.id)).to.equal(true);
    // A tenant nobody has met yet: nothing, and nothing of anyone else.
    expect((await users.list(tenantContext(randomUUID()))).items).to.deep.equal([]);
  });

  it('DualWrite writes PostgreSQL under the UUID and MongoDB under the legacy key', async () => {
    const rt = await t.restart({ PERSISTENCE_AUTHORITY: 'DualWrite' }, { modules: MODULES });
    const users = rt.get<EntityRepository<User>>(AuthorityTokens.user);
    const grace = await users.insert(acme, { username: 'grace', status: 'active', mfaEnabled: false } as never);
    const heidi = await users.insert(globex, { username: 'heidi', status: 'active', mfaEnabled: false } as never);
    await rt.flushDualWrite();
    const raw = rt.mongo!.db.collection('authority_users');
    expect((await raw.findOne({ username: 'grace' }))?.tenantId).to.equal('acme');
    expect((await raw.findOne({ username: 'heidi' }))?.tenantId).to.equal('globex');
    const admin = new pg.Client({ connectionString: t.db.adminUrl });
    await admin.connect();
    try {
      const rows = (await admin.query(`select username, tenant_id from authority."user" where username in ('grace', 'heidi') order by 1`)).rows;
      expect(rows).to.deep.equal([
        { username: 'grace', tenant_id: ACME },
        { username: 'heidi', tenant_id: GLOBEX },
      ]);
    } finally {
      await admin.end();
    }
    await users.update(acme, grace.id, { status: 'disabled' });
    await rt.flushDualWrite();
    const mongoGrace = await raw.findOne({ username: 'grace' });
    expect(mongoGrace?.status).to.equal('disabled');
    expect(mongoGrace?.tenantId).to.equal('acme');
    expect((await users.get(globex, grace.id)), 'never across tenants').to.equal(null);
    expect((await users.get(acme, heidi.id))).to.equal(null);
  });
});

describe('a declared unique key the legacy data breaks', function () {
  this.timeout(240_000);
  let t: TestRuntime;

  before(async () => {
    // No module at first: the legacy collection must not get its indexes before the duplicates are in.
    t = await startTestRuntime('Mongo', { modules: [] });
    // Two users named alice in one tenant, two named bob in another: the legacy collection had no unique index.
    await legacyInsert(t, [
      user('d1', UUID_TENANT, 'alice', 1),
      user('d2', UUID_TENANT, 'alice', 2),
      user('d3', UUID_TENANT, 'alice', 3),
      user('d4', 'acme', 'bob', 4),
      user('d5', 'acme', 'bob', 5),
      user('d6', 'acme', 'carol', 6),
    ]);
  });
  after(async () => t?.close());

  it('the memory: store refuses to build the unique index with the server\u2019s E11000', async () => {
    let error: { code?: number; message?: string } | undefined;
    const m = await connectMongo(t.mongoUrl, t.mongoDatabase);
    await m.db.collection('authority_users').createIndex({ tenantId: 1, username: 1 }, { unique: true, name: 'ux_probe' }).catch((e) => (error = e));
    await m.close();
    expect(error?.code).to.equal(11000);
    expect(error?.message).to.match(/^E11000 duplicate key error collection: .*authority_users index: ux_probe dup key/);
  });

  it('a service on Mongo starts, serves the collection and reports the broken index with count and examples', async () => {
    const warnings: string[] = [];
    const rt = await t.restart({}, { modules: MODULES, log: (line) => warnings.push(line) });
    const broken = rt.brokenIndexes.find((b) => b.index === 'ux_username');
    expect(broken).to.deep.include({ entity: 'Authority.user', collection: 'authority_users', fields: ['tenantId', 'username'], duplicateKeys: 2, extraDocuments: 3 });
    expect(broken!.examples.map((e) => e.legacyIds)).to.deep.equal([
      ['str:d1', 'str:d2', 'str:d3'],
      ['str:d4', 'str:d5'],
    ]);
    expect(warnings.some((w) => /warning: Authority.user: unique index ux_username .* 2 duplicate key\(s\), 3 document\(s\) beyond the first/.test(w))).to.equal(true);
    const health = await rt.health();
    expect(health.find((h) => h.backend === 'Mongo')?.brokenIndexes?.map((b) => b.index)).to.deep.equal(['ux_username']);
    const users = rt.get<EntityRepository<User>>(AuthorityTokens.user);
    expect((await users.list(tenantContext(UUID_TENANT))).items.map((u) => u.username)).to.deep.equal(['alice', 'alice', 'alice']);
    expect((await users.findOne(tenantContext(ACME), { username: 'bob' }))?.createdAt.getTime(), 'the first by _id').to.equal(T0 + 4000);
    const again = await users.insert(tenantContext(ACME), { username: 'carol', status: 'active', mfaEnabled: false } as never);
    expect(again.username, 'serves as the legacy service did: no index, no refusal').to.equal('carol');
  });

  it('`status` reports the broken index (text and --json), exit 0', async () => {
    const env = { MONGO_URL: t.mongoUrl, MONGO_DATABASE: t.mongoDatabase, POSTGRES_URL: t.db.appUrl, POSTGRES_ADMIN_URL: t.db.adminUrl, PERSISTENCE_AUTHORITY: 'Mongo' };
    const text = await runCli(['status', '--module', 'Authority'], env);
    expect(text.code, text.stderr + text.stdout).to.equal(0);
    expect(text.stdout, text.stdout).to.match(/warning: Authority.user: unique index ux_username \(tenantId, username\) on authority_users cannot be built: 3 duplicate key\(s\)/); // the carol inserted above is one more
    expect(text.stdout).to.contain('held by str:d1, str:d2, str:d3');
    const json = await runCli(['status', '--module', 'Authority', '--json'], env);
    const mongo = JSON.parse(json.stdout).health.find((h: { backend: string }) => h.backend === 'Mongo');
    expect(mongo.brokenIndexes[0]).to.deep.include({ index: 'ux_username', duplicateKeys: 3 });
  });
});
