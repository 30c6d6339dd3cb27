/**
 * What the `_id` index can do for a query: the interval of `_id` values outside which no document can
 * match the filter, and whether the filter reads `_id` alone (then it is evaluated on `{ _id }`,
 * without decoding the document). The interval is a superset of the matches; the compiled filter still
 * decides every candidate, so results are exactly those of a scan.
 *
 * The comparison operators are type-bracketed as on the server (`{ _id: { $gt: ObjectId(..) } }`
 * matches ObjectIds only), so `$gt v` gives `(v, end of v's type class]`; `$type` gives the classes
 * it names; `$or` the hull of its branches, `$and` and the operators of one condition their
 * intersection. Anything else (`$ne`, `$nin`, `$regex`, `$not`, `$nor`, other fields) does not narrow.
 *
 * @example
 * idInterval({ _id: { $gte: a, $lt: b } }); // { lo: [a, inclusive], hi: [b, exclusive] }
 */
import type { Document } from 'bson';
import { TypeRank, typeRank } from './bson-order.js';
import { classBound, valueBound, type IdBound } from './id-order.js';
import { isPlainDocument } from './doc-path.js';

/** An `_id` interval; a null end is open. */
export interface IdInterval {
  readonly lo: IdBound | null;
  readonly hi: IdBound | null;
}

const OPEN: IdInterval = { lo: null, hi: null };

/** `$type` aliases to the type class they belong to. */
const CLASS_OF_ALIAS: Readonly<Record<string, number>> = {
  minKey: TypeRank.minKey,
  undefined: TypeRank.null,
  null: TypeRank.null,
  number: TypeRank.number,
  int: TypeRank.number,
  long: TypeRank.number,
  double: TypeRank.number,
  decimal: TypeRank.number,
  string: TypeRank.string,
  symbol: TypeRank.string,
  object: TypeRank.object,
  array: TypeRank.array,
  binData: TypeRank.binData,
  objectId: TypeRank.objectId,
  bool: TypeRank.bool,
  date: TypeRank.date,
  timestamp: TypeRank.timestamp,
  regex: TypeRank.regex,
  dbPointer: TypeRank.dbPointer,
  javascript: TypeRank.javascript,
  javascriptWithScope: TypeRank.javascriptWithScope,
  maxKey: TypeRank.maxKey,
};

function isRegex(v: unknown): boolean {
  return v instanceof RegExp || (typeof v === 'object' && v !== null && (v as { _bsontype?: string })._bsontype === 'BSONRegExp');
}

/** Orders two lower bounds (a class start is below every value of the class; inclusive below exclusive). */
function compareLower(a: IdBound, b: IdBound, cmp: (x: unknown, y: unknown) => number): number {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  if (!a.hasValue || !b.hasValue) return a.hasValue === b.hasValue ? 0 : a.hasValue ? 1 : -1;
  return cmp(a.value, b.value) || (a.inclusive === b.inclusive ? 0 : a.inclusive ? -1 : 1);
}

/** Orders two upper bounds (a class end is above every value of the class; inclusive above exclusive). */
function compareUpper(a: IdBound, b: IdBound, cmp: (x: unknown, y: unknown) => number): number {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  if (!a.hasValue || !b.hasValue) return a.hasValue === b.hasValue ? 0 : a.hasValue ? -1 : 1;
  return cmp(a.value, b.value) || (a.inclusive === b.inclusive ? 0 : a.inclusive ? 1 : -1);
}

type Cmp = (x: unknown, y: unknown) => number;

function intersect(a: IdInterval, b: IdInterval, cmp: Cmp): IdInterval {
  const lo = !a.lo ? b.lo : !b.lo ? a.lo : compareLower(a.lo, b.lo, cmp) >= 0 ? a.lo : b.lo;
  const hi = !a.hi ? b.hi : !b.hi ? a.hi : compareUpper(a.hi, b.hi, cmp) <= 0 ? a.hi : b.hi;
  return { lo, hi };
}

function hull(a: IdInterval, b: IdInterval, cmp: Cmp): IdInterval {
  const lo = !a.lo || !b.lo ? null : compareLower(a.lo, b.lo, cmp) <= 0 ? a.lo : b.lo;
  const hi = !a.hi || !b.hi ? null : compareUpper(a.hi, b.hi, cmp) >= 0 ? a.hi : b.hi;
  return { lo, hi };
}

function point(v: unknown): IdInterval {
  return { lo: valueBound(v, true), hi: valueBound(v, true) };
}

function operatorInterval(op: string, arg: unknown, cmp: Cmp): IdInterval {
  switch (op) {
    case '$gt':
    case '$gte':
      return { lo: valueBound(arg, op === '$gte'), hi: classBound(typeRank(arg)) };
    case '$lt':
    case '$lte':
      return { lo: classBound(typeRank(arg)), hi: valueBound(arg, op === '$lte') };
    case '$eq':
      return isRegex(arg) ? OPEN : point(arg);
    case '$in': {
      if (!Array.isArray(arg) || arg.some(isRegex)) return OPEN;
      if (arg.length === 0) return { lo: classBound(TypeRank.maxKey + 1), hi: classBound(TypeRank.minKey - 1) };
      return arg.map(point).reduce((x, y) => hull(x, y, cmp));
    }
    case '$type': {
      const aliases = Array.isArray(arg) ? arg : [arg];
      const ranks = aliases.map((a) => (typeof a === 'string' ? CLASS_OF_ALIAS[a] : undefined));
      if (ranks.length === 0 || ranks.some((r) => r === undefined)) return OPEN;
      const sorted = (ranks as number[]).sort((x, y) => x - y);
      return { lo: classBound(sorted[0]!), hi: classBound(sorted[sorted.length - 1]!) };
    }
    default:
      return OPEN;
  }
}

