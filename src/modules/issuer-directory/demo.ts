import type { Document } from 'bson';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { DemoRandom, demoId, idFor, legacyDocument, minutesBefore, mixedLegacyId } from '../shared/demo-random.js';
import { auditLog, issuer, issuerKey, trustOverride } from './entities.js';

const DAY_MIN = 24 * 60;
const ISSUERS = [
  { issuerId: 'redhat', displayName: 'Red Hat Product Security', category: 'vendor', namespaceUri: 'https://www.redhat.com', formats: ['csaf', 'csaf-vex'] },
  { issuerId: 'suse', displayName: 'SUSE', category: 'vendor', namespaceUri: 'https://www.suse.com', formats: ['csaf', 'openvex'] },
  { issuerId: 'cisa', displayName: 'CISA', category: 'coordinator', namespaceUri: 'https://www.cisa.gov', formats: ['csaf'] },
  { issuerId: 'ubuntu', displayName: 'Canonical Ubuntu', category: 'vendor', namespaceUri: 'https://ubuntu.com', formats: ['openvex'] },
  { issuerId: 'bsi', displayName: 'BSI CERT-Bund', category: 'coordinator', namespaceUri: 'https://www.bsi.bund.de', formats: ['csaf'] },
  { issuerId: 'acme-internal', displayName: 'ACME Product Security', category: 'user', namespaceUri: 'https://security.acme.example', formats: ['openvex', 'cyclonedx-vex'] },
  { issuerId: 'Ötzi-labs', displayName: 'Ötzi Labs', category: 'discoverer', namespaceUri: 'https://oetzi.example', formats: ['csaf'] },
] as const;

// PKCS#8 DER prefix of an Ed25519 private key; the 32 bytes that follow are its seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A real, deterministic Ed25519 public key (PEM) and its fingerprint (`sha256:` of the SPKI DER). */
export function demoEd25519Key(seed32: Buffer): { publicKey: string; fingerprint: string } {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed32]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}` };
}

/**
 * Generated legacy IssuerDirectory documents: per tenant up to `count` well-known issuers, about
 * `count` real Ed25519 keys with every validity situation (current, expired, not yet valid,
 * open-ended, superseded, compromised), and trust overrides (some expired).
 */
export function* issuerDirectoryDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const { seed, now } = options;
  const count = Math.max(1, options.count);
  for (const tenantId of options.tenants) {
    const r = new DemoRandom(seed, 'IssuerDirectory', tenantId);
    const id = (collection: string, i: number | string) => demoId('IssuerDirectory', collection, tenantId, seed, i);
    const issuers = ISSUERS.slice(0, Math.min(ISSUERS.length, count));

    for (const [i, iss] of issuers.entries()) {
      const at = minutesBefore(now, 700 * DAY_MIN - i * 3);
      yield [issuer.collection, legacyDocument(issuer, {
        id: id('issuers', i), tenantId, createdAt: at, updatedAt: at,
        ...iss, formats: [...iss.formats],
        contactEmail: r.bool(0.7) ? `secalert@${new URL(iss.namespaceUri).hostname}` : null,
        providerMetadataUrl: iss.formats.some((f) => f.startsWith('csaf')) ? `${iss.namespaceUri}/.well-known/csaf/provider-metadata.json` : null,
        defaultWeight: Number((0.5 + r.next() * 0.5).toFixed(2)),
        enabled: i !== issuers.length - 1 || issuers.length < 3,
      }, i % 2 === 1)];
    }

    for (let i = 0; i < count; i++) {
      const iss = issuers[i % issuers.length]!;
      const seed32 = createHash('sha256').update(`demo-key|${seed}|${tenantId}|${i}`).digest();
      const { publicKey, fingerprint } = demoEd25519Key(seed32);
      const situation = i % 6;
      const validFrom = situation === 2 ? minutesBefore(now, -10 * DAY_MIN) : minutesBefore(now, (400 - i) * DAY_MIN);
      const validTo = situation === 1 ? minutesBefore(now, 5 * DAY_MIN) : situation === 3 ? null : minutesBefore(now, -365 * DAY_MIN);
      const revokedAt = situation === 4 || situation === 5 ? minutesBefore(now, r.int(1, 30) * DAY_MIN) : null;
      const created = new Date(Math.min(validFrom.getTime(), now.getTime()));
      const lid = mixedLegacyId(r, issuerKey.collection, tenantId, i);
      yield [issuerKey.collection, legacyDocument(issuerKey, {
        id: idFor(issuerKey.collection, lid, id('issuer_keys', i)), tenantId, createdAt: created, updatedAt: revokedAt ?? created,
        issuerId: iss.issuerId, keyId: `${iss.issuerId}-${2020 + i}`, fingerprint, keyType: 'ed25519', publicKey,
        validFrom, validTo, revokedAt,
        revocationReason: situation === 4 ? 'superseded' : situation === 5 ? 'keyCompromise' : null,
      }, i % 3 === 0, lid)];
    }

    for (const [i, iss] of issuers.entries()) {
      if (i % 2 === 1) continue;
      const at = minutesBefore(now, (90 - i) * DAY_MIN);
      yield [trustOverride.collection, legacyDocument(trustOverride, {
        id: id('issuer_trust_overrides', i), tenantId, createdAt: at, updatedAt: at,
        issuerId: iss.issuerId, trust: r.pick(['trusted', 'untrusted', 'neutral'] as const),
        weight: Number(r.next().toFixed(2)), reason: r.bool() ? 'tenant security team decision' : null,
        setBy: r.bool() ? id('users', i % 3) : null,
        expiresAt: i % 4 === 0 ? null : minutesBefore(now, r.int(-60, 60) * DAY_MIN),
      })];
    }

    for (const [i] of issuers.entries()) {
      const at = minutesBefore(now, 700 * DAY_MIN - i * 3);
      const lid = mixedLegacyId(r, auditLog.collection, tenantId, i);
      yield [auditLog.collection, legacyDocument(auditLog, {
        id: idFor(auditLog.collection, lid, id('issuer_audit', i)), tenantId, createdAt: at, updatedAt: at, actorId: null, action: 'insert',
        entityType: 'IssuerDirectory.issuer', entityId: id('issuers', i), at, diff: { after: { issuerId: issuers[i]!.issuerId } },
      }, false, lid)];
    }
  }
}
