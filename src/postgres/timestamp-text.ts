/** Timestamps as PostgreSQL input text (COPY and parameters share it: src/conversion/pg-text.ts, row-codec.ts). */
import { DIGITS2, DIGITS3, isoDate, YEAR_10000_MS } from '../codec/iso-date.js';

/**
 * PostgreSQL input text of a timestamptz, exact to the millisecond, for any date PostgreSQL can hold
 * (4713 BC to 294276 AD) and every path (COPY text, query parameters). For 1970..9999 it is
 * `date.toISOString()` (through the fast `isoDate`). Other years are spelled as PostgreSQL prints them,
 * `4369-04-02 04:26:40.000+00 BC` or `10000-01-01 00:00:00.000+00`: `toISOString`'s `-004368-...`
 * and `+010000-...` are forms PostgreSQL does not parse.
 *
 * @example
 * isoTimestamp(new Date(Date.UTC(-4368, 3, 2))); // '4369-04-02 00:00:00.000+00 BC'
 */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  return ms >= 0 && ms < YEAR_10000_MS ? isoDate(date) : eraTimestamp(date);
}

/** Dates outside 1970..9999: years 1..9999 by the built-in, others with the era spelled out (ISO year 0 is 1 BC). */
function eraTimestamp(date: Date): string {
  const y = date.getUTCFullYear();
  if (Number.isNaN(y)) throw new RangeError('Invalid Date');
  if (y >= 1 && y <= 9999) return date.toISOString();
  const bc = y <= 0;
  const year = String(bc ? 1 - y : y).padStart(4, '0');
  const p2 = (n: number) => DIGITS2[n]!;
  const time = `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())}.${DIGITS3[date.getUTCMilliseconds()]}`;
  return `${year}-${p2(date.getUTCMonth() + 1)}-${p2(date.getUTCDate())} ${time}+00${bc ? ' BC' : ''}`;
}

const PG_TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

/**
 * A timestamptz as PostgreSQL prints it (DateStyle ISO) -> Date, exactly to the millisecond, for every
 * era: `4369-04-02 04:26:40+00 BC`, `0001-02-29 12:00:00+00 BC` (1 BC is a leap year), `10000-01-01 ...`.
 * The driver's own parser gets BC leap days wrong; this one is used for years outside 1..9999 and
 * hands everything else (and `infinity`) to `fallback`.
 *
 * @example
 * parseTimestamptz('0001-02-29 12:34:56.789+00 BC', fallback).toISOString(); // '0000-02-29T12:34:56.789Z'
 */
export function parseTimestamptz(text: string, fallback: (text: string) => unknown): unknown {
  const utc = utcTimestamp(text);
  if (utc !== null) return utc;
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m || (!m[12] && m[1]!.length === 4)) return fallback(text);
  const year = m[12] ? 1 - Number(m[1]) : Number(m[1]);
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)));
  const offsetSeconds = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  return new Date(d.getTime() - offsetSeconds * 1000);
}

/** Digit value of the character at `i`, or -1. */
function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * The common case read fast: `YYYY-MM-DD HH:MM:SS[.f...]+00` (the session runs in UTC), years
 * 1000..9999, to the millisecond (further digits cut, as the driver's parser does); null for
 * anything else, which the general parser takes.
 */
function utcTimestamp(text: string): Date | null {
  const n = text.length;
  if (n < 22 || text.charCodeAt(n - 3) !== 43 || text.charCodeAt(n - 2) !== 48 || text.charCodeAt(n - 1) !== 48) return null;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null;
  const two = (i: number) => {
    const a = digitAt(text, i);
    const b = digitAt(text, i + 1);
    return a < 0 || b < 0 ? -1 : a * 10 + b;
  };
  const century = two(0);
  const yy = two(2);
  const month = two(5);
  const day = two(8);
  const hour = two(11);
  const minute = two(14);
  const second = two(17);
  if (century < 10 || yy < 0 || month < 1 || day < 1 || hour < 0 || minute < 0 || second < 0) return null;
  let ms = 0;
  if (n > 22) {
    if (text.charCodeAt(19) !== 46 || n - 23 > 6) return null;
    for (let i = 20, scale = 100; i < n - 3; i++, scale /= 10) {
      const d = digitAt(text, i);
      if (d < 0) return null;
      if (scale >= 1) ms += d * scale;
    }
  }
  return new Date(Date.UTC(century * 100 + yy, month - 1, day, hour, minute, second, ms));
}
