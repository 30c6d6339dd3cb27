import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { Advisory, AdvisoryRaw, Affected, Alias, ConcelierJob, ConcelierLock, Source, SourceState } from '../../interfaces/concelier.js';
import { CONCELIER_JOB_STATUSES, SOURCE_KINDS } from '../../interfaces/concelier.js';
import { ValidationError } from '../../interfaces/errors.js';
import { deriveAdvisory } from './advisory-derive.js';

/**
 * Concelier's entities: legacy collections (docs/design.md §2, Concelier) -> `vuln.*` tables.
 * Legacy documents are camelCase with a string `tenantId` and BSON Dates; field names below are both
 * the domain and the legacy names unless `mongo` says otherwise.
 *
 * Every list order ends on a natural key, so MongoDB (ties broken by the legacy `_id`) and
 * PostgreSQL (ties broken by the UUIDv5 id) never disagree on an order: those two do not sort alike.
 *
 * Legacy collection names are the plan's, except the tier-C `jobs` and `locks`: every module shares
 * one legacy database here and Scheduler owns `locks`, so Concelier's are `concelier.jobs` and
 * `concelier.locks` (the plan's `vex.*` style).
 */
const base = { module: 'Concelier', schema: 'vuln' } as const;
const DAY = 86_400_000;

/** How long superseded raw-document references are kept by conversion (tier B). */
export const RAW_WINDOW_DAYS = 90;

