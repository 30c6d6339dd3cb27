import { Decimal128 } from 'bson';
import { childPath, numberLossReason, type JsonLossIssue } from './exact-json.js';

/**
 * Strict checks of MongoDB Extended JSON v2 type wrappers (canonical and relaxed), run on the plain
 * `JSON.parse` value BEFORE bson's `EJSON.parse` reads it. bson is lenient where it matters:
 * `{"$date": "not-a-date"}` becomes an Invalid Date, `{"$numberInt": "1.5"}` becomes 1,
 * `{"$binary": {"base64": "!!!"}}` becomes empty bytes, `{"$oid": "...", "name": "x"}` drops `name`,
 * `{"$undefined": true}` becomes null, a misspelled `{"$Date": ...}` stays a sub-document. Every such
 * spot is reported here with its JSON path; where bson itself is strict (`$numberDecimal`) its
 * verdict is reused.
 *
 * Accepted: `$oid`, `$symbol`, `$numberInt`, `$numberLong`, `$numberDouble`, `$numberDecimal`,
 * `$binary` (v2 form), `$uuid`, `$date` (RFC 3339 string or `{"$numberLong": "<ms>"}`), `$timestamp`,
 * `$regularExpression`, `$code` (with optional `$scope`), `$minKey`, `$maxKey`, DBRef (`$ref`, `$id`,
 * optional `$db`). Refused: Extended JSON v1 forms (`$date` as a plain number, `$binary` string with
 * `$type`, `$regex`), deprecated `$undefined` and `$dbPointer`, and any other `$`-prefixed key.
 */

const INT = /^-?\d+$/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const HEX24 = /^[0-9a-fA-F]{24}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
/** The ECMAScript Date range, in milliseconds either side of 1970. */
const MAX_DATE_MS = 8.64e15;

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/**
 * Every Extended JSON problem of `value` (a plain `JSON.parse` result), with JSON paths from `path`.
 *
 * @example
 * extendedJsonIssues({ createdAt: { $date: 'not-a-date' } });
 * // [{ path: '$.createdAt', reason: '$date "not-a-date" is not an ISO-8601 date-time (YYYY-MM-DDTHH:MM:SS[.sss] and Z or ±HH:MM)' }]
 */
export function extendedJsonIssues(value: unknown, path = '$'): JsonLossIssue[] {
  const issues: JsonLossIssue[] = [];
  walk(value, path, issues);
  return issues;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(value: unknown, path: string, issues: JsonLossIssue[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, issues));
    return;
  }
  if (!isObject(value)) return;
  const keys = Object.keys(value);
  const dollar = keys.filter((k) => k.startsWith('$'));
  if (dollar.length === 0) {
    for (const k of keys) walk(value[k], childPath(path, k), issues);
    return;
  }
  const reason = wrapperIssue(value, keys, dollar, path, issues);
  if (reason) issues.push({ path, reason });
}

/** The problem of an object with `$` keys, or null; recurses into the parts that hold documents. */
function wrapperIssue(o: Obj, keys: string[], dollar: string[], path: string, issues: JsonLossIssue[]): string | null {
  if ('$ref' in o || '$id' in o || '$db' in o) return dbRefIssue(o, dollar, path, issues);
  const key = dollar[0]!;
  const check = WRAPPERS[key];
  if (!check) return REFUSED[key] ?? `${key} is not an Extended JSON type (misspelled?); a field name may not start with $`;
  const allowed = key === '$code' ? ['$code', '$scope'] : [key];
  const extra = keys.filter((k) => !allowed.includes(k));
  if (extra.length) return `${key} must be the only key of its object (also found ${extra.join(', ')}): the rest would be dropped`;
  return check(o[key], o, path, issues);
}

type WrapperCheck = (v: unknown, o: Obj, path: string, issues: JsonLossIssue[]) => string | null;

