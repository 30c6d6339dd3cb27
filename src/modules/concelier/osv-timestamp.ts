/**
 * RFC 3339 timestamps as OSV writes them (`2024-05-01T10:00:00Z`, `2024-05-01T10:00:00.123456789Z`,
 * `...+02:00`, the Go placeholder `0001-01-01T00:00:00Z`) -> a millisecond Date, TRUNCATED (never
 * rounded) to the millisecond. The Date is an index key only; the exact text stays in the payload.
 * Returns a reason instead of a Date when the text is not a valid RFC 3339 date-time or falls
 * outside the JS Date range (the caller turns it into a ValidationError, hence a quarantine).
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;
/** ±8.64e15 ms: the JS Date range (ECMA-262 21.4.1.1). */
const MAX_TIME = 8.64e15;

export type TimestampResult = { readonly ok: true; readonly date: Date } | { readonly ok: false; readonly reason: string };

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * @example
 * parseOsvTimestamp('2023-06-06T17:43:49.1234567Z'); // { ok: true, date: 2023-06-06T17:43:49.123Z }
 * parseOsvTimestamp('2023-13-01T00:00:00Z');         // { ok: false, reason: 'month 13 ...' }
 */
export function parseOsvTimestamp(text: string): TimestampResult {
  const m = RFC3339.exec(text);
  if (!m) return { ok: false, reason: `${JSON.stringify(text.slice(0, 60))} is not an RFC 3339 date-time` };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return { ok: false, reason: `month ${month} out of range in ${JSON.stringify(text)}` };
  if (day < 1 || day > daysInMonth(year, month)) return { ok: false, reason: `day ${day} out of range in ${JSON.stringify(text)}` };
  if (hour > 23 || minute > 59) return { ok: false, reason: `time out of range in ${JSON.stringify(text)}` };
  // A leap second (:60) has no JS Date / PostgreSQL timestamptz value.
  if (second > 59) return { ok: false, reason: `second ${second} (leap second) cannot be represented in ${JSON.stringify(text)}` };
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { ok: false, reason: `offset out of range in ${JSON.stringify(text)}` };
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear: Date.UTC would map years 0-99 to 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  const time = d.getTime() - offsetMinutes * 60_000;
  if (!Number.isFinite(time) || Math.abs(time) > MAX_TIME) return { ok: false, reason: `${JSON.stringify(text)} is outside the JS Date range` };
  return { ok: true, date: new Date(time) };
}
