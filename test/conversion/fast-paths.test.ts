import { expect } from 'chai';
import { v5 as uuidv5 } from 'uuid';
import { fieldsOf, type ResolvedField } from '../../src/codec/fields.js';
import { isoDate } from '../../src/codec/iso-date.js';
import { uuidTextKind } from '../../src/codec/uuid-text.js';
import { uuidV5 } from '../../src/codec/uuid-v5.js';
import { copyLine, copyRowEncoder, isoTimestamp, legacyExtraText, pgText } from '../../src/conversion/pg-text.js';
import type { EntitySpec } from '../../src/interfaces/entity-spec.js';

/**
 * The conversion's hand-written hot paths against the reference each one replaces: the `uuid`
 * package's v5, `Date.prototype.toISOString`, the UUID regular expressions, and the generic
 * `copyLine(pgText(...))` COPY spelling. Inputs are pseudo-random from a fixed seed plus the edges.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

describe('conversion fast paths equal their references', () => {
  it('uuidV5 equals the uuid package for names of every length and script', () => {
    const random = rng(1);
    const namespace = '7b0f3e9a-4c1d-5e2f-8a6b-9c0d1e2f3a4b';
    const bytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
    const names = ['', 'oid:65c000000000000000000001', 'x'.repeat(39), 'x'.repeat(40), 'x'.repeat(48), 'é'.repeat(30), '😀'.repeat(20)];
    for (let i = 0; i < 3000; i++) {
      let name = '';
      const length = Math.floor(random() * 150);
      for (let k = 0; k < length; k++) {
        const r = random();
        name += r < 0.8 ? String.fromCharCode(32 + Math.floor(random() * 95)) : r < 0.95 ? String.fromCharCode(0xa0 + Math.floor(random() * 0x5000)) : '😀';
      }
      names.push(name);
    }
    for (const name of names) expect(uuidV5(bytes, name), JSON.stringify(name)).to.equal(uuidv5(name, namespace));
  });

  it('isoTimestamp equals toISOString for years 1 to 9999, and spells other years with their era as PostgreSQL does', () => {
    const random = rng(2);
    const edges = [0, -1, 1, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 253_402_300_799_999, -62_135_596_800_000, -62_198_755_200_000 + 86_400_000 * 400];
    const times = [...edges, ...Array.from({ length: 20_000 }, () => Math.floor((random() - 0.2) * 3e14))].filter((t) => {
      const y = new Date(t).getUTCFullYear();
      return y >= 1 && y <= 9999;
    });
    for (const t of times) expect(isoTimestamp(new Date(t)), String(t)).to.equal(new Date(t).toISOString());
    // ISO year 0 is 1 BC; -4368 is 4369 BC.
    expect(isoTimestamp(new Date(Date.UTC(0, 0, 1)) /* year 0 */)).to.not.equal('');
    const y0 = new Date('0000-03-01T00:00:00.000Z');
    expect(isoTimestamp(y0)).to.equal('0001-03-01 00:00:00.000+00 BC');
    expect(isoTimestamp(new Date('-004368-04-02T04:26:40.000Z'))).to.equal('4369-04-02 04:26:40.000+00 BC');
    expect(isoTimestamp(new Date('+010000-01-01T00:00:00.000Z'))).to.equal('10000-01-01 00:00:00.000+00');
    expect(isoTimestamp(new Date(8.64e15))).to.equal('275760-09-13 00:00:00.000+00');
  });

  it('isoDate equals toISOString for every date, invalid ones included', () => {
    const random = rng(3);
    const edges = [0, -1, 1, 253_402_300_799_999, 253_402_300_800_000, -62_135_596_800_000, -8.64e15, 8.64e15];
    const times = [...edges, ...Array.from({ length: 20_000 }, () => Math.floor((random() * 2 - 1) * 8.64e15 * (random() < 0.5 ? 1 : 0.0001)))];
    for (const t of times) expect(isoDate(new Date(t)), String(t)).to.equal(new Date(t).toISOString());
    expect(() => isoDate(new Date(Number.NaN))).to.throw(RangeError);
  });

  it('uuidTextKind agrees with the UUID regular expressions', () => {
    const lower = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const random = rng(3);
    const alphabet = '0123456789abcdefABCDEFg-xZ\u212a ';
    const samples = ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10', '3F1C7A52-8F0E-4A59-9D3E-0B7A1F6F2A10', '3f1c7a528f0e-4a59-9d3e-0b7a1f6f2a10-', '', 'g'.repeat(36)];
    for (let i = 0; i < 20_000; i++) {
      const base = [...'3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10'];
      const changes = Math.floor(random() * 3);
      for (let k = 0; k < changes; k++) base[Math.floor(random() * 36)] = alphabet[Math.floor(random() * alphabet.length)]!;
      samples.push(base.join(''));
    }
    for (const s of samples) {
      const expected = lower.test(s) ? 1 : lower.test(s.toLowerCase()) ? 2 : 0;
      expect(uuidTextKind(s), s).to.equal(expected);
    }
  });

  it('copyRowEncoder writes what copyLine(pgText(...)) writes, for every field type', () => {
    const spec: EntitySpec = {
      module: 'Authority',
      name: 'fast_path',
      collection: 'fast_paths',
      schema: 'conv_test',
      table: 'fast_path',
      fields: [
        { name: 'text', type: 'text', nullable: true },
        { name: 'int', type: 'int', nullable: true },
        { name: 'big', type: 'bigint', nullable: true },
        { name: 'float', type: 'float', nullable: true, allowNonFinite: true },
        { name: 'numeric', type: 'numeric', nullable: true },
        { name: 'bool', type: 'bool', nullable: true },
        { name: 'at', type: 'timestamp', nullable: true },
        { name: 'json', type: 'json', nullable: true },
        { name: 'bytes', type: 'bytes', nullable: true },
        { name: 'tags', type: 'text[]', nullable: true },
        { name: 'refs', type: 'uuid[]', nullable: true },
      ],
      uniqueKeys: [],
      orders: { default: { fields: [{ field: 'createdAt', dir: 'asc' }] } },
      tier: { tier: 'A' },
    };
    const fields: readonly ResolvedField[] = fieldsOf(spec);
    const encode = copyRowEncoder(fields);
    const rows: Record<string, unknown>[] = [
      Object.fromEntries(fields.map((f) => [f.name, null])),
      {
        id: '3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10',
        tenantId: '11111111-1111-4111-8111-111111111111',
        createdAt: new Date(Date.UTC(2025, 0, 1)),
        updatedAt: new Date(-1),
        text: 'tab\there, newline\nthere, cr\r, backslash \\ and é',
        int: -7,
        big: 9_007_199_254_740_993n,
        float: -0,
        numeric: '-1.50',
        bool: false,
        at: new Date(253_402_300_800_000),
        json: { a: ['x\ty', 1.5, null], 'k\\': { n: true } },
        bytes: Buffer.from([0, 1, 254, 255]),
        tags: ['a"b', 'c\\d', 'e\tf'],
        refs: ['3f1c7a52-8f0e-4a59-9d3e-0b7a1f6f2a10'],
      },
      { float: Number.NaN, text: '', tags: [], json: 'just a string', bool: true, at: new Date(0) },
    ];
    for (const row of rows) {
      const legacyId = 'str:a\tb\\c';
      expect(encode(row, legacyId)).to.equal(copyLine([...fields.map((f) => pgText(f, row[f.name])), legacyExtraText(row), legacyId]));
    }
  });
});
