import { Binary, BSONRegExp, BSONSymbol, Code, DBRef, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';

/**
 * The typed JSON encoding: how a `json` field (and the legacy overflow, `legacyExtra`) holds any BSON
 * value exactly in PostgreSQL jsonb, in the pending log and in parity's canonical form.
 *
 * **Domain value** (what every repository returns, on every backend, for a `json` field): plain JSON
 * (null, boolean, string, number, arrays, plain objects) plus these `bson` classes where the legacy
 * document had a BSON-only type: `Long` (every Int64, even a small one), `Double` (only an integral
 * double within the Int32 range, e.g. `5.0`, which a JS number would turn into an Int32), `Decimal128`,
 * `Date`, `ObjectId`, `Binary` (UUIDs included), `Timestamp`, `BSONRegExp`, `MinKey`, `MaxKey`,
 * `Code`, `BSONSymbol`. A JS number stands for what `BSON.serialize` writes for it: an Int32 when
 * integral and within 32 bits, else a double (NaN, ±Infinity and -0 included). So serialising the
 * domain value gives the legacy bytes back, value for value.
 *
 * **Encoding** (plain JSON): plain JSON stays exactly as it is, so payloads without BSON types or
 * `$` keys encode as they always did. BSON-only values become canonical Extended JSON v2 wrappers:
 * `{"$numberLong":"9007199254740993"}`, `{"$numberDouble":"NaN"}` (also `"Infinity"`, `"-Infinity"`,
 * `"-0.0"`, `"5.0"`), `{"$numberDecimal":"1.50"}`, `{"$date":{"$numberLong":"-200000000000000"}}`,
 * `{"$oid":"..."}`, `{"$binary":{"base64":"...","subType":"04"}}`, `{"$timestamp":{"t":1,"i":2}}`,
 * `{"$regularExpression":{"pattern":"^a","options":"i"}}`, `{"$minKey":1}`, `{"$maxKey":1}`,
 * `{"$code":"..."}` (with `"$scope"`), `{"$symbol":"..."}`.
 *
 * **Escape rule**: a key of the payload's own that starts with `$` is written with one more leading
 * `$` (`$set` -> `$$set`, `$$x` -> `$$$x`) and loses it on read. After escaping, a key starting with a
 * single `$` is always a wrapper, so `{"$numberLong":"1"}` written by a user (stored as
 * `{"$$numberLong":"1"}`) is never mistaken for an Int64. Reading is lenient for data written before
 * the rule: an object with single-`$` keys that is no wrapper reads literally.
 *
 * @example
 * typedToJson({ at: new Date(0), n: Long.fromString('9007199254740993'), $set: { a: 1 } });
 * // { at: { $date: { $numberLong: '0' } }, n: { $numberLong: '9007199254740993' }, $$set: { a: 1 } }
 * typedFromJson({ $$schema: 'x', v: { $numberDouble: '-0.0' } }); // { $schema: 'x', v: -0 }
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Lone UTF-16 surrogates have no UTF-8 form: drivers would silently write U+FFFD instead. */
const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

function bsonType(value: object): string | undefined {
  return (value as { _bsontype?: string })._bsontype;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A number as the domain holds it: a JS number unless it is an integral double an Int32 would take. */
function doubleValue(v: number): number | Double {
  return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX && !Object.is(v, -0) ? new Double(v) : v;
}

function binaryOf(buffer: Uint8Array, subType: number): Binary {
  return new Binary(Buffer.from(buffer), subType);
}

/** Why a value cannot be a typed JSON value stored in jsonb, or null when it can. */
export function typedJsonProblem(value: unknown, path: string): string | null {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return null;
  if (typeof value === 'string') return stringProblem(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = value[i] === undefined ? `${path}[${i}]: undefined is not a JSON value` : typedJsonProblem(value[i], `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? `${path}: Invalid Date` : null;
  if (value instanceof RegExp) return stringProblem(value.source, path);
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return `${path}: key contains U+0000, which jsonb cannot store`;
      if (!isWellFormed(k)) return `${path}: key contains a lone surrogate, which UTF-8 cannot encode`;
      if (v === undefined) return `${path}.${k}: undefined is not a JSON value`;
      const p = typedJsonProblem(v, `${path}.${k}`);
      if (p) return p;
    }
    return null;
  }
  if (typeof value === 'object') {
    switch (bsonType(value)) {
      case 'Long':
      case 'Int32':
      case 'Double':
      case 'Decimal128':
      case 'ObjectId':
      case 'Binary':
      case 'Timestamp':
      case 'MinKey':
      case 'MaxKey':
        return null;
      case 'BSONRegExp':
        return stringProblem((value as BSONRegExp).pattern, path);
      case 'BSONSymbol':
        return stringProblem((value as BSONSymbol).value, path);
      case 'Code': {
        const code = value as Code;
        return stringProblem(code.code, path) ?? (code.scope ? typedJsonProblem({ ...code.scope }, `${path}.$scope`) : null);
      }
      case 'DBRef':
        return typedJsonProblem(dbRefObject(value as DBRef), path);
    }
  }
  const kind = value === undefined ? 'undefined' : typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
  return `${path}: ${kind} is not a JSON value`;
}

function stringProblem(value: string, path: string): string | null {
  if (value.includes('\u0000')) return `${path}: string contains U+0000, which jsonb cannot store`;
  return isWellFormed(value) ? null : `${path}: string contains a lone surrogate, which UTF-8 cannot encode`;
}

function dbRefObject(ref: DBRef): Record<string, unknown> {
  const out: Record<string, unknown> = { $ref: ref.collection, $id: ref.oid };
  if (ref.db) out.$db = ref.db;
  return Object.assign(out, ref.fields);
}

/**
 * A BSON value as the driver or the type-exact view returns it (Int32 / Double / Long wrappers or
 * promoted JS numbers, RegExp or BSONRegExp, UUID, DBRef...) -> its domain value (see the module
 * comment). Call {@link typedJsonProblem} first: a value with a problem is not normalised.
 *
 * @example
 * toTypedValue(new Int32(5)); // 5
 * toTypedValue(new Double(5)); // Double(5): an integral double stays a double
 */
export function toTypedValue(raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw; // promoted: as serialise will write it
  if (typeof raw === 'bigint') return Long.fromBigInt(raw);
  if (Array.isArray(raw)) return raw.map(toTypedValue);
  if (raw instanceof Date) return new Date(raw.getTime());
  if (raw instanceof RegExp) return new BSONRegExp(raw.source, raw.flags);
  if (isPlainObject(raw)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = toTypedValue(v);
    return out;
  }
  const object = raw as object;
  switch (bsonType(object)) {
    case 'Int32':
      return (object as Int32).value;
    case 'Double':
      return doubleValue((object as Double).value);
    case 'Long':
      return Long.fromString((object as Long).toString());
    case 'Decimal128':
      return Decimal128.fromString((object as Decimal128).toString());
    case 'ObjectId':
      return ObjectId.createFromHexString((object as ObjectId).toHexString());
    case 'Binary': {
      const b = object as Binary;
      return binaryOf(b.buffer.subarray(0, b.position), b.sub_type);
    }
    case 'Timestamp': {
      const t = object as Timestamp;
      return new Timestamp({ t: t.high >>> 0, i: t.low >>> 0 });
    }
    case 'BSONRegExp':
      return new BSONRegExp((object as BSONRegExp).pattern, (object as BSONRegExp).options);
    case 'MinKey':
      return new MinKey();
    case 'MaxKey':
      return new MaxKey();
    case 'BSONSymbol':
      return new BSONSymbol((object as BSONSymbol).value);
    case 'Code': {
      const c = object as Code;
      return c.scope ? new Code(c.code, toTypedValue({ ...c.scope }) as Record<string, unknown>) : new Code(c.code);
    }
    case 'DBRef':
      return toTypedValue(dbRefObject(object as DBRef));
  }
  throw new TypeError(`${(object as object).constructor?.name ?? 'object'} is not a typed JSON value`);
}

function doubleText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0.0';
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v}.0` : String(v);
}

/** Escapes a payload's own key (see the module comment). */
export function escapeKey(key: string): string {
  return key.startsWith('$') ? `$${key}` : key;
}

/** A domain value (see the module comment) -> its typed JSON encoding. */
export function typedToJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { $numberDouble: doubleText(value) };
    case 'bigint':
      return { $numberLong: value.toString() };
  }
  if (Array.isArray(value)) return value.map(typedToJson);
  if (value instanceof Date) return { $date: { $numberLong: String(value.getTime()) } };
  if (value instanceof RegExp) return { $regularExpression: { pattern: value.source, options: value.flags } };
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[escapeKey(k)] = typedToJson(v);
    return out;
  }
  const object = value as object;
  switch (bsonType(object)) {
    case 'Int32':
      return (object as Int32).value;
    case 'Double': {
      const v = (object as Double).value;
      return doubleValue(v) instanceof Double ? { $numberDouble: doubleText(v) } : typedToJson(v);
    }
    case 'Long':
      return { $numberLong: (object as Long).toString() };
    case 'Decimal128':
      return { $numberDecimal: (object as Decimal128).toString() };
    case 'ObjectId':
      return { $oid: (object as ObjectId).toHexString() };
    case 'Binary': {
      const b = object as Binary;
      return { $binary: { base64: Buffer.from(b.buffer.subarray(0, b.position)).toString('base64'), subType: b.sub_type.toString(16).padStart(2, '0') } };
    }
    case 'Timestamp': {
      const t = object as Timestamp;
      return { $timestamp: { t: t.high >>> 0, i: t.low >>> 0 } };
    }
    case 'BSONRegExp':
      return { $regularExpression: { pattern: (object as BSONRegExp).pattern, options: (object as BSONRegExp).options } };
    case 'MinKey':
      return { $minKey: 1 };
    case 'MaxKey':
      return { $maxKey: 1 };
    case 'BSONSymbol':
      return { $symbol: (object as BSONSymbol).value };
    case 'Code': {
      const c = object as Code;
      return c.scope ? { $code: c.code, $scope: typedToJson({ ...c.scope }) } : { $code: c.code };
    }
    case 'DBRef':
      return typedToJson(dbRefObject(object as DBRef));
  }
  throw new TypeError(`${object.constructor?.name ?? 'object'} is not a typed JSON value`);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isString = (v: unknown): v is string => typeof v === 'string';
const keysAre = (o: Record<string, unknown>, ...keys: string[]) => {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => own.includes(k));
};
const uint32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;

const DOUBLE_RE = /^(NaN|-?Infinity|-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?)$/;
const LONG_RE = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A wrapper (an object whose keys start with a single `$`) -> its value, or undefined when it is none. */
function unwrap(o: Record<string, unknown>): unknown {
  const keys = Object.keys(o);
  const first = keys[0];
  if (first === '$code' && isString(o.$code)) {
    if (keys.length === 1) return new Code(o.$code);
    if (keysAre(o, '$code', '$scope') && isPlainObject(o.$scope)) return new Code(o.$code, typedFromJson(o.$scope) as Record<string, unknown>);
    return undefined;
  }
  if (keys.length !== 1) return undefined;
  const v = o[first!];
  switch (first) {
    case '$numberDouble':
      return isString(v) && DOUBLE_RE.test(v) ? doubleValue(Number(v)) : undefined;
    case '$numberLong': {
      if (!isString(v) || !LONG_RE.test(v)) return undefined;
      const n = BigInt(v);
      return n >= INT64_MIN && n <= INT64_MAX ? Long.fromBigInt(n) : undefined;
    }
    case '$numberDecimal':
      if (!isString(v)) return undefined;
      try {
        return Decimal128.fromString(v);
      } catch {
        return undefined;
      }
    case '$date': {
      if (!isPlainObject(v) || !keysAre(v, '$numberLong') || !isString(v.$numberLong) || !LONG_RE.test(v.$numberLong)) return undefined;
      const d = new Date(Number(v.$numberLong));
      return Number.isNaN(d.getTime()) ? undefined : d;
    }
    case '$oid':
      return isString(v) && /^[0-9a-f]{24}$/.test(v) ? ObjectId.createFromHexString(v) : undefined;
    case '$binary':
      if (!isPlainObject(v) || !keysAre(v, 'base64', 'subType') || !isString(v.base64) || !isString(v.subType) || !/^[0-9a-f]{1,2}$/.test(v.subType)) return undefined;
      return binaryOf(Buffer.from(v.base64, 'base64'), parseInt(v.subType, 16));
    case '$timestamp':
      return isPlainObject(v) && keysAre(v, 't', 'i') && uint32(v.t) && uint32(v.i) ? new Timestamp({ t: v.t, i: v.i }) : undefined;
    case '$regularExpression':
      return isPlainObject(v) && keysAre(v, 'pattern', 'options') && isString(v.pattern) && isString(v.options) ? new BSONRegExp(v.pattern, v.options) : undefined;
    case '$minKey':
      return v === 1 ? new MinKey() : undefined;
    case '$maxKey':
      return v === 1 ? new MaxKey() : undefined;
    case '$symbol':
      return isString(v) ? new BSONSymbol(v) : undefined;
  }
  return undefined;
}

/** A typed JSON encoding (as written by {@link typedToJson}, or read from jsonb) -> its domain value. */
export function typedFromJson(json: unknown): unknown {
  if (json === null || json === undefined) return null;
  if (typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(typedFromJson);
  const o = json as Record<string, Json>;
  const keys = Object.keys(o);
  if (keys.length > 0 && keys.some((k) => k.startsWith('$') && !k.startsWith('$$'))) {
    const value = unwrap(o);
    if (value !== undefined) return value;
    // Not a wrapper: a payload stored before the escape rule; its keys read literally.
    const literal: Record<string, unknown> = {};
    for (const k of keys) literal[k.startsWith('$$') ? k.slice(1) : k] = typedFromJson(o[k]);
    return literal;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k.startsWith('$$') ? k.slice(1) : k] = typedFromJson(o[k]);
  return out;
}
