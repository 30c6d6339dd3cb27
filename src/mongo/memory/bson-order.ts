/**
 * MongoDB's comparison order for BSON values, equality, and canonical keys.
 *
 * mingo compares plain JS values; the server compares BSON values. The two disagree for the types our
 * legacy documents carry (Long above 2^53, Decimal128, ObjectId, Binary/UUID, Timestamp, Int32 vs
 * Double), so the memory store routes every comparison, sort, `$min`/`$max` and index key through here.
 *
 * Values may be in either shape the store meets: the type-exact "view" shape (`Int32`, `Double`, `Long`
 * wrapper objects, see `bson-codec.ts`) or the driver-promoted / user-supplied shape (JS numbers, bigint).
 *
 * @example
 * compareBson(new Long(2), 1.5) > 0;             // numbers compare across int32/int64/double/decimal
 * compareBson('z', new ObjectId()) < 0;         // strings sort before ObjectIds
 * canonicalKey(new Int32(1)) === canonicalKey(1.0); // the same index / _id key, as on a server
 */
import type { Binary, ObjectId, Timestamp } from 'bson';
import { compareNumbers, toExact } from './bson-numbers.js';

/** Sort rank of each canonical BSON type class (the server's `canonicalizeBSONType`). */
export const TypeRank = {
  minKey: 1,
  /** An empty array met while sorting or indexing: below null, as on the server. */
  emptyArray: 3,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  bool: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  dbPointer: 55,
  javascript: 60,
  javascriptWithScope: 65,
  maxKey: 127,
} as const;

/** Stands for "an empty array" in sort keys and index keys (sorts below null, never equals null). */
export const EMPTY_ARRAY_KEY: unique symbol = Symbol('emptyArray');

type Tagged = { _bsontype?: string };

function bsonTag(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? (v as Tagged)._bsontype : undefined;
}


/** The canonical type rank of a value; `undefined` (missing) ranks as null. */
export function typeRank(v: unknown): number {
  if (v === EMPTY_ARRAY_KEY) return TypeRank.emptyArray;
  if (v === null || v === undefined) return TypeRank.null;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return TypeRank.number;
    case 'string':
      return TypeRank.string;
    case 'boolean':
      return TypeRank.bool;
    case 'object':
      break;
    default:
      return TypeRank.javascript;
  }
  if (Array.isArray(v)) return TypeRank.array;
  if (v instanceof Date) return TypeRank.date;
  if (v instanceof RegExp) return TypeRank.regex;
  if (ArrayBuffer.isView(v)) return TypeRank.binData;
  switch (bsonTag(v)) {
    case 'Int32':
    case 'Double':
    case 'Long':
    case 'Decimal128':
      return TypeRank.number;
    case 'BSONSymbol':
      return TypeRank.string;
    case 'Binary':
      return TypeRank.binData;
    case 'ObjectId':
      return TypeRank.objectId;
    case 'Timestamp':
      return TypeRank.timestamp;
    case 'BSONRegExp':
      return TypeRank.regex;
    case 'Code':
      return (v as { scope?: unknown }).scope ? TypeRank.javascriptWithScope : TypeRank.javascript;
    case 'MinKey':
      return TypeRank.minKey;
    case 'MaxKey':
      return TypeRank.maxKey;
    default:
      // Plain documents and DBRef (a document with $ref/$id on the wire).
      return TypeRank.object;
  }
}

/**
 * The server's `$type` alias of a value (`double`, `int`, `long`, `decimal`, `string`, ...).
 * A JS number is classified the way the driver serialises it: int32 when integral and in range.
 */
