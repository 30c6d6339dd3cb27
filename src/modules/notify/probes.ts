import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import { listProbe, sampleOf, type OrderedProbe } from '../scheduler/probes.js';

const DAY_MS = 86_400_000;

/**
 * Notify's output-parity probes: deliveries by state (the sender's and the console's question), a
 * channel's deliveries in a time range, an event's deliveries, rules and channels by type or name,
 * a template by its key.
 */
export function notifyProbes(inputs: ProbeInputs): readonly OutputProbe[] {
  const now = inputs.now;
  const lastDays = (days: number) => ({ field: 'createdAt', gte: new Date(now.getTime() - days * DAY_MS), lt: now });
  const probes: OrderedProbe[] = [];
  for (const state of ['pending', 'retrying', 'failed', 'sent']) {
    probes.push(listProbe(`delivery.byState.${state}`, 'delivery', 'byState', () => ({ where: { state } as never })));
  }
  probes.push(listProbe('delivery.ofChannel.last30Days#0', 'delivery', 'byChannel', (ctx) => {
    const s = sampleOf(inputs, 'delivery', ctx, 0);
    return s ? { where: { channelId: s.channelId } as never, range: lastDays(30) } : null;
  }));
  probes.push(listProbe('delivery.ofEvent#0', 'delivery', 'byEvent', (ctx) => {
    const s = sampleOf(inputs, 'delivery', ctx, 0);
    return s ? { where: { eventId: s.eventId } as never } : null;
  }));
  probes.push(listProbe('delivery.last7Days', 'delivery', 'default', () => ({ range: lastDays(7) })));
  for (const type of ['email', 'webhook', 'slack']) {
    probes.push(listProbe(`channel.byType.${type}`, 'channel', 'byType', () => ({ where: { type } as never })));
  }
  probes.push(listProbe('rule.enabled', 'rule', 'default', () => ({ where: { enabled: true } as never })));
  probes.push({
    name: 'rule.byName#0',
    entity: 'rule',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'rule', ctx, 0);
      return s ? repo.findOne(ctx, { name: s.name } as never) : null;
    },
  });
  probes.push({
    name: 'template.byKey#0',
    entity: 'template',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'template', ctx, 0);
      return s ? repo.findOne(ctx, { key: s.key, channelType: s.channelType, locale: s.locale } as never) : null;
    },
  });
  probes.push(listProbe('digest.enabled', 'digest', 'default', () => ({ where: { enabled: true } as never })));
  probes.push(listProbe('quiet_hours.all', 'quiet_hours', 'default', () => ({})));
  probes.push(listProbe('escalation_policy.all', 'escalation_policy', 'default', () => ({})));
  return probes;
}
