import { createHash } from 'node:crypto';
import { sbomContentHash } from '../../src/modules/artifact/index.js';
import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const digest = (i: number) => `sha256:${createHash('sha256').update(`artifact-${i}`).digest('hex')}`;

function bom(i: number, specVersion = '1.5'): Record<string, unknown> {
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: i % 5 === 4 ? 'CycloneDX-Lite' : 'CycloneDX',
    specVersion,
    serialNumber: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    version: 1,
    metadata: { timestamp: '2024-01-09T12:00:00.123456Z', component: { name: `app-${i}`, purl: `pkg:npm/app-${i}@1.0.0` } },
    components: [{ type: 'library', name: 'é😀', version: '5.0', hashes: [{ alg: 'SHA-256', content: 'ab'.repeat(32) }], properties: [{ name: 'score', value: 5 }] }],
  };
}

/** Valid Artifact entities; i varies unique keys and order keys. */
export const artifactSamples: ModuleSamples = {
  artifact: {
    make: (i) => ({ digest: digest(i), kind: 'container-image', mediaType: 'application/vnd.oci.image.manifest.v1+json', repository: `registry.example.org/app-${i % 3}`, purl: i % 2 ? `pkg:oci/app@${digest(i)}` : null, sizeBytes: 2n ** 53n + BigInt(i), annotations: i % 2 ? { 'org.opencontainers.image.revision': `r${i}` } : null }),
    patch: () => ({ annotations: { patched: true }, kind: 'oci-artifact' }),
  },
  signature: {
    make: (i) => ({ artifactDigest: digest(i % 4), keyId: `key-${i}`, algorithm: 'ed25519', signature: Buffer.from([0, 1, 2, 255, i]), payloadType: 'application/vnd.dsse.envelope.v1+json', issuer: null, signedAt: at(i % 3), verifiedAt: null }),
    patch: (i) => ({ verifiedAt: at(i + 1), issuer: 'https://accounts.example.org' }),
  },
  tag: {
    make: (i) => ({ repository: `registry.example.org/app-${i % 3}`, name: `v${i}`, artifactDigest: digest(i % 2) }),
    patch: (i) => ({ artifactDigest: digest(i + 100) }),
  },
  sbom_document: {
    make: (i) => ({ artifactPurl: `pkg:npm/app-${i % 3}@1.0.0`, contentHash: sbomContentHash(bom(i)), doc: bom(i) }),
    patch: (i) => ({ artifactPurl: `pkg:npm/renamed-${i}@2.0.0` }),
  },
};
