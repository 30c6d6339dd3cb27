import type { Entity } from './entity-spec.js';
import { ValidationError } from './errors.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository, Page } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Excititor: VEX documents, statements and decisions (schema `vex`). Each entity repository is the
 * generic contract over its declaration; ask the container for it by token. The triage queue and the
 * bitemporal Unknowns (see `unknowns.ts`) have their own repositories.
 *
 * Legacy MongoDB documents are camelCase with a string `tenantId` and BSON Dates; VEX payloads
 * (OpenVEX, CSAF, CycloneDX) are kept whole as JSON, `$schema` and `@context` keys included.
 *
 * @example
 * const decisions = container.get<VexDecisionRepository>(ExcititorTokens.vex_decision);
 * const d = await decisions.findOne(ctx, { packageId, vulnId: 'CVE-2021-44228' });
 */

/** The four VEX statuses shared by OpenVEX, CSAF and CycloneDX (docs/postgres-patterns.md §3.2 `vex_decision.status`). */
export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

/** The VEX document formats Excititor ingests. */
export const VEX_FORMATS = ['openvex', 'csaf', 'cyclonedx'] as const;
export type VexFormat = (typeof VEX_FORMATS)[number];

/** A plain JSON object (kept as jsonb; compared in canonical form). */
export type JsonObject = { [key: string]: unknown };

/** One normalised claim of one document: provider says `status` for (vulnerability, product). */
export interface VexStatement extends Entity {
  providerId: string;
  format: VexFormat;
  /** `sha256:<hex>` of the source document's bytes. */
  documentDigest: string;
  vulnerabilityId: string;
  /** A purl, a CSAF product id or a CycloneDX bom-ref, as the document names the product. */
  productKey: string;
  status: VexStatus;
  justification: string | null;
  detail: string | null;
  /** The statement's (or document's) timestamp exactly as published (sub-millisecond, offsets). */
  issued: string | null;
  firstSeenAt: Date;
}

/** One provider's observation of one upstream document (what it said, not what we concluded). */
export interface VexObservation extends Entity {
  observationId: string;
  providerId: string;
  /** The upstream document id (OpenVEX `@id`, CSAF `tracking.id`, CycloneDX serial number). */
  streamId: string;
  format: VexFormat;
  documentDigest: string;
  documentVersion: string | null;
  vulnerabilityIds: string[];
  productKeys: string[];
  statementCount: number;
  observedAt: Date;
}

/** The observations about one (vulnerability, product) pair, linked across providers. */
export interface VexLinkset extends Entity {
  linksetId: string;
  vulnerabilityId: string;
  productKey: string;
  providerIds: string[];
  observationIds: string[];
  /** Providers that disagree: `[{ providerId, status }]`, empty when they agree. */
  conflicts: unknown[];
}

/** The status Excititor concluded for a (vulnerability, product) pair from every provider's claims. */
export interface VexConsensus extends Entity {
  vulnerabilityId: string;
  productKey: string;
  status: VexStatus;
  /** Per-provider claims and weights that produced the status. */
  sources: unknown[];
  policyRevisionId: string | null;
  calculatedAt: Date;
}

/** A raw ingested document (tier B: pending or recent only), kept whole. */
export interface VexRawDocument extends Entity {
  digest: string;
  providerId: string;
  format: VexFormat;
  sourceUri: string | null;
  content: JsonObject;
  retrievedAt: Date;
  processedAt: Date | null;
}

/** A cached consensus query answer (tier C: fresh start). */
export interface VexCacheEntry extends Entity {
  cacheKey: string;
  payload: JsonObject;
  expiresAt: Date;
}

/**
 * An immutable JSONB fact (docs/postgres-patterns.md §3.2 `vex.vuln_fact`): never updated; recording the same payload
 * twice for a tenant yields the same fact (idempotent by `contentHash`).
 */
export interface VulnFact extends Entity {
  source: string;
  externalId: string | null;
  payload: JsonObject;
  schemaVersion: number;
  receivedAt: Date;
  /** `sha256:<hex>` of the RFC 8785 canonical JSON of `payload`; computed, never trusted from input. */
  contentHash: string;
}

export interface VexPackage extends Entity {
  purl: string;
  name: string;
  ecosystem: string;
  version: string | null;
}

/** A relational decision about one package and one vulnerability (docs/postgres-patterns.md §3.2 `vex.vex_decision`). */
export interface VexDecision extends Entity {
  packageId: string;
  vulnId: string;
  status: VexStatus;
  rationale: string | null;
  proofRef: string | null;
  decidedBy: string | null;
  decidedAt: Date;
}

