import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { TimelineEvent, VexCacheEntry, VexConsensus, VexDecision, VexLinkset, VexObservation, VexPackage, VexRawDocument, VexStatement, VulnFact } from '../../interfaces/excititor.js';
import type { UnknownRecord } from '../../interfaces/unknowns.js';
import { TIMELINE_EVENT_TYPES, VEX_FORMATS, VEX_STATUSES } from '../../interfaces/excititor.js';
import { auditLogSpec } from '../shared/audit-log.js';
import { vulnFactDerive } from './vuln-fact-rules.js';

/**
 * Excititor's entities: legacy collections (docs/design.md §2, Excititor) -> `vex.*` tables, and
 * the legacy `vex.unknown_items` -> the bitemporal `unknowns.unknown` (docs/postgres-patterns.md §3.4). Legacy documents
 * are camelCase with a string `tenantId` and BSON Dates; field names below are both the domain and
 * the legacy names unless `mongo` says otherwise.
 *
 * List orders end on a natural key wherever one exists, so two stores never need the id tie-breaker
 * (a legacy ObjectId and its UUIDv5 do not sort alike).
 */
const vex = { module: 'Excititor', schema: 'vex' } as const;
const DAY = 86_400_000;

export const vexAuditLog = auditLogSpec('Excititor', 'vex.audit', 'vex');

const statuses = VEX_STATUSES;
const formats = VEX_FORMATS;