const integerIn = (name: string, v: unknown, [lo, hi]: readonly [bigint, bigint], what: string): string | null => {
  if (typeof v !== 'string' || !INT.test(v)) return `${name} ${show(v)} is not an integer string`;
  const n = BigInt(v);
  return n < lo || n > hi ? `${name} ${show(v)} is out of the ${what} range` : null;
};

const WRAPPERS: Record<string, WrapperCheck> = {
  $oid: (v) => (typeof v === 'string' && HEX24.test(v) ? null : `$oid ${show(v)} is not 24 hexadecimal digits`),
  $symbol: (v) => (typeof v === 'string' ? null : `$symbol ${show(v)} is not a string`),
  $numberInt: (v) => integerIn('$numberInt', v, INT32, '32-bit integer'),
  $numberLong: (v) => integerIn('$numberLong', v, INT64, '64-bit integer'),
  $numberDouble: (v) => {
    if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') return null;
    if (typeof v !== 'string' || !JSON_NUMBER.test(v)) return `$numberDouble ${show(v)} is not a number string (or Infinity, -Infinity, NaN)`;
    const loss = numberLossReason(v);
    return loss ? `$numberDouble: ${loss}` : null;
  },
  $numberDecimal: (v) => {
    if (typeof v !== 'string') return `$numberDecimal ${show(v)} is not a string`;
    try {
      Decimal128.fromString(v); // strict: refuses bad syntax, overflow and inexact rounding
      return null;
    } catch (e) {
      return `$numberDecimal ${show(v)} is not a valid decimal (${(e as Error).message})`;
    }
  },
  $binary: (v) => {
    if (typeof v === 'string') return '$binary as a string (with $type) is Extended JSON v1; write {"$binary": {"base64": "...", "subType": "00"}}';
    if (!isObject(v)) return `$binary ${show(v)} must be {"base64": "...", "subType": "<hex>"}`;
    const keys = Object.keys(v).sort().join(',');
    if (keys !== 'base64,subType') return `$binary must hold exactly base64 and subType (found ${Object.keys(v).join(', ') || 'nothing'})`;
    const { base64, subType } = v as { base64: unknown; subType: unknown };
    if (typeof subType !== 'string' || !/^[0-9a-fA-F]{1,2}$/.test(subType)) return `$binary subType ${show(subType)} is not 1 or 2 hexadecimal digits`;
    // Node's decoder skips characters it does not know and ignores bad padding bits: re-encode to be sure.
    if (typeof base64 !== 'string' || !BASE64.test(base64) || Buffer.from(base64, 'base64').toString('base64') !== base64) {
      return `$binary base64 ${show(base64)} is not canonical base64`;
    }
    if (parseInt(subType, 16) === 4 && Buffer.from(base64, 'base64').length !== 16) return '$binary of subType 04 (UUID) must hold 16 bytes';
    return null;
  },
  $uuid: (v) => (typeof v === 'string' && UUID.test(v) ? null : `$uuid ${show(v)} is not a hyphenated UUID (8-4-4-4-12 hexadecimal digits)`),
  $date: (v) => {
    if (typeof v === 'string') return dateStringIssue(v);
    if (typeof v === 'number') return `$date ${show(v)} is a plain number (Extended JSON v1); write {"$numberLong": "<milliseconds>"} or an ISO-8601 string`;
    if (isObject(v) && Object.keys(v).length === 1 && '$numberLong' in v) {
      const bad = integerIn('$date $numberLong', v.$numberLong, INT64, '64-bit integer');
      if (bad) return bad;
      return Math.abs(Number(v.$numberLong)) > MAX_DATE_MS ? `$date ${show(v)} is beyond the range of a date (±8.64e15 ms)` : null;
    }
    return `$date ${show(v)} must be an ISO-8601 string or {"$numberLong": "<milliseconds>"}`;
  },
  $timestamp: (v) => {
    const u32 = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
    if (!isObject(v) || Object.keys(v).sort().join(',') !== 'i,t' || !u32(v.t) || !u32(v.i)) {
      return `$timestamp ${show(v)} must be {"t": <uint32>, "i": <uint32>}`;
    }
    return null;
  },
  $regularExpression: (v) => {
    if (!isObject(v) || Object.keys(v).sort().join(',') !== 'options,pattern' || typeof v.pattern !== 'string' || typeof v.options !== 'string') {
      return `$regularExpression ${show(v)} must be {"pattern": "...", "options": "..."}`;
    }
    const options = v.options;
    if (!/^[ilmsux]*$/.test(options) || new Set(options).size !== options.length) return `$regularExpression options ${show(options)} must be distinct letters of ilmsux`;
    return null;
  },
  $code: (v, o, path, issues) => {
    if (typeof v !== 'string') return `$code ${show(v)} is not a string`;
    if ('$scope' in o) {
      if (!isObject(o.$scope)) return `$scope ${show(o.$scope)} is not a document`;
      walk(o.$scope, childPath(path, '$scope'), issues);
    }
    return null;
  },
  $minKey: (v) => (v === 1 ? null : `$minKey must be 1, got ${show(v)}`),
  $maxKey: (v) => (v === 1 ? null : `$maxKey must be 1, got ${show(v)}`),
};

