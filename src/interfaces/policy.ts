import type { Entity } from './entity-spec.js';
import { PersistenceError } from './errors.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository } from './repository.js';

/**
 * Policy: policy packs and their immutable, content-hashed versions, rules, risk profiles,
 * exceptions with expiry and evaluation runs (schema `policy`). Each repository is the generic
 * contract over its entity; ask the container for it by token. Version imports and the
 * immutability of a version's content go through `PackVersionService`
 * (src/modules/policy/pack-versions.ts), which works the same on every backend.
 *
 * @example
 * const packs = container.get<PolicyPackRepository>(PolicyTokens.pack);
 * const baseline = await packs.findOne(ctx, { name: 'baseline-containers' });
 */

/** A plain JSON value (stored as jsonb on PostgreSQL, as an embedded document on MongoDB). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface PolicyPack extends Entity {
  /** Unique per tenant, e.g. `baseline-containers`. */
  name: string;
  displayName: string | null;
  description: string | null;
  status: 'active' | 'deprecated' | 'archived';
  ownerId: string | null;
  tags: string[];
}

/**
 * One version of a pack: its content (`document`) never changes once imported; `contentHash`
 * (`sha256:<hex>` of the canonical content) is unique per tenant, so importing the same content
 * twice finds the existing version instead of creating another (docs/postgres-patterns.md §3.1).
 * Only the review fields (`status`, `reviewedBy`, `reviewedAt`) may change afterwards.
 */
export interface PackVersion extends Entity {
  packId: string;
  /** 1, 2, 3... per pack. */
  version: number;
  contentHash: string;
  schemaVersion: number;
  document: JsonValue;
  importedBy: string | null;
  importedAt: Date;
  status: 'submitted' | 'approved' | 'rejected' | 'retired';
  reviewedBy: string | null;
  reviewedAt: Date | null;
}

/** The fields of a pack version that are its content: never changed after import. */
export const PACK_VERSION_IMMUTABLE_FIELDS = Object.freeze([
  'packId',
  'version',
  'contentHash',
  'schemaVersion',
  'document',
  'importedBy',
  'importedAt',
] as const);

/** What may change on a pack version: its review. */
export type PackVersionReviewPatch = Partial<Pick<PackVersion, 'status' | 'reviewedBy' | 'reviewedAt'>>;

/** A rule of a pack version (the relational projection of the version's content). */
export interface PolicyRule extends Entity {
  packVersionId: string;
  /** Stable rule key within the version, e.g. `block-critical-kev`. */
  ruleId: string;
  name: string;
  description: string | null;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'info';
  action: 'block' | 'warn' | 'allow' | 'ignore';
  /** Lower runs first. */
  priority: number;
  enabled: boolean;
  /** The rule's condition (expression tree of the policy DSL). */
  condition: JsonValue;
  tags: string[];
}

/** A risk scoring profile, versioned: (profileId, version) is unique per tenant. */
export interface RiskProfile extends Entity {
  profileId: string;
  version: number;
  name: string;
  description: string | null;
  isDefault: boolean;
  extendsProfileId: string | null;
  /** Signal weights, e.g. `{ "cvss": 0.5, "epss": 0.3, "kev": 0.2 }`. */
  weights: JsonValue;
  /** Score bands, e.g. `{ "critical": 9, "high": 7, "medium": 4 }`. */
  thresholds: JsonValue;
}

/**
 * A policy exception (waiver). It applies from `effectiveFrom` (inclusive) to `expiresAt`
 * (exclusive) when approved and not revoked; "expired" is derived from the time, never stored.
 */
export interface PolicyException extends Entity {
  /** Human key, e.g. `EXC-2026-0042`; unique per tenant. */
  exceptionId: string;
  status: 'proposed' | 'approved' | 'rejected' | 'revoked';
  scope: 'vulnerability' | 'package' | 'image' | 'global';
  vulnerabilityId: string | null;
  purl: string | null;
  artifactDigest: string | null;
  justification: string;
  requestedBy: string | null;
  approvedBy: string | null;
  effectiveFrom: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** One evaluation of a pack version against a subject (tier B: recent runs only). */
export interface EvaluationRun extends Entity {
  packId: string;
  packVersionId: string;
  /** The content hash of the version evaluated (what was really run). */
  contentHash: string;
  /** Digest of the evaluated subject (image, SBOM). */
  subjectDigest: string;
  trigger: 'manual' | 'scheduled' | 'sbom-update' | 'advisory-update';
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  verdict: 'pass' | 'warn' | 'fail' | null;
  findingsCount: number;
  blockedCount: number;
  startedAt: Date;
  completedAt: Date | null;
  error: string | null;
  summary: JsonValue;
}

export type PolicyAuditLogEntry = AuditRecord;

export type PolicyPackRepository = EntityRepository<PolicyPack>;
export type PackVersionRepository = EntityRepository<PackVersion>;
export type PolicyRuleRepository = EntityRepository<PolicyRule>;
export type RiskProfileRepository = EntityRepository<RiskProfile>;
export type PolicyExceptionRepository = EntityRepository<PolicyException>;
export type EvaluationRunRepository = EntityRepository<EvaluationRun>;
export type PolicyAuditLogRepository = EntityRepository<PolicyAuditLogEntry & Entity>;

export const PolicyTokens = Object.freeze({
  pack: repositoryToken('Policy', 'pack'),
  pack_version: repositoryToken('Policy', 'pack_version'),
  rule: repositoryToken('Policy', 'rule'),
  risk_profile: repositoryToken('Policy', 'risk_profile'),
  exception: repositoryToken('Policy', 'exception'),
  evaluation_run: repositoryToken('Policy', 'evaluation_run'),
  audit_log: repositoryToken('Policy', 'audit_log'),
});

/**
 * The tenant that holds Policy's reference data (the default risk profiles of the seed migration
 * S001): the nil UUID, which no real tenant uses. Services read defaults from it and copy them
 * into a tenant when the tenant customises them.
 */
export const POLICY_SYSTEM_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** A change to a pack version's content was attempted: versions are immutable. */
export class ImmutableVersionError extends PersistenceError {
  constructor(
    readonly id: string,
    readonly fields: readonly string[],
  ) {
    super(`Policy.pack_version ${id} is immutable: ${fields.join(', ')} cannot be changed (import a new version instead)`);
  }
}
