import type { Entity } from './entity-spec.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository, Page } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Notify (schema `notify`): channels, templates, routing rules, digests, escalation policies, quiet
 * hours, and the delivery records with their state machine and the outbox events (`core.outbox`) a
 * sender consumes. Sending itself is not part of the persistence layer.
 *
 * @example
 * const rules = container.get<NotifyRuleRepository>(NotifyTokens.rule);
 * const deliveries = container.get<DeliveryService>(DELIVERY_SERVICE_TOKEN);
 * const d = await deliveries.create(ctx, { channelId, eventId: 'evt-1', eventKind: 'scan.completed', ... });
 * await deliveries.transition(ctx, d.id, 'sending');
 */

export const CHANNEL_TYPES = ['email', 'slack', 'teams', 'webhook', 'pagerduty', 'opsgenie'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;

export interface Channel extends Entity {
  name: string;
  type: ChannelType;
  enabled: boolean;
  description: string | null;
  /** Non-secret settings: `{ endpoint?, recipients?, channel?, routingKey? }`. */
  config: Record<string, unknown>;
  /** Reference into the secret store (never the secret itself). */
  secretRef: string | null;
}

export interface Template extends Entity {
  key: string;
  channelType: ChannelType;
  locale: string;
  format: 'markdown' | 'html' | 'text' | 'json';
  subject: string | null;
  body: string;
  description: string | null;
}

export interface NotifyRule extends Entity {
  name: string;
  enabled: boolean;
  description: string | null;
  /** Event kinds that match, e.g. `scan.completed`, `vex.statement.changed`. */
  eventKinds: string[];
  minSeverity: (typeof SEVERITIES)[number];
  /** Further match: `{ namespaces?, repositories?, labels?, kevOnly? }`. */
  filter: Record<string, unknown>;
  channelIds: string[];
  templateKey: string | null;
  throttleSeconds: number;
  digestId: string | null;
  escalationPolicyId: string | null;
  quietHoursId: string | null;
}

export interface Digest extends Entity {
  name: string;
  channelId: string;
  cronExpression: string;
  timezone: string;
  enabled: boolean;
  maxItems: number;
  lastSentAt: Date | null;
}

export interface EscalationPolicy extends Entity {
  name: string;
  description: string | null;
  /** `[{ afterMinutes, channelIds, notifyOnCall }]`, in order. */
  steps: unknown[];
  repeatCount: number;
  enabled: boolean;
}

export interface QuietHours extends Entity {
  name: string;
  timezone: string;
  /** `HH:MM`, local to `timezone`; a window may wrap midnight. */
  startTime: string;
  endTime: string;
  daysOfWeek: string[];
  /** Critical notifications still go out during the window. */
  allowCritical: boolean;
  enabled: boolean;
}

export const DELIVERY_STATES = ['pending', 'sending', 'sent', 'failed', 'retrying', 'dead', 'suppressed', 'cancelled'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * The delivery state machine. Terminal states have no way out.
 *
 *   pending  -> sending | suppressed | cancelled
 *   sending  -> sent | failed
 *   failed   -> retrying | dead
 *   retrying -> sending | cancelled
 */
export const DELIVERY_TRANSITIONS: Readonly<Record<DeliveryState, readonly DeliveryState[]>> = Object.freeze({
  pending: ['sending', 'suppressed', 'cancelled'],
  sending: ['sent', 'failed'],
  failed: ['retrying', 'dead'],
  retrying: ['sending', 'cancelled'],
  sent: [],
  dead: [],
  suppressed: [],
  cancelled: [],
});

/** One notification to one channel (and recipient) for one event. Partitioned monthly on `createdAt`. */
export interface Delivery extends Entity {
  ruleId: string | null;
  channelId: string;
  eventId: string;
  eventKind: string;
  recipient: string | null;
  templateKey: string | null;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  sentAt: Date | null;
  lastError: string | null;
  correlationId: string | null;
  /** Rendering facts kept for audit: `{ subjectHash?, bodyHash?, providerMessageId? }`. */
  metadata: Record<string, unknown>;
}

/** A row of `core.outbox` (docs/postgres-patterns.md §3.6): a side effect to perform exactly once after commit. */
export interface OutboxEvent extends Entity {
  aggregateType: string;
  aggregateId: string | null;
  topic: string;
  payload: Record<string, unknown>;
  dispatchedAt: Date | null;
  dispatchAttempts: number;
  error: string | null;
}

export type NewDelivery = Pick<Delivery, 'channelId' | 'eventId' | 'eventKind'> &
  Partial<Pick<Delivery, 'ruleId' | 'recipient' | 'templateKey' | 'correlationId' | 'metadata'>>;

export interface TransitionDetails {
  /** Required entering `failed`; kept as the delivery's lastError. */
  readonly error?: string;
  /** Entering `retrying`: when to send again (required). */
  readonly nextAttemptAt?: Date;
  /** Merged into the delivery's metadata (e.g. `{ providerMessageId }` entering `sent`). */
  readonly metadata?: Record<string, unknown>;
}

/**
 * Deliveries through their state machine, each change with its outbox event written in the same
 * transaction on PostgreSQL (docs/postgres-patterns.md §3.6), identical rules on every backend. The generic delivery
 * repository (NotifyTokens.delivery) stays available for reads; services change state through this.
 *
 * @example
 * const svc = container.get<DeliveryService>(DELIVERY_SERVICE_TOKEN);
 * const d = await svc.create(ctx, { channelId, eventId: 'evt-42', eventKind: 'scan.completed' });
 * await svc.transition(ctx, d.id, 'sending');
 * await svc.transition(ctx, d.id, 'failed', { error: 'SMTP 451' });
 * await svc.transition(ctx, d.id, 'retrying', { nextAttemptAt: new Date(Date.now() + 60_000) });
 * for (const event of (await svc.undispatched(ctx)).items) { await publish(event); await svc.markDispatched(ctx, event.id); }
 */
export interface DeliveryService {
  /** A new delivery in state `pending`, with its `notify.delivery.pending` event. */
  create(ctx: TenantContext, delivery: NewDelivery): Promise<Delivery>;
  /** Moves a delivery to `to`; IllegalTransitionError when the machine forbids it, NotFoundError when missing. */
  transition(ctx: TenantContext, id: string, to: DeliveryState, details?: TransitionDetails): Promise<Delivery>;
  get(ctx: TenantContext, id: string): Promise<Delivery | null>;
  /** Outbox events not yet dispatched, oldest first (createdAt, id), keyset-paged. */
  undispatched(ctx: TenantContext, options?: { after?: string | null; limit?: number }): Promise<Page<OutboxEvent>>;
  /** Marks an event dispatched; false when it already was (a second sender lost the race). */
  markDispatched(ctx: TenantContext, eventId: string): Promise<boolean>;
  /** Counts a failed dispatch attempt and keeps the error; the event stays undispatched. */
  markDispatchFailed(ctx: TenantContext, eventId: string, error: string): Promise<OutboxEvent>;
}

export type ChannelRepository = EntityRepository<Channel>;
export type TemplateRepository = EntityRepository<Template>;
export type NotifyRuleRepository = EntityRepository<NotifyRule>;
export type DigestRepository = EntityRepository<Digest>;
export type EscalationPolicyRepository = EntityRepository<EscalationPolicy>;
export type QuietHoursRepository = EntityRepository<QuietHours>;
export type DeliveryRepository = EntityRepository<Delivery>;
export type OutboxEventRepository = EntityRepository<OutboxEvent>;
export type NotifyAuditLogRepository = EntityRepository<AuditRecord & Entity>;

export const NotifyTokens = Object.freeze({
  channel: repositoryToken('Notify', 'channel'),
  template: repositoryToken('Notify', 'template'),
  rule: repositoryToken('Notify', 'rule'),
  digest: repositoryToken('Notify', 'digest'),
  escalation_policy: repositoryToken('Notify', 'escalation_policy'),
  quiet_hours: repositoryToken('Notify', 'quiet_hours'),
  delivery: repositoryToken('Notify', 'delivery'),
  outbox_event: repositoryToken('Notify', 'outbox_event'),
  audit_log: repositoryToken('Notify', 'audit_log'),
});

/** The delivery state machine is a custom binding (not one of the entity tokens above). */
export const DELIVERY_SERVICE_TOKEN = repositoryToken('Notify', 'delivery_service');
