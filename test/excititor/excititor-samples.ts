import { factContentHash } from '../../src/modules/excititor/vuln-fact-rules.js';
import type { ModuleSamples } from '../contract/repository-contract.js';

/** Times inside the current UTC month: timeline partitions exist for it on a fresh database. */
const monthStart = (() => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
})();
export const at = (i: number) => new Date(monthStart + i * 3_600_123);
export const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const digest = (i: number) => `sha256:${String(i).padStart(64, '0')}`;

/**
 * Valid Excititor entities for the generic contract; i varies unique keys and order keys. Text keys
 * mix cases and non-ASCII so byte order (COLLATE "C") is exercised. The bitemporal `unknown` and
 * the immutable `vuln_fact` have their own suites (the contract's update test does not apply).
 */
export const excititorSamples: ModuleSamples = {
  statement: {
    make: (i) => ({ providerId: i % 2 ? 'redhat' : 'Ubuntu', format: 'csaf', documentDigest: digest(i), vulnerabilityId: `CVE-2024-${1000 + (i % 3)}`, productKey: i % 4 ? `pkg:npm/lib-${i}` : `pkg:npm/Émoji-${i}`, status: 'affected', justification: null, detail: i % 2 ? 'détail 🛡️' : null, issued: '2023-12-04T21:55:19.945015302-06:00', firstSeenAt: at(i % 5) }),
    patch: () => ({ status: 'fixed', detail: 'fixed in 1.2.3' }),
  },
  observation: {
    make: (i) => ({ observationId: `obs-${i}`, providerId: `prov-${i % 2}`, streamId: `RHSA-${i % 3}`, format: 'openvex', documentDigest: digest(i), documentVersion: i % 2 ? '1' : null, vulnerabilityIds: [`CVE-${i}`], productKeys: [`pkg:a/${i}`, `pkg:B/${i}`], statementCount: i, observedAt: at(i % 4) }),
    patch: () => ({ statementCount: 99, productKeys: [] }),
  },
  linkset: {
    make: (i) => ({ linksetId: `ls-${i}`, vulnerabilityId: `CVE-2024-${i % 3}`, productKey: `pkg:npm/p${i}`, providerIds: ['a', 'b'], observationIds: [`obs-${i}`], conflicts: i % 2 ? [] : [{ providerId: 'a', status: 'affected', '@context': 'x', $schema: 'y' }] }),
    patch: () => ({ conflicts: [{ providerId: 'b', status: 'fixed' }] }),
  },
  consensus: {
    make: (i) => ({ vulnerabilityId: `CVE-2024-${i % 3}`, productKey: `pkg:npm/q${i}`, status: 'not_affected', sources: [{ providerId: 'a', weight: 0.5 }, { providerId: 'b', weight: 1 }], policyRevisionId: i % 2 ? `rev-${i}` : null, calculatedAt: at(i % 3) }),
    patch: () => ({ status: 'under_investigation' }),
  },
  raw_document: {
    make: (i) => ({ digest: digest(i), providerId: `prov-${i % 3}`, format: 'cyclonedx', sourceUri: null, content: { bomFormat: 'CycloneDX', specVersion: '1.4', n: i, score: 5.5, nested: { '$ref': 'x', 'a.b': ['é', '😀'] } }, retrievedAt: at(i % 4), processedAt: i % 2 ? at(i) : null }),
    patch: (i) => ({ processedAt: at(i + 1) }),
  },
  cache_entry: {
    make: (i) => ({ cacheKey: `key-${i}`, payload: { hits: i }, expiresAt: at(i % 3) }),
    patch: () => ({ payload: { hits: 0 } }),
  },
  package: {
    make: (i) => ({ purl: i % 3 ? `pkg:npm/lib-${i}@1.0.${i}` : `pkg:npm/Zeta-${i}@1.0.0`, name: `lib-${i}`, ecosystem: i % 2 ? 'npm' : 'pypi', version: i % 2 ? `1.0.${i}` : null }),
    patch: () => ({ version: '9.9.9' }),
  },
  vex_decision: {
    make: (i) => ({ packageId: uuid(i), vulnId: `CVE-2024-${i % 3}`, status: 'under_investigation', rationale: null, proofRef: null, decidedBy: i % 2 ? uuid(900 + i) : null, decidedAt: at(i % 4) }),
    patch: () => ({ status: 'not_affected', rationale: 'code not reachable', proofRef: 'https://evidence.example.org/1' }),
  },
  timeline_event: {
    make: (i) => ({ packageId: uuid(i % 3), vulnId: `CVE-2024-${i % 2}`, eventType: 'comment', decisionId: null, actorId: i % 2 ? uuid(i) : null, detail: { text: `note ${i}` }, occurredAt: at(i % 5) }),
    patch: () => ({ detail: { text: 'edited' } }),
  },
  audit_log: {
    make: (i) => ({ actorId: null, action: 'insert', entityType: 'Excititor.vex_decision', entityId: uuid(i), at: at(i % 2), diff: { after: { n: i } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};

/** Immutable facts (no update in the contract applies: see vuln-fact.test.ts). */
export const vulnFactSample = {
  make: (i: number) => {
    const payload = { '@context': 'https://openvex.dev/ns/v0.2.0', '@id': `https://vex.example.org/${i}`, statements: [{ vulnerability: { name: `CVE-2024-${i}` }, status: 'fixed' }] };
    return { source: 'openvex', externalId: `https://vex.example.org/${i}`, payload, schemaVersion: 1, receivedAt: at(i % 3), contentHash: factContentHash(payload) };
  },
  patch: () => ({}),
};
