import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const PEM = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';

/** Valid IssuerDirectory entities for the contract and isolation suites. */
export const issuerDirectorySamples: ModuleSamples = {
  issuer: {
    make: (i) => ({
      issuerId: `issuer-${i}`, displayName: `Issuer ${i % 4}${i % 2 ? ' É' : ''}`, category: 'vendor', namespaceUri: `https://issuer${i}.example.org`,
      contactEmail: null, providerMetadataUrl: i % 2 ? `https://issuer${i}.example.org/.well-known/csaf/provider-metadata.json` : null,
      formats: ['csaf', 'openvex'], defaultWeight: 0.5 + i / 100, enabled: true,
    }),
    patch: () => ({ enabled: false, defaultWeight: 0.25 }),
  },
  issuer_key: {
    make: (i) => ({
      issuerId: `issuer-${i % 3}`, keyId: `k-${i}`, fingerprint: `sha256:${i.toString(16).padStart(64, 'f')}`, keyType: 'ed25519', publicKey: PEM,
      validFrom: at(i % 4), validTo: i % 2 ? at(1000 + i) : null, revokedAt: null, revocationReason: null,
    }),
    patch: (i) => ({ revokedAt: at(i + 1), revocationReason: 'superseded' }),
  },
  trust_override: {
    make: (i) => ({ issuerId: `issuer-${i}`, trust: 'trusted', weight: 0.75, reason: i % 2 ? 'vendor of our base images' : null, setBy: uuid(5), expiresAt: i % 2 ? at(500) : null }),
    patch: () => ({ trust: 'untrusted', weight: 0 }),
  },
  audit_log: {
    make: (i) => ({ actorId: uuid(1), action: 'update', entityType: 'IssuerDirectory.issuer', entityId: uuid(i), at: at(i % 2), diff: { changed: { enabled: { from: true, to: false } } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};
