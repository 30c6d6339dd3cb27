import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { EvaluationRun, PackVersion, PolicyException, PolicyPack, PolicyRule, RiskProfile } from '../../interfaces/policy.js';
import { PACK_VERSION_IMMUTABLE_FIELDS } from '../../interfaces/policy.js';
import { auditLogSpec } from '../shared/audit-log.js';

/**
 * Policy's entities: legacy collections of `stellaops_policy` -> `policy.*` tables.
 * Legacy documents are camelCase with a string `tenantId`, BSON Dates and UUID references as
 * lowercase strings; field names below are both the domain and the legacy names.
 */
const base = { module: 'Policy', schema: 'policy' } as const;
const DAY = 86_400_000;

/** Evaluation runs older than this many days (by `startedAt`) are not converted (tier B). */
export const EVALUATION_RUN_WINDOW_DAYS = 30;

export const auditLog = auditLogSpec('Policy', 'policy_audit', 'policy');

export const pack: EntitySpec<PolicyPack> = {
  ...base,
  name: 'pack',
  collection: 'policy_packs',
  table: 'pack',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'displayName', type: 'text', nullable: true },
    { name: 'description', type: 'text', nullable: true },
    { name: 'status', type: 'text', enum: ['active', 'deprecated', 'archived'] },
    { name: 'ownerId', type: 'uuid', nullable: true },
    { name: 'tags', type: 'text[]' },
  ],
  uniqueKeys: [['name']],
  orders: {
    default: { fields: [{ field: 'name', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

/** Source-of-truth table (docs/postgres-patterns.md §3.1): content-hashed, unique per tenant, content immutable. */
export const packVersion: EntitySpec<PackVersion> = {
  ...base,
  name: 'pack_version',
  collection: 'policy_pack_versions',
  table: 'pack_version',
  // Content-addressed: the content never changes (a new version is imported instead).
  immutable: PACK_VERSION_IMMUTABLE_FIELDS,
  fields: [
    { name: 'packId', type: 'uuid' },
    { name: 'version', type: 'int' },
    { name: 'contentHash', type: 'text' },
    { name: 'schemaVersion', type: 'int' },
    { name: 'document', type: 'json' },
    { name: 'importedBy', type: 'uuid', nullable: true },
    { name: 'importedAt', type: 'timestamp' },
    { name: 'status', type: 'text', enum: ['submitted', 'approved', 'rejected', 'retired'] },
    { name: 'reviewedBy', type: 'uuid', nullable: true },
    { name: 'reviewedAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['contentHash'], ['packId', 'version']],
  orders: {
    default: { fields: [{ field: 'packId', dir: 'asc' }, { field: 'version', dir: 'desc' }] },
    newest: { fields: [{ field: 'importedAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const rule: EntitySpec<PolicyRule> = {
  ...base,
  name: 'rule',
  collection: 'policy_rules',
  table: 'rule',
  fields: [
    { name: 'packVersionId', type: 'uuid' },
    { name: 'ruleId', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'severity', type: 'text', enum: ['critical', 'high', 'medium', 'low', 'info'] },
    { name: 'action', type: 'text', enum: ['block', 'warn', 'allow', 'ignore'] },
    { name: 'priority', type: 'int' },
    { name: 'enabled', type: 'bool' },
    { name: 'condition', type: 'json' },
    { name: 'tags', type: 'text[]' },
  ],
  uniqueKeys: [['packVersionId', 'ruleId']],
  orders: {
    // Evaluation order within a version: priority, then the rule key.
    default: { fields: [{ field: 'packVersionId', dir: 'asc' }, { field: 'priority', dir: 'asc' }, { field: 'ruleId', dir: 'asc' }] },
    byRuleId: { fields: [{ field: 'ruleId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const riskProfile: EntitySpec<RiskProfile> = {
  ...base,
  name: 'risk_profile',
  collection: 'policy_risk_profiles',
  table: 'risk_profile',
  fields: [
    { name: 'profileId', type: 'text' },
    { name: 'version', type: 'int' },
    { name: 'name', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'isDefault', type: 'bool' },
    { name: 'extendsProfileId', type: 'text', nullable: true },
    { name: 'weights', type: 'json' },
    { name: 'thresholds', type: 'json' },
  ],
  uniqueKeys: [['profileId', 'version']],
  orders: {
    default: { fields: [{ field: 'profileId', dir: 'asc' }, { field: 'version', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const exception: EntitySpec<PolicyException> = {
  ...base,
  name: 'exception',
  collection: 'policy_exceptions',
  table: 'exception',
  fields: [
    { name: 'exceptionId', type: 'text' },
    { name: 'status', type: 'text', enum: ['proposed', 'approved', 'rejected', 'revoked'] },
    { name: 'scope', type: 'text', enum: ['vulnerability', 'package', 'image', 'global'] },
    { name: 'vulnerabilityId', type: 'text', nullable: true },
    { name: 'purl', type: 'text', nullable: true },
    { name: 'artifactDigest', type: 'text', nullable: true },
    { name: 'justification', type: 'text' },
    { name: 'requestedBy', type: 'uuid', nullable: true },
    { name: 'approvedBy', type: 'uuid', nullable: true },
    { name: 'effectiveFrom', type: 'timestamp' },
    { name: 'expiresAt', type: 'timestamp' },
    { name: 'revokedAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['exceptionId']],
  orders: {
    default: { fields: [{ field: 'expiresAt', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

/** Evaluation history, not policy state: no audit rows; tier B keeps the recent window. */
export const evaluationRun: EntitySpec<EvaluationRun> = {
  ...base,
  name: 'evaluation_run',
  collection: 'policy_evaluation_runs',
  table: 'evaluation_run',
  fields: [
    { name: 'packId', type: 'uuid' },
    { name: 'packVersionId', type: 'uuid' },
    { name: 'contentHash', type: 'text' },
    { name: 'subjectDigest', type: 'text' },
    { name: 'trigger', type: 'text', enum: ['manual', 'scheduled', 'sbom-update', 'advisory-update'] },
    { name: 'status', type: 'text', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
    { name: 'verdict', type: 'text', nullable: true, enum: ['pass', 'warn', 'fail'] },
    { name: 'findingsCount', type: 'int' },
    { name: 'blockedCount', type: 'int' },
    { name: 'startedAt', type: 'timestamp' },
    { name: 'completedAt', type: 'timestamp', nullable: true },
    { name: 'error', type: 'text', nullable: true },
    { name: 'summary', type: 'json' },
  ],
  orders: {
    default: { fields: [{ field: 'startedAt', dir: 'desc' }] },
    bySubject: { fields: [{ field: 'subjectDigest', dir: 'asc' }, { field: 'startedAt', dir: 'desc' }] },
    byPackVersion: { fields: [{ field: 'packVersionId', dir: 'asc' }, { field: 'startedAt', dir: 'desc' }] },
  },
  tier: {
    tier: 'B',
    description: `runs started in the last ${EVALUATION_RUN_WINDOW_DAYS} days: startedAt >= now - ${EVALUATION_RUN_WINDOW_DAYS} days (inclusive)`,
    keep: (r, now) => (r.startedAt as Date).getTime() >= now.getTime() - EVALUATION_RUN_WINDOW_DAYS * DAY,
  },
};

export const policyEntities: readonly EntitySpec[] = [pack, packVersion, rule, riskProfile, exception, evaluationRun, auditLog];