export const TIMELINE_EVENT_TYPES = ['fact_received', 'statement_ingested', 'decision_made', 'decision_changed', 'comment'] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

/** What happened to a (package, vulnerability) pair, when (monthly partitions on `occurredAt`). */
export interface TimelineEvent extends Entity {
  packageId: string;
  vulnId: string;
  eventType: TimelineEventType;
  decisionId: string | null;
  actorId: string | null;
  detail: JsonObject;
  occurredAt: Date;
}

export type VexAuditLogEntry = AuditRecord;

export type VexStatementRepository = EntityRepository<VexStatement>;
export type VexObservationRepository = EntityRepository<VexObservation>;
export type VexLinksetRepository = EntityRepository<VexLinkset>;
export type VexConsensusRepository = EntityRepository<VexConsensus>;
export type VexRawDocumentRepository = EntityRepository<VexRawDocument>;
export type VexCacheRepository = EntityRepository<VexCacheEntry>;
export type VulnFactRepository = EntityRepository<VulnFact>;
export type VexPackageRepository = EntityRepository<VexPackage>;
export type VexDecisionRepository = EntityRepository<VexDecision>;
export type TimelineEventRepository = EntityRepository<TimelineEvent>;
export type VexAuditLogRepository = EntityRepository<VexAuditLogEntry & Entity>;

/** A vuln fact refuses every change after it was recorded (docs/postgres-patterns.md §3.2: facts are immutable). */
export class ImmutableFactError extends ValidationError {
  constructor(entity: string, reason: string) {
    super(entity, 'updatedAt', reason);
  }
}

/** One row of the triage dashboard: an open decision (affected / under investigation) and its activity. */
export interface TriageQueueItem {
  readonly tenantId: string;
  readonly packageId: string;
  readonly purl: string;
  readonly vulnId: string;
  readonly status: 'affected' | 'under_investigation';
  readonly decidedAt: Date;
  /** Timeline events of the pair, and the latest one's time (null when none). */
  readonly eventCount: number;
  readonly lastEventAt: Date | null;
}

export interface TriageQueueQuery {
  readonly after?: string | null;
  readonly limit?: number;
  readonly live?: boolean;
  /** With `live`: count only timeline events at or after this time (the materialized view counts every event kept). */
  readonly eventsSince?: Date;
}

/**
 * The triage dashboard (docs/postgres-patterns.md §3.2 `vex.mv_triage_queue`): on PostgreSQL a materialized view
 * refreshed concurrently and read through a tenant-filtering view; on MongoDB the live aggregate.
 * Ordered by `eventCount` desc, then `purl`, `vulnId` (bytes), keyset-paged.
 *
 * @example
 * const queue = container.get<TriageQueueRepository>(ExcititorTokens.triage_queue);
 * await queue.refresh();
 * const { items, next } = await queue.list(ctx, { limit: 50 });
 */
export interface TriageQueueRepository {
  /**
   * A page of the queue. `live: true` computes it from the base tables instead of the last refresh
   * (PostgreSQL: the view's defining aggregate; MongoDB is always live): parity and the benchmark's baseline.
   */
  list(ctx: TenantContext, query?: TriageQueueQuery): Promise<Page<TriageQueueItem>>;
  get(ctx: TenantContext, packageId: string, vulnId: string, options?: Pick<TriageQueueQuery, 'live' | 'eventsSince'>): Promise<TriageQueueItem | null>;
  /** Recomputes the queue for every tenant (PostgreSQL: REFRESH MATERIALIZED VIEW CONCURRENTLY). */
  refresh(): Promise<void>;
}

export const ExcititorTokens = Object.freeze({
  statement: repositoryToken('Excititor', 'statement'),
  observation: repositoryToken('Excititor', 'observation'),
  linkset: repositoryToken('Excititor', 'linkset'),
  consensus: repositoryToken('Excititor', 'consensus'),
  raw_document: repositoryToken('Excititor', 'raw_document'),
  cache_entry: repositoryToken('Excititor', 'cache_entry'),
  vuln_fact: repositoryToken('Excititor', 'vuln_fact'),
  package: repositoryToken('Excititor', 'package'),
  vex_decision: repositoryToken('Excititor', 'vex_decision'),
  timeline_event: repositoryToken('Excititor', 'timeline_event'),
  unknown: repositoryToken('Excititor', 'unknown'),
  audit_log: repositoryToken('Excititor', 'audit_log'),
});

/** Repositories of Excititor beyond the entity repositories. */
export const ExcititorCustomTokens = Object.freeze({
  triage_queue: Symbol.for('Excititor.triage_queue'),
  unknowns: Symbol.for('Excititor.unknowns'),
});
