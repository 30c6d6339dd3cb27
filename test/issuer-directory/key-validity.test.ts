import { expect } from 'chai';
import pg from 'pg';
import type { Issuer, IssuerKey, TrustOverride } from '../../src/interfaces/issuer-directory.js';
import type { NewEntity } from '../../src/interfaces/entity-spec.js';
import type { EntityRepository } from '../../src/interfaces/repository.js';
import { IssuerKeyLookup, IssuerTrust, isKeyValidAt, issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { issuerKey } from '../../src/modules/issuer-directory/entities.js';
import { ALL_BACKENDS } from '../contract/repository-contract.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0, 0);
const at = (ms: number) => new Date(T0 + ms);
const DAY = 86_400_000;
const FROM = at(0);
const TO = at(30 * DAY);
const REVOKED = at(10 * DAY);

function key(n: number, over: Partial<IssuerKey> = {}): NewEntity<IssuerKey> {
  return {
    issuerId: 'redhat', keyId: `rh-${n}`, fingerprint: `sha256:${String(n).repeat(64).slice(0, 64)}`, keyType: 'ed25519',
    publicKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n', validFrom: FROM, validTo: TO, revokedAt: null, revocationReason: null, ...over,
  } as NewEntity<IssuerKey>;
}

describe('IssuerDirectory key validity rule', () => {
  const k = { ...key(1), id: '', tenantId: '', createdAt: FROM, updatedAt: FROM } as IssuerKey;
  it('is valid from validFrom (inclusive) to validTo (exclusive)', () => {
    expect(isKeyValidAt(k, at(-1))).to.equal(false);
    expect(isKeyValidAt(k, FROM)).to.equal(true);
    expect(isKeyValidAt(k, at(30 * DAY - 1))).to.equal(true);
    expect(isKeyValidAt(k, TO)).to.equal(false);
    expect(isKeyValidAt({ ...k, validTo: null }, at(3650 * DAY))).to.equal(true);
  });
  it('is invalid from revokedAt on, and never valid once revoked for keyCompromise', () => {
    const superseded = { ...k, revokedAt: REVOKED, revocationReason: 'superseded' as const };
    expect(isKeyValidAt(superseded, at(10 * DAY - 1))).to.equal(true);
    expect(isKeyValidAt(superseded, REVOKED)).to.equal(false);
    const compromised = { ...k, revokedAt: REVOKED, revocationReason: 'keyCompromise' as const };
    expect(isKeyValidAt(compromised, FROM)).to.equal(false);
  });
});

for (const backend of ALL_BACKENDS) {
  describe(`IssuerDirectory lookups on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    let keys: EntityRepository<IssuerKey>;
    let lookup: IssuerKeyLookup;
    before(async () => {
      t = await startTestRuntime(backend, { modules: [issuerDirectoryModule] });
      keys = t.runtime.repository<IssuerKey>('IssuerDirectory', 'issuer_key');
      lookup = t.runtime.container.resolve(IssuerKeyLookup);
    });
    after(async () => t?.close());

    it('findValidKey answers null exactly at validTo, at revokedAt, before validFrom, and for a compromised key', async () => {
      const ctx = t.tenant();
      const windowed = await keys.insert(ctx, key(1));
      const superseded = await keys.insert(ctx, key(2, { validTo: null, revokedAt: REVOKED, revocationReason: 'superseded' }));
      const compromised = await keys.insert(ctx, key(3, { revokedAt: REVOKED, revocationReason: 'keyCompromise' }));
      const found = async (fp: string, when: Date) => (await lookup.findValidKey(ctx, fp, when))?.id ?? null;
      expect(await found(windowed.fingerprint, at(-1)), 'before validFrom').to.equal(null);
      expect(await found(windowed.fingerprint, FROM), 'at validFrom').to.equal(windowed.id);
      expect(await found(windowed.fingerprint, at(30 * DAY - 1)), '1 ms before validTo').to.equal(windowed.id);
      expect(await found(windowed.fingerprint, TO), 'at validTo').to.equal(null);
      expect(await found(superseded.fingerprint, at(10 * DAY - 1)), '1 ms before revokedAt').to.equal(superseded.id);
      expect(await found(superseded.fingerprint, REVOKED), 'at revokedAt').to.equal(null);
      expect(await found(superseded.fingerprint, at(400 * DAY)), 'long after revokedAt').to.equal(null);
      expect(await found(compromised.fingerprint, at(1)), 'compromised, before revokedAt').to.equal(null);
      expect(await found('sha256:unknown', at(1))).to.equal(null);
      expect(await lookup.findValidKey(t.tenant(), windowed.fingerprint, at(1)), 'other tenant').to.equal(null);
    });

    it("lists an issuer's keys newest first, and those valid at a time", async () => {
      const ctx = t.tenant();
      const old = await keys.insert(ctx, key(4, { keyId: 'rh-2024', validFrom: at(-400 * DAY), validTo: at(-30 * DAY) }));
      const current = await keys.insert(ctx, key(5, { keyId: 'rh-2026' }));
      const next = await keys.insert(ctx, key(6, { keyId: 'rh-2027', validFrom: at(20 * DAY), validTo: null }));
      await keys.insert(ctx, key(7, { issuerId: 'suse', keyId: 'suse-1' }));
      expect((await lookup.keysOf(ctx, 'redhat')).map((k) => k.id)).to.deep.equal([next.id, current.id, old.id]);
      expect((await lookup.validKeysOf(ctx, 'redhat', at(25 * DAY))).map((k) => k.id)).to.deep.equal([next.id, current.id]);
      expect((await keys.findOne(ctx, { issuerId: 'redhat', keyId: 'rh-2024' }))?.id).to.equal(old.id);
    });

    it("resolves a tenant's trust: its override while it applies, else the issuer's default", async () => {
      const ctx = t.tenant();
      const issuers = t.runtime.repository<Issuer>('IssuerDirectory', 'issuer');
      const overrides = t.runtime.repository<TrustOverride>('IssuerDirectory', 'trust_override');
      const base = { category: 'vendor', namespaceUri: 'https://example.org', contactEmail: null, providerMetadataUrl: null, formats: ['csaf'], enabled: true } as const;
      await issuers.insert(ctx, { ...base, issuerId: 'redhat', displayName: 'Red Hat', defaultWeight: 0.9, formats: ['csaf'] });
      await issuers.insert(ctx, { ...base, issuerId: 'off', displayName: 'Disabled', defaultWeight: 0.7, formats: ['csaf'], enabled: false });
      await overrides.insert(ctx, { issuerId: 'redhat', trust: 'untrusted', weight: 0.1, reason: 'policy', setBy: null, expiresAt: TO });
      const trust = t.runtime.container.resolve(IssuerTrust);
      expect(await trust.effectiveTrust(ctx, 'redhat', at(0))).to.deep.equal({ issuerId: 'redhat', weight: 0.1, trust: 'untrusted', source: 'override' });
      expect(await trust.effectiveTrust(ctx, 'redhat', TO)).to.deep.equal({ issuerId: 'redhat', weight: 0.9, trust: 'default', source: 'issuer' });
      expect(await trust.effectiveTrust(ctx, 'off', at(0))).to.deep.equal({ issuerId: 'off', weight: 0, trust: 'untrusted', source: 'issuer' });
      expect(await trust.effectiveTrust(ctx, 'nobody', at(0))).to.equal(null);
      expect(await trust.effectiveTrust(t.tenant(), 'redhat', at(0))).to.equal(null);
    });

    if (backend === 'Mongo' || backend === 'DualWrite') {
      it('keeps a unique index on the fingerprint and on the issuer id in MongoDB', async () => {
        const mongo = t.runtime.mongo!;
        {
          const ctx = t.tenant();
          const k = await keys.insert(ctx, key(8));
          await t.runtime.flushDualWrite();
          const raw = mongo.db.collection(issuerKey.collection);
          const err = await raw.insertOne({ _id: 'dup', tenantId: ctx.tenantId, fingerprint: k.fingerprint }).then(() => null, (e: unknown) => e);
          expect((err as { code?: number })?.code).to.equal(11000);
          const issuersRaw = mongo.db.collection('issuers');
          await issuersRaw.insertOne({ _id: 'i1', tenantId: ctx.tenantId, issuerId: 'x' });
          const dup = await issuersRaw.insertOne({ _id: 'i2', tenantId: ctx.tenantId, issuerId: 'x' }).then(() => null, (e: unknown) => e);
          expect((dup as { code?: number })?.code).to.equal(11000);
          await issuersRaw.deleteOne({ _id: 'i1' });
        }
      });
    }

    if (backend !== 'Mongo') {
      it('serves the fingerprint and issuer-id lookups from their PostgreSQL indexes', async () => {
        const admin = new pg.Client({ connectionString: t.db.adminUrl });
        await admin.connect();
        try {
          // A realistic volume, so the planner's choice means something.
          const tenant = '00000000-0000-4000-8000-000000000001';
          await admin.query(
            `insert into issuer.issuer_key (id, tenant_id, issuer_id, key_id, fingerprint, key_type, public_key, valid_from, created_at, updated_at)
             select gen_random_uuid(), $1, 'issuer-' || (g % 200), 'k-' || g, 'sha256:' || md5(g::text), 'ed25519', 'pem', now(), now(), now()
               from generate_series(1, 5000) g`, [tenant]);
          await admin.query(
            `insert into issuer.issuer (id, tenant_id, issuer_id, display_name, category, namespace_uri, formats, default_weight, enabled, created_at, updated_at)
             select gen_random_uuid(), $1, 'issuer-' || g, 'Issuer ' || g, 'vendor', 'https://x', '{csaf}', 0.5, true, now(), now()
               from generate_series(1, 2000) g`, [tenant]);
          await admin.query('analyze issuer.issuer_key; analyze issuer.issuer');
          const plan = async (sql: string) => (await admin.query(`explain ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
          expect(await plan(`select * from issuer.issuer_key where tenant_id = '${tenant}' and fingerprint = 'sha256:' || md5('42')`)).to.contain('ux_issuer_key_fingerprint');
          expect(await plan(`select * from issuer.issuer where tenant_id = '${tenant}' and issuer_id = 'issuer-42'`)).to.match(/Index (Only )?Scan using (ux_issuer_issuer_id|ix_issuer_order_issuer_id)/);
          const p3 = await plan(`select * from issuer.issuer_key where tenant_id = '${tenant}' and issuer_id = 'issuer-42' order by issuer_id collate "C", valid_from desc, id limit 10`);
          expect(p3, p3).to.contain('ix_issuer_key_order_default');
        } finally {
          await admin.end();
        }
      });
    }
  });
}