const REFUSED: Record<string, string> = {
  $undefined: '$undefined (deprecated BSON undefined) would be stored as null; write null',
  $dbPointer: '$dbPointer (deprecated) would be stored as a DBRef; write {"$ref": ..., "$id": ...}',
  $regex: '$regex is Extended JSON v1 (or a query operator); write {"$regularExpression": {"pattern": "...", "options": "..."}}',
  $type: '$type belongs to Extended JSON v1 $binary; write {"$binary": {"base64": "...", "subType": "00"}}',
  $scope: '$scope without $code',
};

/** A DBRef: `$ref` string, `$id` any value, optional `$db` string, other fields not `$`-prefixed. */
function dbRefIssue(o: Obj, dollar: string[], path: string, issues: JsonLossIssue[]): string | null {
  if (typeof o.$ref !== 'string' || !('$id' in o) || ('$db' in o && typeof o.$db !== 'string')) {
    return `a DBRef needs "$ref" (string) and "$id", and "$db" if present must be a string (found ${show(o)})`;
  }
  const other = dollar.filter((k) => !['$ref', '$id', '$db'].includes(k));
  if (other.length) return `a DBRef may not hold other $ keys (found ${other.join(', ')})`;
  for (const k of Object.keys(o)) if (k !== '$ref' && k !== '$db') walk(o[k], childPath(path, k), issues);
  return null;
}

/**
 * RFC 3339 (the ISO-8601 profile relaxed Extended JSON uses), checked field by field: `Date.parse`
 * rolls 2021-02-30 over to March 2, reads a string without offset in the local time zone and
 * silently drops digits beyond the millisecond.
 */
function dateStringIssue(s: string): string | null {
  const m = RFC3339.exec(s);
  const label = `$date ${show(s)}`;
  if (!m) return `${label} is not an ISO-8601 date-time (YYYY-MM-DDTHH:MM:SS[.sss] and Z or ±HH:MM)`;
  const [, y, mo, d, h, mi, sec, frac, , sign, oh, om] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return `${label} is not a calendar date`;
  if (hour > 23 || minute > 59) return `${label} is not a time of day`;
  if (second > 59) return `${label}: second ${second} (a leap second) cannot be stored in a BSON date`;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return `${label} has an invalid UTC offset`;
  if (frac && /[1-9]/.test(frac.slice(3))) return `${label} is more precise than a millisecond (a BSON date would drop the rest)`;
  const ms = Number((frac ?? '').slice(0, 3).padEnd(3, '0'));
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0-99 to 1900-1999
  utc.setUTCHours(hour, minute, second, ms);
  const expected = utc.getTime() - offsetMin * 60_000;
  // bson reads the string with Date.parse: make sure it reads exactly what was checked.
  const parsed = Date.parse(s);
  return parsed === expected ? null : `${label} would be read as ${Number.isNaN(parsed) ? 'an invalid date' : new Date(parsed).toISOString()}`;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
