import type { OutputProbe, ProbeInputs } from '../../interfaces/module-definition.js';
import { allPages, sampleOf } from '../scheduler/probes.js';

const DAY_MS = 86_400_000;

/**
 * Notify's output-parity probes: deliveries by state (the sender's and the console's question), a
 * channel's deliveries in a time range, an event's deliveries, rules and channels by type or name,
 * a template by its key.
 */
export function notifyProbes(inputs: ProbeInputs): readonly OutputProbe[] {
  const now = inputs.now;
  const probes: OutputProbe[] = [];
  for (const state of ['pending', 'retrying', 'failed', 'sent']) {
    probes.push({ name: `delivery.byState.${state}`, entity: 'delivery', call: (repo, ctx) => allPages(repo, ctx, { where: { state } as never, order: 'byState' }) });
  }
  probes.push({
    name: 'delivery.ofChannel.last30Days#0',
    entity: 'delivery',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'delivery', ctx, 0);
      if (!s) return null;
      return allPages(repo, ctx, { where: { channelId: s.channelId } as never, order: 'byChannel', range: { field: 'createdAt', gte: new Date(now.getTime() - 30 * DAY_MS), lt: now } });
    },
  });
  probes.push({
    name: 'delivery.ofEvent#0',
    entity: 'delivery',
    call: async (repo, ctx) => {
      const s = sampleOf(inputs, 'delivery', ctx, 0);
      return s ? allPages(repo, ctx, { where: { eventId: s.eventId } as never, order: 'byEvent' }) : null;
    },
  });
  probes.push({ name: 'delivery.last7Days', entity: 'delivery', call: (repo, ctx) => allPages(repo, ctx, { range: { field: 'createdAt', gte: new Date(now.getTime() - 7 * DAY_MS), lt: now } }) });
  for (const type of ['email', 'webhook', 'slack']) {
    probes.push({ name: `channel.byType.${type}`, entity: 'channel', call: (repo, ctx) => allPages(repo, ctx, { where: { type } as never, order: 'byType' }) });
  }
  probes.push({ name: 'rule.enabled', entity: 'rule', call: (repo, ctx) => allPages(repo, ctx, { where: { enabled: true } as never }) });
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
  probes.push({ name: 'digest.enabled', entity: 'digest', call: (repo, ctx) => allPages(repo, ctx, { where: { enabled: true } as never }) });
  return probes;
}
