import type { Document } from 'bson';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import type { JsonValue } from '../../interfaces/policy.js';
import { DemoRandom, demoId, idFor, legacyDocument, minutesBefore, mixedLegacyId } from '../shared/demo-random.js';
import { auditLog, evaluationRun, exception, pack, packVersion, riskProfile, rule, EVALUATION_RUN_WINDOW_DAYS } from './entities.js';
import { packContentHash } from './pack-versions.js';

const DAY_MIN = 24 * 60;
// Byte order differs from dictionary order on purpose: the lists sort by bytes (COLLATE "C").
const PACK_NAMES = ['baseline-containers', 'Baseline-Legacy', 'pci-dss', 'kev-blocker', 'sbom-hygiene', 'éxport-controls', 'zero-critical', 'license-allowlist'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
const ACTIONS = ['block', 'warn', 'allow', 'ignore'] as const;
const PROFILES = ['default', 'strict', 'lenient', 'internet-facing'];

/**
 * Generated legacy Policy documents: per tenant, about `count` documents in each collection, with
 * consistent references (versions -> packs, rules -> versions, runs -> versions), content hashes
 * computed as `PackVersionService` does, and evaluation runs spread over twice the tier-B window
 * (one exactly on its boundary) so conversion keeps about half of them.
 */
export function* policyDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const { seed, now } = options;
  const count = Math.max(1, options.count);
  for (const tenantId of options.tenants) {
    const r = new DemoRandom(seed, 'Policy', tenantId);
    const id = (collection: string, i: number | string) => demoId('Policy', collection, tenantId, seed, i);
    const stamp = (minutesAgo: number) => {
      const at = minutesBefore(now, minutesAgo);
      return { createdAt: at, updatedAt: at };
    };

    const packCount = Math.min(PACK_NAMES.length, Math.max(1, Math.ceil(count / 3)));
    const packIds: string[] = [];
    for (let i = 0; i < packCount; i++) {
      const packId = id('policy_packs', i);
      packIds.push(packId);
      yield [pack.collection, legacyDocument(pack, {
        id: packId, tenantId, ...stamp(400 * DAY_MIN - i * 7),
        name: PACK_NAMES[i]!, displayName: i % 3 === 2 ? null : `Pack ${PACK_NAMES[i]}`,
        description: r.bool(0.7) ? `Demo policy pack ${i}` : null,
        status: i === packCount - 1 && packCount > 2 ? 'deprecated' : 'active',
        ownerId: r.bool() ? id('owners', i % 2) : null, tags: r.bool() ? ['demo', `team-${i % 3}`] : [],
      }, i % 2 === 1)];
    }

    const versions: { id: string; packId: string; contentHash: string }[] = [];
    for (let i = 0; i < count; i++) {
      const packIdx = i % packCount;
      const packId = packIds[packIdx]!;
      const version = Math.floor(i / packCount) + 1;
      const document: JsonValue = {
        apiVersion: 'policy.stellaops.io/v1',
        kind: 'PolicyPack',
        metadata: { name: PACK_NAMES[packIdx]!, revision: version },
        spec: { defaultAction: r.pick(['warn', 'block']), rules: [{ id: `r-${i}`, when: { severity: { gte: r.pick(SEVERITIES) } } }] },
      };
      const contentHash = packContentHash(packId, 1, document);
      const vid = id('policy_pack_versions', i);
      versions.push({ id: vid, packId, contentHash });
      const importedAt = minutesBefore(now, 300 * DAY_MIN - i * 97);
      const reviewed = r.bool(0.6);
      yield [packVersion.collection, legacyDocument(packVersion, {
        id: vid, tenantId, createdAt: importedAt, updatedAt: reviewed ? new Date(importedAt.getTime() + 3_600_000) : importedAt,
        packId, version, contentHash, schemaVersion: 1, document,
        importedBy: r.bool() ? id('users', i % 3) : null, importedAt,
        status: reviewed ? r.pick(['approved', 'rejected', 'retired'] as const) : 'submitted',
        reviewedBy: reviewed ? id('users', 10 + (i % 2)) : null,
        reviewedAt: reviewed ? new Date(importedAt.getTime() + 3_600_000) : null,
      }, i % 3 === 0)];
    }

    for (let i = 0; i < count; i++) {
      const v = versions[i % versions.length]!;
      const lid = mixedLegacyId(r, rule.collection, tenantId, i);
      yield [rule.collection, legacyDocument(rule, {
        id: idFor(rule.collection, lid, id('policy_rules', i)), tenantId, ...stamp(200 * DAY_MIN - i * 13),
        packVersionId: v.id, ruleId: `${r.pick(['block', 'warn', 'Allow'])}-${String(i).padStart(3, '0')}`,
        name: `Rule ${i}`, description: r.bool() ? 'Generated demo rule' : null,
        severity: r.pick(SEVERITIES), action: r.pick(ACTIONS),
        priority: i % 4, // ties on purpose: the order breaks them by ruleId, then id
        enabled: r.bool(0.8),
        condition: { all: [{ field: 'vulnerability.severity', op: 'gte', value: r.pick(SEVERITIES) }, { field: 'kev', op: 'eq', value: r.bool() }] },
        tags: r.bool() ? ['demo'] : [],
      }, i % 2 === 0, lid)];
    }

    for (let i = 0; i < count; i++) {
      const profileId = PROFILES[i % PROFILES.length]!;
      const version = Math.floor(i / PROFILES.length) + 1;
      const lid = mixedLegacyId(r, riskProfile.collection, tenantId, i);
      yield [riskProfile.collection, legacyDocument(riskProfile, {
        id: idFor(riskProfile.collection, lid, id('policy_risk_profiles', i)), tenantId, ...stamp(150 * DAY_MIN - i * 11),
        profileId, version, name: `${profileId} v${version}`, description: r.bool() ? 'Demo risk profile' : null,
        isDefault: profileId === 'default' && version === 1,
        extendsProfileId: profileId === 'default' ? null : 'default',
        weights: { cvss: 0.5, epss: Number((r.next() * 0.4).toFixed(3)), kev: 0.2, reachability: 0.1 },
        thresholds: { critical: 9, high: 7, medium: 4, low: 0.1 },
      }, false, lid)];
    }

    for (let i = 0; i < count; i++) {
      const status = r.pick(['proposed', 'approved', 'approved', 'rejected', 'revoked'] as const);
      const effectiveFrom = minutesBefore(now, r.int(1, 60) * DAY_MIN);
      const expiresAt = minutesBefore(now, -r.int(-30, 90) * DAY_MIN); // some already expired
      const scope = r.pick(['vulnerability', 'package', 'image', 'global'] as const);
      const lid = mixedLegacyId(r, exception.collection, tenantId, i);
      yield [exception.collection, legacyDocument(exception, {
        id: idFor(exception.collection, lid, id('policy_exceptions', i)), tenantId, ...stamp(70 * DAY_MIN - i * 17),
        exceptionId: `EXC-${now.getUTCFullYear()}-${String(i + 1).padStart(4, '0')}`, status, scope,
        vulnerabilityId: scope === 'vulnerability' ? `CVE-2025-${1000 + (i % 7)}` : null,
        purl: scope === 'package' ? `pkg:npm/lodash@4.17.${i % 21}` : null,
        artifactDigest: scope === 'image' ? `sha256:${r.hex(64)}` : null,
        justification: 'Compensating control: not reachable from the network',
        requestedBy: id('users', i % 3), approvedBy: status === 'approved' ? id('users', 10) : null,
        effectiveFrom, expiresAt, revokedAt: status === 'revoked' ? minutesBefore(now, DAY_MIN) : null,
      }, i % 4 === 1, lid)];
    }

    for (let i = 0; i < count; i++) {
      const v = versions[i % versions.length]!;
      // Spread over twice the tier-B window; the first run sits exactly on the window's edge.
      const startedAt = i === 0 ? minutesBefore(now, EVALUATION_RUN_WINDOW_DAYS * DAY_MIN) : minutesBefore(now, r.int(0, 2 * EVALUATION_RUN_WINDOW_DAYS * DAY_MIN));
      const status = r.pick(['succeeded', 'succeeded', 'failed', 'running', 'queued', 'cancelled'] as const);
      const done = status === 'succeeded' || status === 'failed' || status === 'cancelled';
      const findings = r.int(0, 40);
      const lid = mixedLegacyId(r, evaluationRun.collection, tenantId, i);
      yield [evaluationRun.collection, legacyDocument(evaluationRun, {
        id: idFor(evaluationRun.collection, lid, id('policy_evaluation_runs', i)), tenantId, createdAt: startedAt, updatedAt: done ? new Date(startedAt.getTime() + 5_000 + i) : startedAt,
        packId: v.packId, packVersionId: v.id, contentHash: v.contentHash,
        subjectDigest: `sha256:${r.hex(64)}`, trigger: r.pick(['manual', 'scheduled', 'sbom-update', 'advisory-update'] as const),
        status, verdict: status === 'succeeded' ? r.pick(['pass', 'warn', 'fail'] as const) : null,
        findingsCount: findings, blockedCount: Math.min(findings, r.int(0, 5)), startedAt,
        completedAt: done ? new Date(startedAt.getTime() + 5_000 + i) : null,
        error: status === 'failed' ? 'evaluation timed out after 300s' : null,
        summary: { rulesEvaluated: r.int(1, 50), bySeverity: { critical: r.int(0, 3), high: r.int(0, 10) } },
      }, i % 5 === 2, lid)];
    }

    for (let i = 0; i < Math.max(1, Math.floor(count / 2)); i++) {
      const at = minutesBefore(now, 400 * DAY_MIN - i * 7);
      const lid = mixedLegacyId(r, auditLog.collection, tenantId, i);
      yield [auditLog.collection, legacyDocument(auditLog, {
        id: idFor(auditLog.collection, lid, id('policy_audit', i)), tenantId, createdAt: at, updatedAt: at,
        actorId: r.bool() ? id('users', i % 3) : null, action: 'insert', entityType: 'Policy.pack',
        entityId: packIds[i % packIds.length]!, at, diff: { after: { name: PACK_NAMES[i % packIds.length]! } },
      }, false, lid)];
    }
  }
}