export const source: EntitySpec<Source> = {
  ...base,
  name: 'source',
  collection: 'source',
  table: 'source',
  fields: [
    { name: 'key', type: 'text' },
    { name: 'displayName', type: 'text' },
    { name: 'kind', type: 'text', enum: SOURCE_KINDS },
    { name: 'baseUrl', type: 'text', nullable: true },
    { name: 'enabled', type: 'bool' },
    { name: 'priority', type: 'int' },
  ],
  uniqueKeys: [['key']],
  orders: {
    default: { fields: [{ field: 'key', dir: 'asc' }] },
    byPriority: { fields: [{ field: 'priority', dir: 'asc' }, { field: 'key', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

export const sourceState: EntitySpec<SourceState> = {
  ...base,
  name: 'source_state',
  collection: 'source_state',
  table: 'source_state',
  fields: [
    { name: 'sourceKey', type: 'text' },
    { name: 'cursor', type: 'json', nullable: true },
    { name: 'lastFetchAt', type: 'timestamp', nullable: true },
    { name: 'lastSuccessAt', type: 'timestamp', nullable: true },
    { name: 'lastError', type: 'text', nullable: true },
    { name: 'failureCount', type: 'int' },
    { name: 'backoffUntil', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['sourceKey']],
  orders: { default: { fields: [{ field: 'sourceKey', dir: 'asc' }] } },
  tier: { tier: 'A' },
};

/**
 * The advisory: the OSV payload whole (jsonb) plus hot fields derived from it (see advisory-derive.ts):
 * - generated columns (PostgreSQL computes them; MongoDB reads the same path, or derive computes
 *   them on decode): aliases, ecosystems, severity, severityScore;
 * - plain columns filled by derive: contentHash (RFC 8785 cannot be computed in SQL) and the
 *   timestamps (millisecond Dates, stored as BSON Dates in the legacy documents too so MongoDB can
 *   range over them; truncated to the millisecond for indexing only, the exact text is in the payload).
 */
export const advisory: EntitySpec<Advisory> = {
  ...base,
  name: 'advisory',
  collection: 'advisory',
  table: 'advisory',
  fields: [
    { name: 'sourceKey', type: 'text' },
    { name: 'advisoryKey', type: 'text' },
    { name: 'payload', type: 'json' },
    { name: 'contentHash', type: 'text' },
    { name: 'publishedAt', type: 'timestamp', nullable: true, mongo: 'published' },
    { name: 'modifiedAt', type: 'timestamp', mongo: 'modified' },
    { name: 'withdrawnAt', type: 'timestamp', nullable: true, mongo: 'withdrawn' },
    { name: 'aliases', type: 'text[]', generated: true, mongo: 'payload.aliases' },
    { name: 'ecosystems', type: 'text[]', generated: true, mongo: 'payload.affected.package.ecosystem' },
    { name: 'severity', type: 'text', nullable: true, generated: true, mongo: 'payload.database_specific.severity' },
    { name: 'severityScore', type: 'text', nullable: true, generated: true, mongo: 'payload.severity.0.score' },
  ],
  uniqueKeys: [['sourceKey', 'advisoryKey']],
  orders: {
    default: { fields: [{ field: 'sourceKey', dir: 'asc' }, { field: 'advisoryKey', dir: 'asc' }] },
    byKey: { fields: [{ field: 'advisoryKey', dir: 'asc' }, { field: 'sourceKey', dir: 'asc' }] },
    modified: { fields: [{ field: 'modifiedAt', dir: 'asc' }, { field: 'sourceKey', dir: 'asc' }, { field: 'advisoryKey', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  derive: deriveAdvisory,
};

export const alias: EntitySpec<Alias> = {
  ...base,
  name: 'alias',
  collection: 'alias',
  table: 'alias',
  fields: [
    { name: 'sourceKey', type: 'text' },
    { name: 'advisoryKey', type: 'text' },
    { name: 'alias', type: 'text' },
    { name: 'scheme', type: 'text' },
    { name: 'isPrimary', type: 'bool' },
  ],
  uniqueKeys: [['sourceKey', 'advisoryKey', 'alias']],
  orders: {
    default: { fields: [{ field: 'alias', dir: 'asc' }, { field: 'sourceKey', dir: 'asc' }, { field: 'advisoryKey', dir: 'asc' }] },
    byAdvisory: { fields: [{ field: 'sourceKey', dir: 'asc' }, { field: 'advisoryKey', dir: 'asc' }, { field: 'alias', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  // Both derived from the row's own keys, so they cannot disagree with them.
  derive: (e) => ({
    scheme: typeof e.alias === 'string' ? e.alias.split('-')[0] : e.scheme,
    isPrimary: typeof e.alias === 'string' && e.alias === e.advisoryKey,
  }),
};

export const affected: EntitySpec<Affected> = {
  ...base,
  name: 'affected',
  collection: 'affected',
  table: 'affected',
  fields: [
    { name: 'sourceKey', type: 'text' },
    { name: 'advisoryKey', type: 'text' },
    { name: 'ordinal', type: 'int' },
    { name: 'ecosystem', type: 'text', nullable: true },
    { name: 'packageName', type: 'text', nullable: true },
    { name: 'purl', type: 'text', nullable: true },
    { name: 'ranges', type: 'json', nullable: true },
    { name: 'versions', type: 'text[]', nullable: true },
  ],
  uniqueKeys: [['sourceKey', 'advisoryKey', 'ordinal']],
  orders: {
    default: { fields: [{ field: 'sourceKey', dir: 'asc' }, { field: 'advisoryKey', dir: 'asc' }, { field: 'ordinal', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export const advisoryRaw: EntitySpec<AdvisoryRaw> = {
  ...base,
  name: 'advisory_raw',
  collection: 'advisory_raw',
  table: 'advisory_raw',
  fields: [
    { name: 'sourceKey', type: 'text' },
    { name: 'uri', type: 'text' },
    { name: 'storageKey', type: 'text' },
    { name: 'digest', type: 'text' },
    { name: 'sizeBytes', type: 'bigint' },
    { name: 'mediaType', type: 'text' },
    { name: 'advisoryKey', type: 'text', nullable: true },
    { name: 'fetchedAt', type: 'timestamp' },
    { name: 'supersededAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['sourceKey', 'digest']],
  orders: {
    default: { fields: [{ field: 'sourceKey', dir: 'asc' }, { field: 'digest', dir: 'asc' }] },
    byFetched: { fields: [{ field: 'fetchedAt', dir: 'desc' }, { field: 'sourceKey', dir: 'asc' }, { field: 'digest', dir: 'asc' }] },
  },
  // References only: the bytes stay in object storage. Current references (not superseded) always
  // move; superseded ones only when fetched within the window, older history stays in the archive.
  tier: {
    tier: 'B',
    description: `current references (supersededAt is null) and references fetched in the last ${RAW_WINDOW_DAYS} days`,
    keep: (r, now) => r.supersededAt === null || (r.fetchedAt as Date).getTime() >= now.getTime() - RAW_WINDOW_DAYS * DAY,
  },
  // Same refusal on every backend (PostgreSQL also has the CHECK constraint).
  derive: (r) => {
    if (typeof r.digest === 'string' && !DIGEST_RE.test(r.digest)) throw new ValidationError('Concelier.advisory_raw', 'digest', `must be sha256:<64 lowercase hex>, got ${JSON.stringify(r.digest.slice(0, 80))}`);
    if (typeof r.sizeBytes === 'bigint' && r.sizeBytes < 0n) throw new ValidationError('Concelier.advisory_raw', 'sizeBytes', 'must not be negative');
    return {};
  },
};

export const job: EntitySpec<ConcelierJob> = {
  ...base,
  name: 'job',
  collection: 'concelier.jobs',
  table: 'job',
  fields: [
    { name: 'jobKey', type: 'text' },
    { name: 'kind', type: 'text' },
    { name: 'sourceKey', type: 'text', nullable: true },
    { name: 'status', type: 'text', enum: CONCELIER_JOB_STATUSES },
    { name: 'payload', type: 'json' },
    { name: 'runAfter', type: 'timestamp' },
    { name: 'attempts', type: 'int' },
    { name: 'lockedBy', type: 'text', nullable: true },
    { name: 'lockedAt', type: 'timestamp', nullable: true },
    { name: 'lastError', type: 'text', nullable: true },
  ],
  uniqueKeys: [['jobKey']],
  orders: {
    default: { fields: [{ field: 'runAfter', dir: 'asc' }, { field: 'jobKey', dir: 'asc' }] },
    byKey: { fields: [{ field: 'jobKey', dir: 'asc' }] },
  },
  tier: { tier: 'C', description: 'connector jobs are ephemeral: fresh start, the schema only' },
};

export const lock: EntitySpec<ConcelierLock> = {
  ...base,
  name: 'lock',
  collection: 'concelier.locks',
  table: 'lock',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'holder', type: 'text' },
    { name: 'acquiredAt', type: 'timestamp' },
    { name: 'expiresAt', type: 'timestamp' },
  ],
  uniqueKeys: [['name']],
  orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
  tier: { tier: 'C', description: 'leases are ephemeral: fresh start, the schema only' },
};

export const concelierEntities: readonly EntitySpec[] = [source, sourceState, advisory, alias, affected, advisoryRaw, job, lock];
