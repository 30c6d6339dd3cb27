import { deserialize, EJSON, serialize, type Document } from 'bson';

/**
 * Ranges of legacy `_id` values as MongoDB filters.
 *
 * MongoDB orders `_id` values first by type class (numbers < strings < objects < binData < ObjectId <
 * ...) and its comparison operators are type-bracketed: `{ _id: { $gt: ObjectId(...) } }` matches
 * ObjectIds only. A range whose bounds are of different classes (a collection with string and
 * ObjectId ids) therefore needs the classes in between spelled out with `$type`, or documents would
 * silently fall between two ranges.
 */

/** The server's canonical type classes, in sort order, with the `$type` aliases of each. */
const CLASSES: readonly (readonly string[])[] = [
  ['minKey'],
  ['undefined'],
  ['null'],
  ['number'],
  ['string', 'symbol'],
  ['object'],
  ['array'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
  ['dbPointer'],
  ['javascript'],
  ['javascriptWithScope'],
  ['maxKey'],
];

const CLASS_INDEX = new Map(CLASSES.map((aliases, i) => [aliases[0]!, i]));

/** Classes whose values compare without surprises, so they may serve as planned range boundaries. */
const BOUNDARY_CLASSES = new Set(['number', 'string', 'binData', 'objectId', 'bool', 'date', 'timestamp']);

const NUMERIC_TAGS = new Set(['Int32', 'Double', 'Long', 'Decimal128']);

/** The type class of an `_id` value, as the driver or a type-exact deserialiser returns it. */
export function typeClassOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (Array.isArray(value)) return 'array';
  const tag = (value as { _bsontype?: string })._bsontype;
  if (tag === undefined) return 'object';
  if (NUMERIC_TAGS.has(tag)) return 'number';
  switch (tag) {
    case 'BSONSymbol':
      return 'string';
    case 'Binary':
      return 'binData';
    case 'ObjectId':
      return 'objectId';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'Code':
      return (value as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'DBRef':
      return 'object';
    default:
      return 'object';
  }
}

function classIndex(value: unknown): number {
  return CLASS_INDEX.get(typeClassOf(value))!;
}

/** Whether the planner may cut a range at this `_id` (NaN and exotic types never serve as bounds). */
export function isBoundaryCandidate(value: unknown): boolean {
  const cls = typeClassOf(value);
  if (!BOUNDARY_CLASSES.has(cls)) return false;
  if (cls === 'number') {
    const n = typeof value === 'object' ? Number(String(value)) : Number(value);
    return !Number.isNaN(n);
  }
  return true;
}

/** Where a scan starts: strictly after a checkpoint, or at a planned (inclusive) lower bound. */
export interface LowerBound {
  readonly value: unknown;
  readonly inclusive: boolean;
}

/**
 * The filter selecting `lower <= _id < upper` (or `lower < _id` when exclusive) in MongoDB's
 * `_id` order, across type classes. A null bound is open.
 *
 * @example
 * idRangeFilter({ value: 'zz', inclusive: false }, new ObjectId('65a1...'));
 * // { $or: [ { _id: { $gt: 'zz' } }, { _id: { $type: ['object', ...] } }, { _id: { $lt: ObjectId(...) } } ] }
 */
export function idRangeFilter(lower: LowerBound | null, upper: unknown | null): Document {
  const lowerOp = lower?.inclusive ? '$gte' : '$gt';
  const lowerClass = lower ? classIndex(lower.value) : -1;
  const upperClass = upper !== null ? classIndex(upper) : CLASSES.length;
  if (lower && upper !== null && lowerClass === upperClass) {
    return { _id: { [lowerOp]: lower.value, $lt: upper } };
  }
  const clauses: Document[] = [];
  if (lower) clauses.push({ _id: { [lowerOp]: lower.value } });
  const between = CLASSES.slice(lowerClass + 1, upperClass).flat();
  if (between.length) clauses.push({ _id: { $type: between } });
  if (upper !== null) clauses.push({ _id: { $lt: upper } });
  if (!lower && upper === null) return {};
  return clauses.length === 1 ? clauses[0]! : { $or: clauses };
}

/** Deserialise exactly (no promotion): Int32 stays Int32, Int64 stays Long, regexes stay BSONRegExp. */
export const EXACT_READ = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** An `_id` value as stored bytes (`{ v: <_id> }`), type-exact. */
export function encodeIdValue(value: unknown): Buffer {
  return Buffer.from(serialize({ v: value }, { checkKeys: false, ignoreUndefined: false }));
}

export function decodeIdValue(bytes: Uint8Array): unknown {
  return deserialize(bytes, EXACT_READ).v;
}

/** Canonical Extended JSON of an `_id` value, for people reading the range table. */
export function idValueEjson(value: unknown): string {
  return EJSON.stringify({ v: value }, { relaxed: false });
}
