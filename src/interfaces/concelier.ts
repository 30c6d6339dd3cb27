import type { Entity } from './entity-spec.js';
import { repositoryToken } from './module-definition.js';
import type { EntityRepository } from './repository.js';

/**
 * Concelier: vulnerability advisories and where they came from (schema `vuln`). Each repository is
 * the generic contract over its entity; ask the container for it by token. Import and lookups that
 * span entities (idempotent import by content hash, alias resolution, by package, modified since)
 * are in `src/modules/concelier/` (AdvisoryImporter, AdvisoryLookup), built on these repositories.
 *
 * @example
 * const advisories = container.get<AdvisoryRepository>(ConcelierTokens.advisory);
 * const adv = await advisories.findOne(ctx, { sourceKey: 'go-vulndb', advisoryKey: 'GO-2024-2963' });
 */

export const SOURCE_KINDS = ['osv', 'ghsa', 'nvd', 'vendor', 'distro', 'csaf', 'mirror'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Concelier's job states (Scheduler's are JOB_STATUSES, in scheduler.ts). */
export const CONCELIER_JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'dead'] as const;
export type JobStatus = (typeof CONCELIER_JOB_STATUSES)[number];

/** A plain JSON value (kept as jsonb; compared in canonical form). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An advisory feed Concelier pulls from (`key` is the stable name, e.g. `go-vulndb`). */
export interface Source extends Entity {
  key: string;
  displayName: string;
  kind: SourceKind;
  baseUrl: string | null;
  enabled: boolean;
  /** Lower wins when two sources publish the same advisory. */
  priority: number;
}

/** A connector's resumable state for one source. */
export interface SourceState extends Entity {
  sourceKey: string;
  /** Connector-specific cursor (last page token, ETag...), kept as JSON. */
  cursor: JsonValue | null;
  lastFetchAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  failureCount: number;
  backoffUntil: Date | null;
}

/**
 * One advisory as its source publishes it. `payload` is the document (OSV JSON) kept whole and
 * exact (jsonb; compared in RFC 8785 canonical form). Everything else is derived from it and can
 * never disagree with it:
 * - `contentHash`: sha256 (hex) of the canonical payload; what makes re-imports no-ops;
 * - `publishedAt`, `modifiedAt`, `withdrawnAt`: the payload's RFC 3339 times truncated to the
 *   millisecond, for indexing and ordering only (the exact text, micro/nanoseconds included, stays
 *   in the payload);
 * - `aliases`, `ecosystems`, `severity`, `severityScore`: generated columns in PostgreSQL, computed
 *   by the same rules in TypeScript for MongoDB.
 */
export interface Advisory extends Entity {
  sourceKey: string;
  advisoryKey: string;
  payload: { [key: string]: JsonValue };
  contentHash: string;
  publishedAt: Date | null;
  modifiedAt: Date;
  withdrawnAt: Date | null;
  readonly aliases: string[];
  readonly ecosystems: string[];
  readonly severity: string | null;
  readonly severityScore: string | null;
}

/**
 * One identifier of an advisory: its own key (`isPrimary`) or one of its aliases. Together the rows
 * are the CVE <-> GHSA <-> GO-... <-> RUSTSEC-... lookup table.
 */
export interface Alias extends Entity {
  sourceKey: string;
  advisoryKey: string;
  alias: string;
  /** The identifier's scheme: the text before its first `-` (`CVE`, `GHSA`, `GO`, `RUSTSEC`...). */
  scheme: string;
  isPrimary: boolean;
}

/** One `affected[]` entry of an advisory: the package and its version ranges (OSV `ranges`, exact). */
export interface Affected extends Entity {
  sourceKey: string;
  advisoryKey: string;
  /** Position in the payload's `affected` array. */
  ordinal: number;
  ecosystem: string | null;
  packageName: string | null;
  purl: string | null;
  ranges: JsonValue[] | null;
  versions: string[] | null;
}

/**
 * A reference to a raw upstream document in object storage (the bytes stay there): tier B, see
 * the entity declaration for the window.
 */
export interface AdvisoryRaw extends Entity {
  sourceKey: string;
  uri: string;
  storageKey: string;
  /** `sha256:<64 hex>` of the stored bytes. */
  digest: string;
  sizeBytes: bigint;
  mediaType: string;
  advisoryKey: string | null;
  fetchedAt: Date;
  /** Set when a newer raw document of the same advisory arrived. */
  supersededAt: Date | null;
}

/** A connector job (tier C: fresh start). */
export interface ConcelierJob extends Entity {
  jobKey: string;
  kind: string;
  sourceKey: string | null;
  status: JobStatus;
  payload: JsonValue;
  runAfter: Date;
  attempts: number;
  lockedBy: string | null;
  lockedAt: Date | null;
  lastError: string | null;
}

/** A named lease (tier C: fresh start). */
export interface ConcelierLock extends Entity {
  name: string;
  holder: string;
  acquiredAt: Date;
  expiresAt: Date;
}

export type SourceRepository = EntityRepository<Source>;
export type SourceStateRepository = EntityRepository<SourceState>;
export type AdvisoryRepository = EntityRepository<Advisory>;
export type AliasRepository = EntityRepository<Alias>;
export type AffectedRepository = EntityRepository<Affected>;
export type AdvisoryRawRepository = EntityRepository<AdvisoryRaw>;
export type ConcelierJobRepository = EntityRepository<ConcelierJob>;
export type ConcelierLockRepository = EntityRepository<ConcelierLock>;

export const ConcelierTokens = Object.freeze({
  source: repositoryToken('Concelier', 'source'),
  source_state: repositoryToken('Concelier', 'source_state'),
  advisory: repositoryToken('Concelier', 'advisory'),
  alias: repositoryToken('Concelier', 'alias'),
  affected: repositoryToken('Concelier', 'affected'),
  advisory_raw: repositoryToken('Concelier', 'advisory_raw'),
  job: repositoryToken('Concelier', 'job'),
  lock: repositoryToken('Concelier', 'lock'),
});
