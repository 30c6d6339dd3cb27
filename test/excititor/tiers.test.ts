import { expect } from 'chai';
import type { TierSpec } from '../../src/interfaces/entity-spec.js';
import { excititorModule } from '../../src/modules/excititor/index.js';
import { cacheEntry, rawDocument, timelineEvent, timelineHorizon } from '../../src/modules/excititor/entities.js';

const now = new Date('2026-11-21T10:00:00.000Z');
const DAY = 86_400_000;
const keep = (tier: TierSpec, e: Record<string, unknown>) => (tier.tier === 'B' ? tier.keep(e, now) : tier.tier === 'A');

describe('Excititor tier predicates (conversion plan 3.2)', () => {
  it('declares A for statements, observations, linksets, consensus, facts, packages, decisions, unknowns, audit; B for raw and timeline; C for cache', () => {
    const tiers = Object.fromEntries(excititorModule.entities.map((e) => [e.collection, e.tier.tier]));
    expect(tiers).to.deep.equal({
      'vex.statements': 'A', 'vex.observations': 'A', 'vex.linksets': 'A', 'vex.consensus': 'A', 'vex.raw': 'B', 'vex.cache': 'C',
      'vex.vuln_facts': 'A', 'vex.packages': 'A', 'vex.decisions': 'A', 'vex.timeline_events': 'B', 'vex.unknown_items': 'A', 'vex.audit': 'A',
    });
    expect(cacheEntry.tier.tier).to.equal('C');
  });

  it('raw documents: pending ones always move, processed ones only within 30 days', () => {
    const at = (days: number) => new Date(now.getTime() - days * DAY);
    expect(keep(rawDocument.tier, { retrievedAt: at(400), processedAt: null })).to.equal(true);
    expect(keep(rawDocument.tier, { retrievedAt: at(29), processedAt: at(29) })).to.equal(true);
    expect(keep(rawDocument.tier, { retrievedAt: at(30), processedAt: at(30) })).to.equal(true);
    expect(keep(rawDocument.tier, { retrievedAt: new Date(at(30).getTime() - 1), processedAt: at(29) })).to.equal(false);
  });

  it('timeline events: from the first retained partition month on (12 months back, month start)', () => {
    const horizon = timelineHorizon(now);
    expect(horizon.toISOString()).to.equal('2025-11-01T00:00:00.000Z');
    expect(keep(timelineEvent.tier, { occurredAt: horizon })).to.equal(true);
    expect(keep(timelineEvent.tier, { occurredAt: new Date(horizon.getTime() - 1) })).to.equal(false);
  });
});
