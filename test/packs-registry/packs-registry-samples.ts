import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Valid PacksRegistry entities for the contract and isolation suites. */
export const packsRegistrySamples: ModuleSamples = {
  registry_entry: {
    make: (i) => ({ name: `pub-${i % 3}/pack-${i}`, publisher: i % 2 ? `Pub-${i % 3}` : `pub-${i % 3}`, description: null, visibility: 'public', homepage: i % 2 ? 'https://packs.example.org' : null, tags: ['policy'] }),
    patch: () => ({ visibility: 'internal', description: 'now internal' }),
  },
  registry_version: {
    make: (i) => ({
      entryId: uuid(3000 + (i % 3)), version: `1.${i}.0`, state: i % 2 ? 'published' : 'draft', digest: `sha256:${String(i % 5).repeat(64)}`,
      sizeBytes: 2n ** 40n + BigInt(i), mediaType: 'application/vnd.stellaops.policy-pack.v1+tar+gzip', artifactUri: `oci://registry.example.org/packs/p@${i}`,
      signatureRef: i % 2 ? `oci://registry.example.org/packs/p.sig` : null, signatureDigest: null, signerKeyId: i % 2 ? 'sha256:abc' : null,
      releaseNotes: null, publishedAt: i % 2 ? at(i) : null, deprecatedAt: null, yankedAt: null, yankReason: null,
    }),
    // Descriptive only: the artifact of a published version is fixed, and state moves by transition.
    patch: () => ({ releaseNotes: 'Fixes rule ordering' }),
  },
  audit_log: {
    make: (i) => ({ actorId: null, action: 'insert', entityType: 'PacksRegistry.registry_entry', entityId: uuid(i), at: at(i % 2), diff: { after: { n: i } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};
