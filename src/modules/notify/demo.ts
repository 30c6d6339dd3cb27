import type { Document } from 'bson';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { CHANNEL_TYPES, DELIVERY_STATES } from '../../interfaces/notify.js';
import { before, DemoRandom, demoUuid } from '../shared/demo-random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVENT_KINDS = ['scan.completed', 'scan.failed', 'vex.statement.changed', 'advisory.published', 'policy.violation', 'kev.added'];

/**
 * Generated legacy Notify documents (camelCase, string tenantId, BSON Dates, optional fields absent).
 * Channels, rules, digests, escalation policies and quiet hours have UUID `_id`s (others reference them
 * by uuid); templates and deliveries have ObjectIds. Deliveries spread over 120 days, beyond the 90-day
 * tier B window, in every state of the state machine.
 *
 * @example
 * const docs = [...notifyDemo({ tenants: [t], count: 10, seed: 1, now: new Date(), corpusDir: null })];
 */
export function* notifyDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const { seed, now, count } = options;
  for (const tenantId of options.tenants) {
    const r = new DemoRandom(seed, 'notify', tenantId);
    const created = () => {
      const createdAt = before(now, r.int(20, 500) * DAY + r.int(0, DAY - 1));
      return { createdAt, updatedAt: new Date(createdAt.getTime() + r.int(0, 10) * DAY) };
    };

    const channelIds = [];
    for (let i = 0; i < count; i++) {
      const id = demoUuid(seed, 'channels', tenantId, i);
      channelIds.push(id.toHexString(true));
      const type = CHANNEL_TYPES[i % CHANNEL_TYPES.length]!;
      const config: Record<string, unknown> =
        type === 'email' ? { recipients: [`secops-${i}@example.org`], from: 'stellaops@example.org' }
          : type === 'webhook' ? { endpoint: `https://hooks.example.org/${r.hex(8)}`, method: 'POST' }
            : type === 'slack' || type === 'teams' ? { channel: `#sec-alerts-${i}` }
              : { routingKey: `rk-${r.hex(10)}` };
      const doc: Document = { _id: id, tenantId, name: `${type}-${i}`, type, enabled: r.bool(0.85), config, ...created() };
      if (r.bool(0.5)) doc.description = `${type} channel ${i}`;
      if (type !== 'email') doc.secretRef = `vault://notify/${tenantId.slice(0, 8)}/${i}`;
      yield ['channels', doc];
    }

    for (let i = 0; i < count; i++) {
      const channelType = CHANNEL_TYPES[i % CHANNEL_TYPES.length]!;
      const format = channelType === 'email' ? 'html' : channelType === 'webhook' ? 'json' : 'markdown';
      const doc: Document = {
        _id: r.objectId(),
        tenantId,
        key: r.pick(['scan-summary', 'new-critical', 'kev-alert', 'policy-violation']) + `-${i}`,
        channelType,
        locale: r.pick(['en-US', 'de-DE', 'fr-FR']),
        format,
        body: format === 'json' ? '{"event":"{{kind}}","digest":"{{digest}}"}' : `**{{kind}}** for {{image}}: {{summary}} (#${i})`,
        ...created(),
      };
      if (format !== 'json') doc.subject = `[StellaOps] {{kind}} ${i}`;
      if (r.bool(0.3)) doc.description = 'imported from the 2024 template pack';
      yield ['templates', doc];
    }

    const digestIds = [];
    for (let i = 0; i < Math.max(1, Math.floor(count / 2)); i++) {
      const id = demoUuid(seed, 'digests', tenantId, i);
      digestIds.push(id.toHexString(true));
      const doc: Document = {
        _id: id,
        tenantId,
        name: `daily-digest-${i}`,
        channelId: r.pick(channelIds),
        cronExpression: r.pick(['0 8 * * *', '0 17 * * 1-5']),
        timezone: r.pick(['UTC', 'Europe/Paris']),
        enabled: r.bool(0.8),
        maxItems: r.int(10, 200),
        ...created(),
      };
      if (r.bool(0.6)) doc.lastSentAt = before(now, r.int(1, 30) * HOUR);
      yield ['digests', doc];
    }

    const escalationIds = [];
    for (let i = 0; i < Math.max(1, Math.floor(count / 3)); i++) {
      const id = demoUuid(seed, 'escalation_policies', tenantId, i);
      escalationIds.push(id.toHexString(true));
      const doc: Document = {
        _id: id,
        tenantId,
        name: `on-call-${i}`,
        steps: [
          { afterMinutes: 0, channelIds: [r.pick(channelIds)], notifyOnCall: false },
          { afterMinutes: r.int(5, 30), channelIds: [r.pick(channelIds)], notifyOnCall: true },
        ],
        repeatCount: r.int(0, 3),
        enabled: true,
        ...created(),
      };
      if (r.bool(0.5)) doc.description = 'page the platform on-call after 15 minutes';
      yield ['escalation_policies', doc];
    }

    const quietIds = [];
    for (let i = 0; i < Math.max(1, Math.floor(count / 3)); i++) {
      const id = demoUuid(seed, 'quiet_hours', tenantId, i);
      quietIds.push(id.toHexString(true));
      yield ['quiet_hours', {
        _id: id,
        tenantId,
        name: `nights-${i}`,
        timezone: r.pick(['UTC', 'Europe/Berlin', 'Asia/Tokyo']),
        startTime: r.pick(['22:00', '23:30']),
        endTime: r.pick(['06:00', '07:00']),
        daysOfWeek: r.bool(0.5) ? ['mon', 'tue', 'wed', 'thu', 'fri'] : ['sat', 'sun'],
        allowCritical: r.bool(0.7),
        enabled: r.bool(0.9),
        ...created(),
      }];
    }

    const ruleIds = [];
    for (let i = 0; i < count; i++) {
      const id = demoUuid(seed, 'rules', tenantId, i);
      ruleIds.push(id.toHexString(true));
      const doc: Document = {
        _id: id,
        tenantId,
        name: `route-${r.pick(EVENT_KINDS)}-${i}`,
        enabled: r.bool(0.85),
        eventKinds: [r.pick(EVENT_KINDS), r.pick(EVENT_KINDS)].filter((k, j, a) => a.indexOf(k) === j),
        minSeverity: r.pick(['none', 'low', 'medium', 'high', 'critical']),
        filter: r.bool(0.5) ? { namespaces: [r.pick(['payments', 'edge', 'platform'])], kevOnly: r.bool(0.3) } : {},
        channelIds: [r.pick(channelIds)],
        throttleSeconds: r.pick([0, 60, 300, 3600]),
        ...created(),
      };
      if (r.bool(0.5)) doc.description = 'routes findings to the owning team';
      if (r.bool(0.6)) doc.templateKey = r.pick(['scan-summary', 'new-critical', 'kev-alert']);
      if (r.bool(0.3)) doc.digestId = r.pick(digestIds);
      if (r.bool(0.3)) doc.escalationPolicyId = r.pick(escalationIds);
      if (r.bool(0.3)) doc.quietHoursId = r.pick(quietIds);
      yield ['rules', doc];
    }

    for (let i = 0; i < count * 3; i++) {
      const createdAt = before(now, r.int(0, 120 * 24) * HOUR + r.int(0, HOUR - 1));
      const state = r.pick(DELIVERY_STATES);
      const attempts = state === 'pending' || state === 'suppressed' || state === 'cancelled' ? 0 : r.int(1, 4);
      const doc: Document = {
        _id: r.objectId(),
        tenantId,
        channelId: r.pick(channelIds),
        eventId: `evt-${r.hex(12)}`,
        eventKind: r.pick(EVENT_KINDS),
        state,
        attempts,
        metadata: state === 'sent' ? { providerMessageId: `msg-${r.hex(10)}`, bodyHash: `sha256:${r.hex(16)}` } : {},
        createdAt,
        updatedAt: new Date(createdAt.getTime() + r.int(0, 120) * 1000),
      };
      if (r.bool(0.8)) doc.ruleId = r.pick(ruleIds);
      if (r.bool(0.5)) doc.recipient = `secops-${r.int(1, 9)}@example.org`;
      if (r.bool(0.5)) doc.templateKey = 'scan-summary';
      if (state === 'retrying') doc.nextAttemptAt = new Date(now.getTime() + r.int(1, 60) * 60_000);
      if (state === 'sent') doc.sentAt = new Date(createdAt.getTime() + r.int(1, 60) * 1000);
      if (state === 'failed' || state === 'retrying' || state === 'dead') doc.lastError = r.pick(['SMTP 451 temporary failure', 'webhook returned 502', 'rate limited by provider']);
      if (r.bool(0.4)) doc.correlationId = r.hex(16);
      yield ['deliveries', doc];
    }
  }
}
