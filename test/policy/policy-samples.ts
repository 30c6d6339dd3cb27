import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const hash = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

/** Valid Policy entities for the contract and isolation suites; i varies unique and order keys. */
export const policySamples: ModuleSamples = {
  pack: {
    make: (i) => ({ name: `pack-${i}-é`, displayName: i % 2 ? `Pack ${i}` : null, description: null, status: 'active', ownerId: i % 3 ? uuid(i) : null, tags: i % 2 ? ['pci', 'Prod'] : [] }),
    patch: () => ({ status: 'deprecated', description: 'superseded by pack-2' }),
  },
  pack_version: {
    make: (i) => ({
      packId: uuid(1000 + (i % 3)), version: i, contentHash: hash(i), schemaVersion: 1,
      document: { apiVersion: 'policy.stellaops.io/v1', rules: [{ id: `r${i}`, when: { severity: { gte: 'high' } }, weight: 2.5 }], 'a.b': { $c: 'é' } },
      importedBy: i % 2 ? uuid(7) : null, importedAt: at(i % 4), status: 'submitted', reviewedBy: null, reviewedAt: null,
    }),
    // Review fields only: the content of a version never changes.
    patch: (i) => ({ status: 'approved', reviewedBy: uuid(9), reviewedAt: at(i + 1) }),
  },
  rule: {
    make: (i) => ({
      packVersionId: uuid(2000 + (i % 2)), ruleId: `${i % 2 ? 'Block' : 'warn'}-${i}`, name: `Rule ${i}`, description: null,
      severity: 'high', action: i % 2 ? 'block' : 'warn', priority: i % 3, enabled: true,
      condition: { all: [{ field: 'kev', op: 'eq', value: true }, { field: 'cvss', op: 'gte', value: 7.5 }] }, tags: ['kev'],
    }),
    patch: () => ({ enabled: false, action: 'ignore' }),
  },
  risk_profile: {
    make: (i) => ({
      profileId: `profile-${i % 3}`, version: i, name: `Profile ${i}`, description: i % 2 ? 'custom' : null, isDefault: false,
      extendsProfileId: i % 2 ? 'default' : null, weights: { cvss: 0.5, epss: 0.25, kev: 0.25 }, thresholds: { critical: 9, high: 7 },
    }),
    patch: () => ({ thresholds: { critical: 8.5, high: 6.5, medium: 4 }, isDefault: true }),
  },
  exception: {
    make: (i) => ({
      exceptionId: `EXC-2026-${String(i).padStart(4, '0')}`, status: 'approved', scope: 'vulnerability',
      vulnerabilityId: `CVE-2025-${1000 + i}`, purl: null, artifactDigest: null, justification: 'not reachable',
      requestedBy: uuid(3), approvedBy: uuid(4), effectiveFrom: at(0), expiresAt: at(100 + (i % 4)), revokedAt: null,
    }),
    patch: (i) => ({ status: 'revoked', revokedAt: at(i + 2) }),
  },
  evaluation_run: {
    make: (i) => ({
      packId: uuid(1000), packVersionId: uuid(2000 + (i % 2)), contentHash: hash(i), subjectDigest: `sha256:${String(i % 3).repeat(64)}`,
      trigger: 'scheduled', status: 'running', verdict: null, findingsCount: 0, blockedCount: 0, startedAt: at(i % 4),
      completedAt: null, error: null, summary: { rulesEvaluated: i },
    }),
    patch: (i) => ({ status: 'succeeded', verdict: 'fail', findingsCount: 12, blockedCount: 2, completedAt: at(i + 1), summary: { rulesEvaluated: i, blocked: ['r1'] } }),
  },
  audit_log: {
    make: (i) => ({ actorId: null, action: 'insert', entityType: 'Policy.pack', entityId: uuid(i), at: at(i % 2), diff: { after: { n: i, nested: { $schema: 'x', 'a.b': [1, 2.5, 'é'] } } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};