function conditionInterval(cond: unknown, cmp: Cmp): IdInterval {
  if (isRegex(cond)) return OPEN;
  if (isPlainDocument(cond)) {
    const keys = Object.keys(cond);
    if (keys.some((k) => k.startsWith('$'))) {
      return keys.reduce<IdInterval>((acc, k) => intersect(acc, operatorInterval(k, cond[k], cmp), cmp), OPEN);
    }
  }
  return point(cond);
}

/**
 * The `_id` interval a (normalised, type-exact) filter confines its matches to; open ends where it
 * does not narrow.
 */
export function idInterval(filter: Document, cmp: Cmp): IdInterval {
  let out = OPEN;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '_id') out = intersect(out, conditionInterval(value, cmp), cmp);
    else if (key === '$and' && Array.isArray(value)) for (const f of value) out = intersect(out, idInterval(f as Document, cmp), cmp);
    else if (key === '$or' && Array.isArray(value) && value.length > 0) {
      out = intersect(out, (value as Document[]).map((f) => idInterval(f, cmp)).reduce((x, y) => hull(x, y, cmp)), cmp);
    }
  }
  return out;
}

const isObjectId = (v: unknown) => (v as { _bsontype?: string } | null)?._bsontype === 'ObjectId';

/**
 * Whether the filter is exactly `{ _id: { $gt|$gte: a, $lt|$lte: b } }` with ObjectIds a and b (a range
 * of a conversion or parity shard): then the `_id` index walk over its interval yields exactly the
 * matches, since ObjectIds order by their bytes everywhere, and the compiled filter need not run.
 */
export function isObjectIdRange(filter: Document): boolean {
  const keys = Object.keys(filter);
  if (keys.length !== 1 || keys[0] !== '_id' || !isPlainDocument(filter._id)) return false;
  const cond = filter._id as Document;
  const ops = Object.keys(cond);
  const lower = ops.filter((op) => op === '$gt' || op === '$gte');
  const upper = ops.filter((op) => op === '$lt' || op === '$lte');
  return ops.length === 2 && lower.length === 1 && upper.length === 1 && isObjectId(cond[lower[0]!]) && isObjectId(cond[upper[0]!]);
}

/** Whether the filter reads no field but `_id` (and paths inside it). */
export function readsIdOnly(filter: Document): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value) || !value.every((f) => isPlainDocument(f) && readsIdOnly(f))) return false;
    } else if (key !== '_id' && !key.startsWith('_id.')) {
      return false;
    }
  }
  return true;
}

/**
 * A quick, exact "cannot match" test from the filter's top-level string equalities (`{ tenant: 't1' }`,
 * also inside a top-level `$and`): a document whose field holds another string cannot match. Any
 * other case (an array, a missing field, another type) is left to the compiled filter. Undefined
 * when the filter has no such equality.
 */
export function stringMismatch(filter: Document): ((view: Document) => boolean) | undefined {
  const pairs = stringEqualities(filter);
  if (pairs.length === 0) return undefined;
  return (view) => {
    for (const [key, want] of pairs) {
      const v = view[key];
      if (typeof v === 'string' && v !== want) return true;
    }
    return false;
  };
}

type DateBound = { readonly key: string; readonly op: '$gt' | '$gte' | '$lt' | '$lte'; readonly at: number };
const DATE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);

/**
 * The same quick test for top-level date ranges (`{ createdAt: { $gte: d1, $lt: d2 } }`, also inside
 * a top-level `$and`): a document whose field holds a date outside the range cannot match (a date
 * bound only ever matches dates). Arrays, other types and missing fields are left to the compiled
 * filter. Undefined when the filter has no such range.
 */
export function dateRangeMismatch(filter: Document): ((view: Document) => boolean) | undefined {
  const bounds: DateBound[] = [];
  const collect = (f: Document) => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) value.forEach((sub) => isPlainDocument(sub) && collect(sub));
      else if (!key.startsWith('$') && !key.includes('.') && isPlainDocument(value)) {
        const entries = Object.entries(value);
        if (entries.length === 0 || !entries.every(([op, v]) => DATE_OPS.has(op) && v instanceof Date && !Number.isNaN(v.getTime()))) continue;
        for (const [op, v] of entries) bounds.push({ key, op: op as DateBound['op'], at: (v as Date).getTime() });
      }
    }
  };
  collect(filter);
  if (bounds.length === 0) return undefined;
  return (view) => {
    for (const { key, op, at } of bounds) {
      const v = view[key];
      if (!(v instanceof Date)) continue;
      const t = v.getTime();
      if (op === '$gte' ? !(t >= at) : op === '$gt' ? !(t > at) : op === '$lt' ? !(t < at) : !(t <= at)) return true;
    }
    return false;
  };
}

/** Both quick tests at once (see stringMismatch and dateRangeMismatch); undefined when neither applies. */
export function quickMismatch(filter: Document): ((view: Document) => boolean) | undefined {
  const strings = stringMismatch(filter);
  const dates = dateRangeMismatch(filter);
  if (!strings || !dates) return strings ?? dates;
  return (view) => strings(view) || dates(view);
}

/** The filter's top-level string equalities `[field, value]` (also inside a top-level `$and`). */
export function stringEqualities(filter: Document): [string, string][] {
  const pairs: [string, string][] = [];
  const collect = (f: Document) => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) value.forEach((sub) => isPlainDocument(sub) && collect(sub));
      else if (typeof value === 'string' && !key.startsWith('$') && !key.includes('.')) pairs.push([key, value]);
    }
  };
  collect(filter);
  return pairs;
}