export function bsonTypeAlias(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 && !Object.is(v, -0) ? 'int' : 'double';
    case 'bigint':
      return 'long';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      break;
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  if (ArrayBuffer.isView(v)) return 'binData';
  const aliases: Record<string, string> = {
    Int32: 'int',
    Double: 'double',
    Long: 'long',
    Decimal128: 'decimal',
    BSONSymbol: 'symbol',
    Binary: 'binData',
    ObjectId: 'objectId',
    Timestamp: 'timestamp',
    BSONRegExp: 'regex',
    MinKey: 'minKey',
    MaxKey: 'maxKey',
  };
  const tag = bsonTag(v);
  if (tag === 'Code') return (v as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
  return (tag && aliases[tag]) ?? 'object';
}


// ---------------------------------------------------------------------------------------------
// Strings: binary (UTF-8 byte) order, which is code point order, not JS UTF-16 code unit order.

/** Compares strings by code point, which equals comparing their UTF-8 bytes. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (code points >= 0x10000) must sort after U+E000..U+FFFF: shift them up.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : String((v as { value: string }).value);
}

function bytesOf(v: unknown): Uint8Array {
  if (bsonTag(v) === 'Binary') {
    const b = v as Binary;
    return b.buffer.subarray(0, b.position);
  }
  const view = v as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function subtypeOf(v: unknown): number {
  return bsonTag(v) === 'Binary' ? (v as Binary).sub_type : 0;
}

/** ObjectIds by their 12 bytes: the order of their hex strings, without making them. */
export function compareObjectIds(a: ObjectId, b: ObjectId): number {
  const x = a.id;
  const y = b.id;
  for (let i = 0; i < 12; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function regexParts(v: unknown): [string, string] {
  if (v instanceof RegExp) return [v.source, [...v.flags].sort().join('')];
  const r = v as { pattern: string; options: string };
  return [r.pattern, [...r.options].sort().join('')];
}

function cmp(x: number | string, y: number | string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Entries of a document in order; DBRef objects expose their wire fields. */
function docEntries(v: object): [string, unknown][] {
  const withJson = v as { toJSON?: () => unknown; _bsontype?: string };
  if (withJson._bsontype === 'DBRef' && typeof withJson.toJSON === 'function') {
    return Object.entries(withJson.toJSON() as object);
  }
  return Object.entries(v);
}

/**
 * MongoDB's total order over BSON values: first the canonical type class (MinKey < null < numbers <
 * strings < objects < arrays < BinData < ObjectId < bool < Date < Timestamp < RegExp < MaxKey),
 * then the value. `undefined` (a missing field) compares as null.
 */
export function compareBson(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case TypeRank.number:
      return compareNumbers(a, b);
    case TypeRank.string:
      return compareStrings(stringOf(a), stringOf(b));
    case TypeRank.object:
      return compareElementLists(docEntries(a as object), docEntries(b as object), true);
    case TypeRank.array:
      return compareElementLists(
        (a as unknown[]).map((v, i) => [String(i), v]),
        (b as unknown[]).map((v, i) => [String(i), v]),
        false,
      );
    case TypeRank.binData: {
      const x = bytesOf(a);
      const y = bytesOf(b);
      return cmp(x.length, y.length) || cmp(subtypeOf(a), subtypeOf(b)) || compareBytes(x, y);
    }
    case TypeRank.objectId:
      return compareObjectIds(a as ObjectId, b as ObjectId);
    case TypeRank.bool:
      return cmp(Number(a), Number(b));
    case TypeRank.date:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case TypeRank.timestamp: {
      const x = a as Timestamp;
      const y = b as Timestamp;
      return cmp(x.t, y.t) || cmp(x.i, y.i);
    }
    case TypeRank.regex: {
      const [pa, fa] = regexParts(a);
      const [pb, fb] = regexParts(b);
      return compareStrings(pa, pb) || compareStrings(fa, fb);
    }
    case TypeRank.javascript:
    case TypeRank.javascriptWithScope:
      return compareStrings(String((a as { code: unknown }).code), String((b as { code: unknown }).code));
    default:
      // MinKey, MaxKey, null, empty-array markers: one value per class.
      return 0;
  }
}

function compareElementLists(x: [string, unknown][], y: [string, unknown][], withNames: boolean): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const [ka, va] = x[i]!;
    const [kb, vb] = y[i]!;
    const r = cmp(typeRank(va), typeRank(vb));
    if (r) return r;
    if (withNames) {
      const k = compareStrings(ka, kb);
      if (k) return k;
    }
    const v = compareBson(va, vb);
    if (v) return v;
  }
  return cmp(x.length, y.length);
}

/** BSON value equality (numbers by value across types; documents by field order and value). */
export function bsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return compareBson(a, b) === 0;
}

// ---------------------------------------------------------------------------------------------
// Canonical keys: equal strings exactly for values the server considers equal (for _id and unique indexes).

function numericKey(v: unknown): string {
  const e = toExact(v);
  if (e.kind === 'nan') return 'nNaN';
  if (e.kind === 'inf') return e.sign > 0 ? 'n+Inf' : 'n-Inf';
  return `n${e.coeff}e${e.exp}`;
}

/**
 * A string that is identical for BSON-equal values and different otherwise, e.g. `1`, `Int32(1)`,
 * `Long(1)` and `Decimal128('1.0')` share one key, as they collide in a unique index on a server.
 */
export function canonicalKey(v: unknown): string {
  const rank = typeRank(v);
  switch (rank) {
    case TypeRank.null:
      return 'z';
    case TypeRank.emptyArray:
      return 'u';
    case TypeRank.minKey:
      return 'm';
    case TypeRank.maxKey:
      return 'M';
    case TypeRank.number:
      return numericKey(v);
    case TypeRank.string:
      return 's' + JSON.stringify(stringOf(v));
    case TypeRank.object:
      return 'o{' + docEntries(v as object).map(([k, x]) => JSON.stringify(k) + ':' + canonicalKey(x)).join(',') + '}';
    case TypeRank.array:
      return 'a[' + (v as unknown[]).map(canonicalKey).join(',') + ']';
    case TypeRank.binData:
      return `b${subtypeOf(v)}:` + Buffer.from(bytesOf(v)).toString('base64');
    case TypeRank.objectId:
      return 'i' + (v as ObjectId).toHexString();
    case TypeRank.bool:
      return v ? 't' : 'f';
    case TypeRank.date:
      return 'd' + (v as Date).getTime();
    case TypeRank.timestamp:
      return `T${(v as Timestamp).t}:${(v as Timestamp).i}`;
    case TypeRank.regex: {
      const [p, f] = regexParts(v);
      return 'r' + JSON.stringify(p) + '/' + f;
    }
    default:
      return 'c' + JSON.stringify(String((v as { code: unknown }).code));
  }
}
