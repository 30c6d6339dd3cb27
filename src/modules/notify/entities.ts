import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { Channel, Delivery, Digest, EscalationPolicy, NotifyRule, OutboxEvent, QuietHours, Template } from '../../interfaces/notify.js';
import { CHANNEL_TYPES, DELIVERY_STATES, SEVERITIES } from '../../interfaces/notify.js';
import { auditLogSpec } from '../shared/audit-log.js';

/**
 * Notify's entities: legacy collections (docs/design.md §2, Notify) -> `notify.*` tables, plus the outbox
 * (`core.outbox`, docs/postgres-patterns.md §3.6) its delivery state machine writes. Legacy documents are camelCase with a
 * string `tenantId` and BSON Dates.
 */
const base = { module: 'Notify', schema: 'notify' } as const;
const DAY_MS = 86_400_000;

/** Tier B window of deliveries (docs/design.md §2: last 90 days). */
export const DELIVERY_WINDOW_DAYS = 90;
/** Four calendar months before a month start are >= 120 days: every delivery of the last 90 days is kept (three could be 89). */
export const DELIVERY_RETENTION_MONTHS = 4;

export const notifyAuditLog = auditLogSpec('Notify', 'notify_audit', 'notify');

export const channel: EntitySpec<Channel> = {
  ...base,
  name: 'channel',
  collection: 'channels',
  table: 'channel',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'type', type: 'text', enum: CHANNEL_TYPES },
    { name: 'enabled', type: 'bool' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'config', type: 'json' },
    { name: 'secretRef', type: 'text', nullable: true },
  ],
  uniqueKeys: [['name']],
  orders: {
    default: { fields: [{ field: 'name', dir: 'asc' }] },
    byType: { fields: [{ field: 'type', dir: 'asc' }, { field: 'name', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: notifyAuditLog,
};

export const template: EntitySpec<Template> = {
  ...base,
  name: 'template',
  collection: 'templates',
  table: 'template',
  fields: [
    { name: 'key', type: 'text' },
    { name: 'channelType', type: 'text', enum: CHANNEL_TYPES },
    { name: 'locale', type: 'text' },
    { name: 'format', type: 'text', enum: ['markdown', 'html', 'text', 'json'] },
    { name: 'subject', type: 'text', nullable: true },
    { name: 'body', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
  ],
  uniqueKeys: [['key', 'channelType', 'locale']],
  orders: {
    default: { fields: [{ field: 'key', dir: 'asc' }, { field: 'channelType', dir: 'asc' }, { field: 'locale', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: notifyAuditLog,
};

export const rule: EntitySpec<NotifyRule> = {
  ...base,
  name: 'rule',
  collection: 'rules',
  table: 'rule',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'enabled', type: 'bool' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'eventKinds', type: 'text[]' },
    { name: 'minSeverity', type: 'text', enum: SEVERITIES },
    { name: 'filter', type: 'json' },
    { name: 'channelIds', type: 'uuid[]' },
    { name: 'templateKey', type: 'text', nullable: true },
    { name: 'throttleSeconds', type: 'int' },
    { name: 'digestId', type: 'uuid', nullable: true },
    { name: 'escalationPolicyId', type: 'uuid', nullable: true },
    { name: 'quietHoursId', type: 'uuid', nullable: true },
  ],
  uniqueKeys: [['name']],
  orders: {
    default: { fields: [{ field: 'name', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: notifyAuditLog,
};

export const digest: EntitySpec<Digest> = {
  ...base,
  name: 'digest',
  collection: 'digests',
  table: 'digest',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'channelId', type: 'uuid' },
    { name: 'cronExpression', type: 'text' },
    { name: 'timezone', type: 'text' },
    { name: 'enabled', type: 'bool' },
    { name: 'maxItems', type: 'int' },
    { name: 'lastSentAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['name']],
  orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: notifyAuditLog,
};

export const escalationPolicy: EntitySpec<EscalationPolicy> = {
  ...base,
  name: 'escalation_policy',
  collection: 'escalation_policies',
  table: 'escalation_policy',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'steps', type: 'json' },
    { name: 'repeatCount', type: 'int' },
    { name: 'enabled', type: 'bool' },
  ],
  uniqueKeys: [['name']],
  orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: notifyAuditLog,
};

export const quietHours: EntitySpec<QuietHours> = {
  ...base,
  name: 'quiet_hours',
  collection: 'quiet_hours',
  table: 'quiet_hours',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'timezone', type: 'text' },
    { name: 'startTime', type: 'text' },
    { name: 'endTime', type: 'text' },
    { name: 'daysOfWeek', type: 'text[]' },
    { name: 'allowCritical', type: 'bool' },
    { name: 'enabled', type: 'bool' },
  ],
  uniqueKeys: [['name']],
  orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: notifyAuditLog,
};

export const delivery: EntitySpec<Delivery> = {
  ...base,
  name: 'delivery',
  collection: 'deliveries',
  table: 'delivery',
  fields: [
    { name: 'ruleId', type: 'uuid', nullable: true },
    { name: 'channelId', type: 'uuid' },
    { name: 'eventId', type: 'text' },
    { name: 'eventKind', type: 'text' },
    { name: 'recipient', type: 'text', nullable: true },
    { name: 'templateKey', type: 'text', nullable: true },
    { name: 'state', type: 'text', enum: DELIVERY_STATES },
    { name: 'attempts', type: 'int' },
    { name: 'nextAttemptAt', type: 'timestamp', nullable: true },
    { name: 'sentAt', type: 'timestamp', nullable: true },
    { name: 'lastError', type: 'text', nullable: true },
    { name: 'correlationId', type: 'text', nullable: true },
    { name: 'metadata', type: 'json' },
  ],
  orders: {
    default: { fields: [{ field: 'createdAt', dir: 'desc' }] },
    byState: { fields: [{ field: 'state', dir: 'asc' }, { field: 'createdAt', dir: 'asc' }] },
    byChannel: { fields: [{ field: 'channelId', dir: 'asc' }, { field: 'createdAt', dir: 'desc' }] },
    byEvent: { fields: [{ field: 'eventId', dir: 'asc' }, { field: 'createdAt', dir: 'asc' }] },
  },
  partitionedBy: 'createdAt',
  tier: {
    tier: 'B',
    description: `deliveries of the last ${DELIVERY_WINDOW_DAYS} days: createdAt >= now - ${DELIVERY_WINDOW_DAYS} days`,
    keep: (d, now) => (d.createdAt as Date).getTime() >= now.getTime() - DELIVERY_WINDOW_DAYS * DAY_MS,
  },
};

/**
 * `core.outbox` (docs/postgres-patterns.md §3.6), declared here because Notify's delivery state machine is what writes it.
 * The legacy side is an `outbox` collection written by the MongoDB backend of the same code. Tier C:
 * an outbox holds side effects the old primary's sender owns; nothing is converted.
 */
export const outboxEvent: EntitySpec<OutboxEvent> = {
  module: 'Notify',
  schema: 'core',
  name: 'outbox_event',
  collection: 'outbox',
  table: 'outbox',
  fields: [
    { name: 'aggregateType', type: 'text' },
    { name: 'aggregateId', type: 'uuid', nullable: true },
    { name: 'topic', type: 'text' },
    { name: 'payload', type: 'json' },
    { name: 'dispatchedAt', type: 'timestamp', nullable: true },
    { name: 'dispatchAttempts', type: 'int' },
    { name: 'error', type: 'text', nullable: true },
  ],
  orders: {
    default: { fields: [{ field: 'createdAt', dir: 'asc' }] },
    byTopic: { fields: [{ field: 'topic', dir: 'asc' }, { field: 'createdAt', dir: 'asc' }] },
  },
  tier: { tier: 'C', description: 'fresh start: pending side effects belong to the sender of the store that wrote them' },
};

export const notifyEntities: readonly EntitySpec[] = [
  channel, template, rule, digest, escalationPolicy, quietHours, delivery, outboxEvent, notifyAuditLog,
];
