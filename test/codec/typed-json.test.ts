import { expect } from 'chai';
import { deepStrictEqual } from 'node:assert';
import pg from 'pg';
import { Binary, BSONRegExp, Decimal128, deserialize, Double, Int32, Long, MaxKey, MinKey, ObjectId, serialize, Timestamp } from 'bson';
import { toTypedValue, typedFromJson, typedToJson } from '../../src/codec/typed-json.js';
import { createTestDatabase, type TestDatabase } from '../setup/environment.js';

/**
 * The typed JSON encoding (src/codec/typed-json.ts): BSON values through jsonb and back, exactly, and the
 * escape rule for a payload's own `$` keys, both ways.
 */
describe('typed JSON encoding', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let client: pg.Client;
  before(async () => {
    db = await createTestDatabase('typed_json');
    client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await db?.drop();
  });

  /** Writes the encoding into jsonb and reads it back, as the repositories do. */
  async function throughJsonb(value: unknown): Promise<unknown> {
    const res = await client.query('select $1::jsonb as v', [JSON.stringify(typedToJson(value))]);
    return typedFromJson(res.rows[0].v);
  }

  it('plain JSON encodes as it is (existing payloads and digests unchanged)', () => {
    const plain = { a: [1, 2.5, 'x', null, true], b: { c: {} }, '10': 'k', 'a.b': -3 };
    expect(typedToJson(plain)).to.deep.equal(plain);
    expect(typedFromJson(plain)).to.deep.equal(plain);
  });

  it('keeps every BSON type byte for byte through PostgreSQL jsonb', async () => {
    const legacy = {
      d: new Date(-200_000_000_000_000), big: Long.fromString('-9223372036854775808'), small: Long.fromNumber(1), i: new Int32(-5), dbl: new Double(5), frac: 0.1,
      big2: new Double(1e300), nan: NaN, inf: Infinity, ninf: -Infinity, negz: new Double(-0), dec: Decimal128.fromString('-0.00E-10'),
      oid: new ObjectId('0123456789abcdef01234567'), bin: new Binary(Buffer.from('hello'), 0), uuid: new Binary(Buffer.alloc(16, 7), 4),
      ts: new Timestamp({ t: 0xffffffff, i: 1 }), re: new BSONRegExp('a|b', 'imsx'), min: new MinKey(), max: new MaxKey(), arr: [new Int32(1), new Double(1), Long.fromNumber(1)],
    };
    const bytes = serialize(legacy);
    const exact = deserialize(bytes, { promoteValues: false, promoteLongs: false, bsonRegExp: true });
    const domain = toTypedValue(exact);
    const back = await throughJsonb(domain);
    deepStrictEqual(back, domain);
    // jsonb orders keys its own way: each value, not the key order, comes back byte for byte.
    for (const [k, v] of Object.entries(exact)) expect(Buffer.from(serialize({ v: (back as Record<string, unknown>)[k] })).toString('hex'), k).to.equal(Buffer.from(serialize({ v })).toString('hex'));
    expect(Buffer.from(serialize(domain as object)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it('escape rule: a payload key starting with $ gets one more $, and loses it on read', async () => {
    const payload = { $set: { status: 'x' }, $schema: 'https://json-schema.org/draft/2020-12/schema', $numberLong: '12', $$twice: 1, nested: [{ $date: 'not a date' }], plain: { $oid: 'zz' } };
    const json = typedToJson(payload) as Record<string, unknown>;
    expect(json).to.deep.equal({ $$set: { status: 'x' }, $$schema: 'https://json-schema.org/draft/2020-12/schema', $$numberLong: '12', $$$twice: 1, nested: [{ $$date: 'not a date' }], plain: { $$oid: 'zz' } });
    deepStrictEqual(await throughJsonb(payload), payload);
    // The other way: wrappers read as BSON values, escaped keys as the payload's own keys.
    deepStrictEqual(typedFromJson({ $numberLong: '12' }), Long.fromString('12'));
    deepStrictEqual(typedFromJson({ $$numberLong: '12' }), { $numberLong: '12' });
    deepStrictEqual(typedFromJson({ $$$numberLong: '12' }), { $$numberLong: '12' });
  });

  it('reads a pre-escape payload whose $ keys are no wrapper literally', () => {
    deepStrictEqual(typedFromJson({ $set: { a: 1 } }), { $set: { a: 1 } });
    deepStrictEqual(typedFromJson({ $numberLong: 'abc' }), { $numberLong: 'abc' });
  });
});
