import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../src/codec/canonical.js';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { MODULES } from '../../src/modules/registry.js';
import { comparedForm, comparedText, rowDigest } from '../../src/parity/canonical-row.js';
import { T1, T2 } from './parity-fixture.js';

/** The digest as parity first defined it: sha256 of RFC 8785 text (the canonicalize package) of the compared form. */
function referenceDigest(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): Buffer {
  return createHash('sha256').update(canonicalJson(comparedForm(spec, entity, legacyId))).digest().subarray(0, 16);
}

describe('parity: compared text of a row', () => {
  it('is the canonical JSON of the compared form, character for character, for every module demo entity', () => {
    let checked = 0;
    for (const module of MODULES) {
      if (!module.demo) continue;
      const docs = module.demo({ tenants: [T1, T2], count: 6, seed: 7, now: new Date('2026-03-01T00:00:00Z'), corpusDir: null });
      for (const [collection, doc] of docs) {
        const spec = module.entities.find((s) => s.collection === collection)!;
        let decoded;
        try {
          decoded = decodeDocument(spec, doc);
        } catch {
          continue; // demo data may hold deliberately bad documents
        }
        expect(comparedText(spec, decoded.entity, decoded.legacyId)).to.equal(canonicalJson(comparedForm(spec, decoded.entity, decoded.legacyId)));
        expect(Buffer.from(rowDigest(spec, decoded.entity, decoded.legacyId), 'latin1').equals(referenceDigest(spec, decoded.entity, decoded.legacyId))).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(100);
  });

  it('spells edge values as canonicalize does: non-finite and negative-zero floats, bigints, bytes, arrays, escapes, nulls', () => {
    const spec: EntitySpec = {
      module: 'Test',
      name: 'edge',
      collection: 'edges',
      schema: 'test',
      table: 'edges',
      tenantScoped: false,
      tier: { tier: 'A' },
      orders: { default: { fields: [{ field: 'id', dir: 'asc' }] } },
      fields: [
        { name: 'zeta', type: 'text', nullable: true },
        { name: 'Alpha', type: 'float', nullable: true, allowNonFinite: true },
        { name: 'count', type: 'bigint', nullable: true },
        { name: 'blob', type: 'bytes', nullable: true },
        { name: 'tags', type: 'text[]', nullable: true },
        { name: 'at', type: 'timestamp', nullable: true },
        { name: 'doc', type: 'json', nullable: true },
        { name: 'on', type: 'bool', nullable: true },
        { name: 'é', type: 'int', nullable: true },
      ],
    } as unknown as EntitySpec;
    const cases: Record<string, unknown>[] = [
      { id: '0f8f1b2e-aaaa-5bbb-8ccc-123456789abc', zeta: 'quote " backslash \\ nl \n \u2028 \u0001 😀', Alpha: NaN, count: -12345678901234567890n, blob: Buffer.from([0, 255, 1]), tags: ['b', 'a', '"'], at: new Date(Date.UTC(1, 0, 1)), doc: { b: [1, { z: 1, a: -0 }], a: 1e21, c: 0.1 }, on: false, 'é': -0 },
      { id: '0f8f1b2e-aaaa-5bbb-8ccc-123456789abd', zeta: null, Alpha: -Infinity, count: null, blob: null, tags: [], at: null, doc: null, on: true, 'é': 2147483647 },
      { id: '0f8f1b2e-aaaa-5bbb-8ccc-123456789abe', Alpha: -0, count: 0n, blob: Buffer.alloc(0), doc: [] },
      // Dates at and past the edges of years 1..9999, strings with lone surrogates and every control character.
      ...[
        Date.parse('0001-01-01T00:00:00.000Z'),
        Date.parse('0001-01-01T00:00:00.000Z') - 1,
        Date.parse('9999-12-31T23:59:59.999Z'),
        Date.parse('9999-12-31T23:59:59.999Z') + 1,
        -8_640_000_000_000_000,
        8_640_000_000_000_000,
        0,
        -1,
      ].map((t, i) => ({
        id: `0f8f1b2e-aaaa-5bbb-8ccc-1234567890${String(i).padStart(2, '0')}`,
        at: new Date(t),
        zeta: ['lone \ud800 high', 'lone \udc00 low', '\udc00\ud800 reversed', String.fromCharCode(...Array.from({ length: 32 }, (_, c) => c)), 'plain ascii', 'é ü 中文', '\u007f del', '😀 pair'][i],
      })),
    ];
    for (const entity of cases) {
      expect(comparedText(spec, entity, 'str:x"y')).to.equal(canonicalJson(comparedForm(spec, entity, 'str:x"y')));
      expect(Buffer.from(rowDigest(spec, entity, 'str:x"y'), 'latin1').equals(referenceDigest(spec, entity, 'str:x"y'))).to.equal(true);
    }
    // Different values never share a text.
    expect(comparedText(spec, cases[1]!, 'str:a')).to.not.equal(comparedText(spec, { ...cases[1]!, on: false }, 'str:a'));
  });
});
