import { expect } from 'chai';
import pg from 'pg';
import { parseTimestamptz } from '../../src/postgres/timestamp-text.js';
import { pgAdminUrl } from '../setup/environment.js';

/**
 * timestamptz text as PostgreSQL prints it (DateStyle ISO, session in UTC) read back to the
 * millisecond: PostgreSQL prints each value and also gives its epoch milliseconds, and the two must
 * agree, for the common years (the fast path), the edges of its format (no fraction, 1 to 6
 * fractional digits) and the eras the general parser takes (years below 1000, BC, after 9999).
 */
describe('parseTimestamptz reads what PostgreSQL prints', () => {
  let client: pg.Client;
  const fallback = pg.types.getTypeParser(1184, 'text');

  before(async () => {
    client = new pg.Client({ connectionString: await pgAdminUrl(), options: '-c TimeZone=UTC' });
    await client.connect();
  });
  after(async () => client?.end());

  it('agrees with the epoch PostgreSQL computes, to the millisecond, in every era', async () => {
    // Seeded epochs (in microseconds) from 4000 BC to AD 12000, plus whole seconds and short fractions.
    let s = 7;
    const next = () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32;
    const micros: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const seconds = Math.floor(-188_000_000_000 + next() * 506_000_000_000);
      const fraction = [0, 500_000, 120_000, 123_000, 123_400, 123_456, 999_999][i % 7]!;
      micros.push(String(BigInt(seconds) * 1_000_000n + BigInt(fraction)));
    }
    const res = await client.query<{ text: string; ms: string }>(
      `select t::text as text, floor(extract(epoch from t) * 1000)::bigint::text as ms
         from unnest($1::bigint[]) as u(us), lateral (select timestamptz 'epoch' + make_interval(secs => u.us / 1e6)) as v(t)`,
      [micros],
    );
    expect(res.rows).to.have.length(micros.length);
    let fast = 0;
    for (const { text, ms } of res.rows) {
      const parsed = parseTimestamptz(text, fallback) as Date;
      expect(parsed.getTime(), text).to.equal(Number(ms));
      if (/^\d{4}-/.test(text) && !text.endsWith(' BC') && Number(text.slice(0, 4)) >= 1000) fast++;
    }
    expect(fast, 'values in the fast path').to.be.greaterThan(1000);
  });
});
