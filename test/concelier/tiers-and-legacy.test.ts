import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { serialize } from 'bson';
import { canonicalJson } from '../../src/codec/canonical.js';
import { PersistenceError } from '../../src/interfaces/errors.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { advisory, advisoryRaw, concelierEntities, RAW_WINDOW_DAYS } from '../../src/modules/concelier/entities.js';
import { concelierDemo } from '../../src/modules/concelier/demo.js';
import { concelierModule } from '../../src/modules/concelier/index.js';

const DAY = 86_400_000;
const now = new Date('2026-01-15T12:00:00.000Z');

function keep(entity: Record<string, unknown>): boolean {
  const tier = advisoryRaw.tier;
  if (tier.tier !== 'B') throw new Error('advisory_raw must be tier B');
  return tier.keep(entity, now);
}

describe('Concelier: tiers and legacy documents', () => {
  it('declares the plan tiers: A for advisory, alias, affected, source, source_state; B for advisory_raw; C for jobs and locks', () => {
    const tiers = Object.fromEntries(concelierEntities.map((s) => [s.name, s.tier.tier]));
    expect(tiers).to.deep.equal({ source: 'A', source_state: 'A', advisory: 'A', alias: 'A', affected: 'A', advisory_raw: 'B', job: 'C', lock: 'C' });
    expect(concelierEntities.filter((s) => s.tier.tier === 'C').map((s) => s.collection)).to.deep.equal(['concelier.jobs', 'concelier.locks']);
  });

  it('tier B window of advisory_raw: current references always, superseded ones fetched in the last 90 days', () => {
    const fetched = (days: number) => new Date(now.getTime() - days * DAY);
    expect(keep({ supersededAt: null, fetchedAt: fetched(3000) })).to.equal(true);
    expect(keep({ supersededAt: fetched(1), fetchedAt: fetched(RAW_WINDOW_DAYS - 1) })).to.equal(true);
    expect(keep({ supersededAt: fetched(1), fetchedAt: fetched(RAW_WINDOW_DAYS) })).to.equal(true);
    expect(keep({ supersededAt: fetched(1), fetchedAt: new Date(fetched(RAW_WINDOW_DAYS).getTime() - 1) })).to.equal(false);
  });

  it('decodes a legacy advisory: the payload is the truth, hot fields are recomputed from it', () => {
    const tenantId = randomUUID();
    const payload = { id: 'GO-1', modified: '2024-01-01T00:00:00.5555Z', aliases: ['CVE-1'], affected: [{ package: { ecosystem: 'Go' } }] };
    const doc = { _id: 'GO-1', tenantId, sourceKey: 'go', advisoryKey: 'GO-1', payload, contentHash: 'stale', modified: new Date('1999-01-01T00:00:00Z'), createdAt: now, updatedAt: now };
    const { entity, legacyId } = decodeDocument(advisory, doc);
    expect(legacyId).to.equal('str:GO-1');
    expect((entity.modifiedAt as Date).toISOString()).to.equal('2024-01-01T00:00:00.555Z');
    expect(entity.contentHash).to.not.equal('stale');
    expect(entity.aliases).to.deep.equal(['CVE-1']);
    expect(entity.ecosystems).to.deep.equal(['Go']);
  });

  it('refuses (for quarantine, with the reason) a legacy advisory whose timestamp has no Date', () => {
    const doc = { _id: 'GO-2', tenantId: randomUUID(), sourceKey: 'go', advisoryKey: 'GO-2', payload: { id: 'GO-2', modified: '2016-12-31T23:59:60Z' }, contentHash: 'x', createdAt: now, updatedAt: now };
    expect(() => decodeDocument(advisory, doc)).to.throw(PersistenceError, /payload\.modified: .*leap second/);
  });

  describe('demo', () => {
    const options = { tenants: [randomUUID(), randomUUID()], count: 8, seed: 42, now, corpusDir: null };

    it('is deterministic: the same options give byte-identical legacy documents', () => {
      const a = [...concelierDemo(options)].map(([c, d]) => `${c}:${Buffer.from(serialize(d)).toString("hex")}`);
      const b = [...concelierDemo(options)].map(([c, d]) => `${c}:${Buffer.from(serialize(d)).toString("hex")}`);
      expect(a).to.deep.equal(b);
      expect(a.length).to.be.greaterThan(50);
    });

    it('yields documents every collection decodes, both sides of the tier-B window, and tier-C documents', () => {
      const byCollection = new Map<string, number>();
      let outside = 0;
      let placeholder = 0;
      for (const [collection, doc] of concelierDemo(options)) {
        byCollection.set(collection, (byCollection.get(collection) ?? 0) + 1);
        const spec = concelierModule.entities.find((s) => s.collection === collection)!;
        const { entity } = decodeDocument(spec, doc);
        if (spec === advisoryRaw && !keep(entity)) outside++;
        if (spec === advisory && canonicalJson((entity.payload as Record<string, unknown>).modified) === '"0001-01-01T00:00:00Z"') placeholder++;
      }
      expect([...byCollection.keys()].sort()).to.deep.equal(['advisory', 'advisory_raw', 'affected', 'alias', 'concelier.jobs', 'concelier.locks', 'source', 'source_state']);
      expect(outside).to.be.greaterThan(0);
      expect(byCollection.get('advisory_raw')! - outside).to.be.greaterThan(0);
      expect(placeholder).to.be.greaterThan(0);
    });
  });
});
