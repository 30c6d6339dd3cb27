import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const TYPES = ['email', 'slack', 'teams', 'webhook', 'pagerduty', 'opsgenie'] as const;

/**
 * Valid Notify entities; i varies unique keys and order keys. Deliveries leave createdAt to the
 * repository: "now", a month whose partition the migration made.
 */
export const notifySamples: ModuleSamples = {
  channel: {
    make: (i) => ({ name: `channel-${i}-ü`, type: TYPES[i % 6], enabled: i % 2 === 0, description: i % 3 ? 'desc' : null, config: { endpoint: `https://hooks.example.org/${i}`, headers: { 'x-a.b': 1 } }, secretRef: i % 2 ? `vault://c/${i}` : null }),
    patch: () => ({ enabled: false, config: { endpoint: 'https://hooks.example.org/moved' } }),
  },
  template: {
    make: (i) => ({ key: `tpl-${i % 3}-${i}`, channelType: TYPES[i % 6], locale: i % 2 ? 'en-US' : 'de-DE', format: 'markdown', subject: i % 2 ? `Subject ${i}` : null, body: `**{{kind}}** ${i}`, description: null }),
    patch: () => ({ body: 'changed {{kind}}', subject: 'new subject' }),
  },
  rule: {
    make: (i) => ({
      name: `rule-${i}`,
      enabled: i % 2 === 0,
      description: null,
      eventKinds: ['scan.completed', `kind-${i}`],
      minSeverity: (['none', 'low', 'medium', 'high', 'critical'] as const)[i % 5],
      filter: { namespaces: ['payments'], kevOnly: i % 2 === 1 },
      channelIds: [uuid(i), uuid(i + 1)],
      templateKey: i % 2 ? 'scan-summary' : null,
      throttleSeconds: i * 60,
      digestId: i % 3 ? uuid(500 + i) : null,
      escalationPolicyId: null,
      quietHoursId: i % 2 ? uuid(700) : null,
    }),
    patch: () => ({ enabled: true, channelIds: [], throttleSeconds: 0 }),
  },
  digest: {
    make: (i) => ({ name: `digest-${i}`, channelId: uuid(i), cronExpression: '0 8 * * *', timezone: 'UTC', enabled: true, maxItems: 10 + i, lastSentAt: i % 2 ? at(i) : null }),
    patch: (i) => ({ lastSentAt: at(i + 5), maxItems: 99 }),
  },
  escalation_policy: {
    make: (i) => ({ name: `escalate-${i}`, description: i % 2 ? 'pages on-call' : null, steps: [{ afterMinutes: 0, channelIds: [uuid(i)] }, { afterMinutes: 15, channelIds: [uuid(i + 1)], notifyOnCall: true }], repeatCount: i % 3, enabled: true }),
    patch: () => ({ enabled: false, steps: [] }),
  },
  quiet_hours: {
    make: (i) => ({ name: `quiet-${i}`, timezone: 'Europe/Berlin', startTime: '22:00', endTime: `0${i % 8}:00`, daysOfWeek: ['sat', 'sun'], allowCritical: i % 2 === 0, enabled: true }),
    patch: () => ({ daysOfWeek: ['mon'], allowCritical: true }),
  },
  delivery: {
    make: (i) => ({
      ruleId: i % 2 ? uuid(i) : null,
      channelId: uuid(i % 3),
      eventId: `evt-${i % 4}`,
      eventKind: 'scan.completed',
      recipient: i % 2 ? `secops${i}@example.org` : null,
      templateKey: null,
      state: (['pending', 'sending', 'sent', 'failed', 'retrying', 'dead', 'suppressed', 'cancelled'] as const)[i % 8],
      attempts: i % 3,
      nextAttemptAt: i % 8 === 4 ? at(i) : null,
      sentAt: i % 8 === 2 ? at(i) : null,
      lastError: null,
      correlationId: null,
      metadata: { bodyHash: `sha256:${i}` },
    }),
    patch: (i) => ({ state: 'sent', sentAt: at(i + 1), attempts: 1 }),
  },
  outbox_event: {
    make: (i) => ({ aggregateType: 'notify.delivery', aggregateId: i % 2 ? uuid(i) : null, topic: `notify.delivery.${i % 2 ? 'pending' : 'sent'}`, payload: { deliveryId: uuid(i), n: i }, dispatchedAt: null, dispatchAttempts: 0, error: null }),
    patch: (i) => ({ dispatchedAt: at(i), dispatchAttempts: 1 }),
  },
  audit_log: {
    make: (i) => ({ actorId: null, action: 'insert', entityType: 'Notify.rule', entityId: uuid(i), at: at(i % 2), diff: { after: { n: i } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};