export const statement: EntitySpec<VexStatement> = {
  ...vex,
  name: 'statement',
  collection: 'vex.statements',
  table: 'statement',
  fields: [
    { name: 'providerId', type: 'text' },
    { name: 'format', type: 'text', enum: formats },
    { name: 'documentDigest', type: 'text' },
    { name: 'vulnerabilityId', type: 'text' },
    { name: 'productKey', type: 'text' },
    { name: 'status', type: 'text', enum: statuses },
    { name: 'justification', type: 'text', nullable: true },
    { name: 'detail', type: 'text', nullable: true },
    { name: 'issued', type: 'text', nullable: true },
    { name: 'firstSeenAt', type: 'timestamp' },
  ],
  uniqueKeys: [['documentDigest', 'vulnerabilityId', 'productKey', 'status']],
  orders: {
    default: { fields: [{ field: 'vulnerabilityId', dir: 'asc' }, { field: 'productKey', dir: 'asc' }, { field: 'documentDigest', dir: 'asc' }, { field: 'status', dir: 'asc' }] },
    byProduct: { fields: [{ field: 'productKey', dir: 'asc' }, { field: 'vulnerabilityId', dir: 'asc' }, { field: 'documentDigest', dir: 'asc' }, { field: 'status', dir: 'asc' }] },
    byProvider: { fields: [{ field: 'providerId', dir: 'asc' }, { field: 'firstSeenAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
};

export const observation: EntitySpec<VexObservation> = {
  ...vex,
  name: 'observation',
  collection: 'vex.observations',
  table: 'observation',
  fields: [
    { name: 'observationId', type: 'text' },
    { name: 'providerId', type: 'text' },
    { name: 'streamId', type: 'text' },
    { name: 'format', type: 'text', enum: formats },
    { name: 'documentDigest', type: 'text' },
    { name: 'documentVersion', type: 'text', nullable: true },
    { name: 'vulnerabilityIds', type: 'text[]' },
    { name: 'productKeys', type: 'text[]' },
    { name: 'statementCount', type: 'int' },
    { name: 'observedAt', type: 'timestamp' },
  ],
  uniqueKeys: [['observationId']],
  orders: {
    default: { fields: [{ field: 'observationId', dir: 'asc' }] },
    byProvider: { fields: [{ field: 'providerId', dir: 'asc' }, { field: 'observedAt', dir: 'desc' }, { field: 'observationId', dir: 'asc' }] },
    byStream: { fields: [{ field: 'streamId', dir: 'asc' }, { field: 'observedAt', dir: 'desc' }, { field: 'observationId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

export const linkset: EntitySpec<VexLinkset> = {
  ...vex,
  name: 'linkset',
  collection: 'vex.linksets',
  table: 'linkset',
  fields: [
    { name: 'linksetId', type: 'text' },
    { name: 'vulnerabilityId', type: 'text' },
    { name: 'productKey', type: 'text' },
    { name: 'providerIds', type: 'text[]' },
    { name: 'observationIds', type: 'text[]' },
    { name: 'conflicts', type: 'json' },
  ],
  uniqueKeys: [['linksetId'], ['vulnerabilityId', 'productKey']],
  orders: {
    default: { fields: [{ field: 'vulnerabilityId', dir: 'asc' }, { field: 'productKey', dir: 'asc' }] },
    byProduct: { fields: [{ field: 'productKey', dir: 'asc' }, { field: 'vulnerabilityId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

export const consensus: EntitySpec<VexConsensus> = {
  ...vex,
  name: 'consensus',
  collection: 'vex.consensus',
  table: 'consensus',
  fields: [
    { name: 'vulnerabilityId', type: 'text' },
    { name: 'productKey', type: 'text' },
    { name: 'status', type: 'text', enum: statuses },
    { name: 'sources', type: 'json' },
    { name: 'policyRevisionId', type: 'text', nullable: true },
    { name: 'calculatedAt', type: 'timestamp' },
  ],
  uniqueKeys: [['vulnerabilityId', 'productKey']],
  orders: {
    default: { fields: [{ field: 'vulnerabilityId', dir: 'asc' }, { field: 'productKey', dir: 'asc' }] },
    recent: { fields: [{ field: 'calculatedAt', dir: 'desc' }, { field: 'vulnerabilityId', dir: 'asc' }, { field: 'productKey', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

/** Raw documents still waiting for processing, or retrieved in the last 30 days, move; older processed ones stay behind. */
export const RAW_WINDOW_DAYS = 30;

export const rawDocument: EntitySpec<VexRawDocument> = {
  ...vex,
  name: 'raw_document',
  collection: 'vex.raw',
  table: 'raw_document',
  fields: [
    { name: 'digest', type: 'text' },
    { name: 'providerId', type: 'text' },
    { name: 'format', type: 'text', enum: formats },
    { name: 'sourceUri', type: 'text', nullable: true },
    { name: 'content', type: 'json' },
    { name: 'retrievedAt', type: 'timestamp' },
    { name: 'processedAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['digest']],
  orders: {
    default: { fields: [{ field: 'retrievedAt', dir: 'desc' }, { field: 'digest', dir: 'asc' }] },
    byProvider: { fields: [{ field: 'providerId', dir: 'asc' }, { field: 'retrievedAt', dir: 'desc' }, { field: 'digest', dir: 'asc' }] },
  },
  tier: {
    tier: 'B',
    description: `active or recent raw documents: processedAt is null (not processed yet) or retrievedAt >= now - ${RAW_WINDOW_DAYS} days`,
    keep: (r, now) => r.processedAt === null || (r.retrievedAt as Date).getTime() >= now.getTime() - RAW_WINDOW_DAYS * DAY,
  },
};

export const cacheEntry: EntitySpec<VexCacheEntry> = {
  ...vex,
  name: 'cache_entry',
  collection: 'vex.cache',
  table: 'cache_entry',
  fields: [
    { name: 'cacheKey', type: 'text' },
    { name: 'payload', type: 'json' },
    { name: 'expiresAt', type: 'timestamp' },
  ],
  uniqueKeys: [['cacheKey']],
  orders: {
    default: { fields: [{ field: 'cacheKey', dir: 'asc' }] },
    byExpiry: { fields: [{ field: 'expiresAt', dir: 'asc' }, { field: 'cacheKey', dir: 'asc' }] },
  },
  tier: { tier: 'C', description: 'cache: fresh start, the schema only; entries are recomputed on demand' },
};

export const vulnFact: EntitySpec<VulnFact> = {
  ...vex,
  name: 'vuln_fact',
  collection: 'vex.vuln_facts',
  table: 'vuln_fact',
  fields: [
    { name: 'source', type: 'text' },
    { name: 'externalId', type: 'text', nullable: true },
    { name: 'payload', type: 'json' },
    { name: 'schemaVersion', type: 'int' },
    { name: 'receivedAt', type: 'timestamp' },
    { name: 'contentHash', type: 'text' },
  ],
  uniqueKeys: [['contentHash']],
  orders: {
    default: { fields: [{ field: 'receivedAt', dir: 'desc' }, { field: 'contentHash', dir: 'asc' }] },
    bySource: { fields: [{ field: 'source', dir: 'asc' }, { field: 'receivedAt', dir: 'desc' }, { field: 'contentHash', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  // Computes contentHash and refuses any second version of a fact, on every backend (see the rules file).
  derive: vulnFactDerive,
};

export const vexPackage: EntitySpec<VexPackage> = {
  ...vex,
  name: 'package',
  collection: 'vex.packages',
  table: 'package',
  fields: [
    { name: 'purl', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'ecosystem', type: 'text' },
    { name: 'version', type: 'text', nullable: true },
  ],
  uniqueKeys: [['purl']],
  orders: {
    default: { fields: [{ field: 'purl', dir: 'asc' }] },
    byName: { fields: [{ field: 'ecosystem', dir: 'asc' }, { field: 'name', dir: 'asc' }, { field: 'purl', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

export const vexDecision: EntitySpec<VexDecision> = {
  ...vex,
  name: 'vex_decision',
  collection: 'vex.decisions',
  table: 'vex_decision',
  fields: [
    { name: 'packageId', type: 'uuid' },
    { name: 'vulnId', type: 'text' },
    { name: 'status', type: 'text', enum: statuses },
    { name: 'rationale', type: 'text', nullable: true },
    { name: 'proofRef', type: 'text', nullable: true },
    { name: 'decidedBy', type: 'uuid', nullable: true },
    { name: 'decidedAt', type: 'timestamp' },
  ],
  uniqueKeys: [['packageId', 'vulnId']],
  orders: {
    default: { fields: [{ field: 'packageId', dir: 'asc' }, { field: 'vulnId', dir: 'asc' }] },
    byVuln: { fields: [{ field: 'vulnId', dir: 'asc' }, { field: 'packageId', dir: 'asc' }] },
    byStatus: { fields: [{ field: 'status', dir: 'asc' }, { field: 'decidedAt', dir: 'desc' }, { field: 'packageId', dir: 'asc' }, { field: 'vulnId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: vexAuditLog,
};

/** Timeline partitions (and converted events) reach back this many calendar months. */
export const TIMELINE_RETENTION_MONTHS = 12;

/** First instant kept: the start of the UTC month `TIMELINE_RETENTION_MONTHS` before `now`'s month. */
export function timelineHorizon(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - TIMELINE_RETENTION_MONTHS, 1));
}

export const timelineEvent: EntitySpec<TimelineEvent> = {
  ...vex,
  name: 'timeline_event',
  collection: 'vex.timeline_events',
  table: 'timeline_event',
  fields: [
    { name: 'packageId', type: 'uuid' },
    { name: 'vulnId', type: 'text' },
    { name: 'eventType', type: 'text', enum: TIMELINE_EVENT_TYPES },
    { name: 'decisionId', type: 'uuid', nullable: true },
    { name: 'actorId', type: 'uuid', nullable: true },
    { name: 'detail', type: 'json' },
    { name: 'occurredAt', type: 'timestamp' },
  ],
  orders: {
    default: { fields: [{ field: 'occurredAt', dir: 'desc' }] },
    byPair: { fields: [{ field: 'packageId', dir: 'asc' }, { field: 'vulnId', dir: 'asc' }, { field: 'occurredAt', dir: 'asc' }] },
  },
  partitionedBy: 'occurredAt',
  tier: {
    tier: 'B',
    description: `events of the retained partitions: occurredAt >= the start of the UTC month ${TIMELINE_RETENTION_MONTHS} months before now`,
    keep: (e, now) => (e.occurredAt as Date).getTime() >= timelineHorizon(now).getTime(),
  },
};

/**
 * Legacy `vex.unknown_items`: ONE DOCUMENT PER VERSION (one bitemporal row), so the generic
 * conversion maps it one to one: `recordedAt` / `supersededAt` are the system-time bounds.
 */
export const unknown: EntitySpec<UnknownRecord> = {
  module: 'Excititor',
  schema: 'unknowns',
  name: 'unknown',
  collection: 'vex.unknown_items',
  table: 'unknown',
  fields: [
    { name: 'subjectHash', type: 'text' },
    { name: 'kind', type: 'text' },
    { name: 'context', type: 'json' },
    { name: 'validFrom', type: 'timestamp' },
    { name: 'validTo', type: 'timestamp', nullable: true },
    { name: 'sysFrom', type: 'timestamp', mongo: 'recordedAt' },
    { name: 'sysTo', type: 'timestamp', nullable: true, mongo: 'supersededAt' },
  ],
  orders: {
    default: { fields: [{ field: 'subjectHash', dir: 'asc' }, { field: 'kind', dir: 'asc' }, { field: 'sysFrom', dir: 'asc' }, { field: 'validFrom', dir: 'asc' }] },
    recorded: { fields: [{ field: 'sysFrom', dir: 'desc' }, { field: 'subjectHash', dir: 'asc' }, { field: 'kind', dir: 'asc' }, { field: 'validFrom', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
};

export const excititorEntities: readonly EntitySpec[] = [
  statement, observation, linkset, consensus, rawDocument, cacheEntry, vulnFact, vexPackage, vexDecision, timelineEvent, unknown, vexAuditLog,
];
