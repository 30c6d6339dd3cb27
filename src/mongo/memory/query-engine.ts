/**
 * Query filters, evaluated by mingo with BSON-aware comparison operators.
 *
 * mingo supplies the query language: parsing, dotted paths through arrays, `$and`/`$or`/`$nor`, `$not`,
 * `$elemMatch`, `$regex`, `$exists`. Its own comparisons work on JS values (a `Long` compares by its
 * decimal string, `Long(5)` never equals `5`), so the value-comparing operators (`$eq`, `$ne`, `$gt`,
 * `$gte`, `$lt`, `$lte`, `$in`, `$nin`, `$all`, `$size`, `$type`) are replaced, through a mingo `Context`,
 * by versions built on {@link compareBson} with the server's type bracketing.
 *
 * Operators outside that list are rejected with `memory: store does not support $op`, never ignored.
 *
 * @example
 * const matches = compileFilter({ _id: { $in: [new UUID(a), new UUID(b)] }, n: { $gt: Long.fromNumber(5) } });
 * matches(view); // true or false
 */
import { BSONType, type Document } from 'bson';
import { Context } from 'mingo/core';
import { $and, $elemMatch, $exists as mingoExists, $nor, $not, $or, $regex } from 'mingo/operators/query';
import { Query } from 'mingo/query';
import type { Options, QueryOperator } from 'mingo/types';
import { flatten, resolve } from 'mingo/util';
import { bsonEquals, bsonTypeAlias, compareBson, typeRank } from './bson-order.js';
import { compareNumbers, isNumeric } from './bson-numbers.js';
import { normaliseInput } from './bson-codec.js';
import { hasOwn, isPlainDocument } from './doc-path.js';
import { badValue, unsupported } from './errors.js';

/** A compiled filter: true when a (type-exact view of a) document matches. */
export type DocumentPredicate = (doc: Document) => boolean;

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin',
  '$exists', '$type', '$regex', '$options', '$not', '$elemMatch', '$all', '$size',
]);
const TOP_LEVEL_OPERATORS = new Set(['$and', '$or', '$nor']);

function isRegex(v: unknown): v is RegExp {
  return v instanceof RegExp || (typeof v === 'object' && v !== null && (v as { _bsontype?: string })._bsontype === 'BSONRegExp');
}

function toRegExp(v: RegExp | { pattern: string; options: string }): RegExp {
  if (v instanceof RegExp) return new RegExp(v.source, v.flags.replace('g', '').replace('y', ''));
  return new RegExp(v.pattern, [...v.options].filter((f) => 'imsu'.includes(f)).join(''));
}

function lookup(obj: Document, selector: string): unknown {
  return resolve(obj, selector, { unwrapArray: true });
}

function depthOf(selector: string): number {
  return Math.max(1, selector.split('.').length - 1);
}

/** Candidate values a field comparison considers: the value, or an array's elements (and the array). */
function candidates(lhs: unknown, depth: number): unknown[] {
  return Array.isArray(lhs) ? [lhs, ...lhs, ...flatten(lhs, depth)] : [lhs];
}

function eqMatch(lhs: unknown, rhs: unknown, depth: number): boolean {
  if (bsonEquals(lhs, rhs)) return true;
  if (!Array.isArray(lhs)) return false;
  return lhs.some((v) => bsonEquals(v, rhs)) || flatten(lhs, depth).some((v) => bsonEquals(v, rhs));
}

function regexMatch(lhs: unknown, re: RegExp, depth: number): boolean {
  return candidates(lhs, depth).some((v) => typeof v === 'string' && re.test(v));
}

function inMatch(lhs: unknown, rhs: unknown, depth: number): boolean {
  if (!Array.isArray(rhs)) throw badValue('$in needs an array');
  return rhs.some((r) => (isRegex(r) ? regexMatch(lhs, toRegExp(r), depth) : eqMatch(lhs, r, depth)));
}

type FieldPredicate = (lhs: unknown, rhs: unknown, depth: number) => boolean;

function fieldOperator(pred: FieldPredicate): QueryOperator {
  return (selector, value) => {
    const depth = depthOf(selector);
    return (obj) => pred(lookup(obj, selector), value, depth);
  };
}

/** `$gt` and friends on one value: only values of the same canonical type class compare (server type bracketing). */
function rangeTest(accept: (c: number) => boolean, rhs: unknown): (x: unknown) => boolean {
  const rank = typeRank(rhs);
  return (x) => typeRank(x) === rank && accept(compareBson(x, rhs));
}

function rangeOperator(accept: (c: number) => boolean): QueryOperator {
  return fieldOperator((lhs, rhs, depth) => candidates(lhs, depth).some(rangeTest(accept, rhs)));
}

const RANGE_ACCEPT: Readonly<Record<string, (c: number) => boolean>> = {
  $gt: (c) => c > 0,
  $gte: (c) => c >= 0,
  $lt: (c) => c < 0,
  $lte: (c) => c <= 0,
};

function truthy(v: unknown): boolean {
  return isNumeric(v) ? compareNumbers(v, 0) !== 0 : Boolean(v);
}

const TYPE_CODES = new Map<number, string>(Object.entries(BSONType).map(([alias, code]) => [code as number, alias]));

function typeAliases(rhs: unknown): string[] {
  const list = Array.isArray(rhs) ? rhs : [rhs];
  return list.map((t) => {
    if (typeof t === 'string') return t;
    if (isNumeric(t)) {
      const alias = TYPE_CODES.get(Number(String((t as { valueOf(): unknown }).valueOf())));
      if (alias) return alias;
    }
    throw badValue(`Invalid $type argument: ${String(t)}`);
  });
}

/** Whether a value is of one of the `$type` argument's types. */
function typeTest(value: unknown): (v: unknown) => boolean {
  const wanted = typeAliases(value);
  return (v) => wanted.some((w) => (w === 'number' ? isNumeric(v) : bsonTypeAlias(v) === w));
}

const $type: QueryOperator = (selector, value) => {
  const test = typeTest(value);
  return (obj) => {
    const lhs = lookup(obj, selector);
    if (lhs === undefined) return false;
    return test(lhs) || (Array.isArray(lhs) && lhs.some(test));
  };
};

const $all: QueryOperator = (selector, value, options) => {
  if (!Array.isArray(value)) throw badValue('$all needs an array');
  const depth = depthOf(selector);
  const checks = value.map((q): ((obj: Document) => boolean) => {
    if (isPlainDocument(q) && hasOwn(q, '$elemMatch')) {
      const sub = new Query({ [selector]: q }, options);
      return (obj) => sub.test(obj);
    }
    if (isRegex(q)) {
      const re = toRegExp(q);
      return (obj) => regexMatch(lookup(obj, selector), re, depth);
    }
    return (obj) => eqMatch(lookup(obj, selector), q, depth);
  });
  return (obj) => checks.length > 0 && checks.every((c) => c(obj));
};

const $size: QueryOperator = (selector, value) => {
  if (!isNumeric(value)) throw badValue('$size needs a number');
  return (obj) => {
    const lhs = lookup(obj, selector);
    return Array.isArray(lhs) && compareNumbers(lhs.length, value) === 0;
  };
};

const $exists: QueryOperator = (selector, value, options) => mingoExists(selector, truthy(value), options);

const CONTEXT = Context.init({
  query: {
    $and,
    $or,
    $nor,
    $not,
    $elemMatch,
    $regex,
    $exists,
    $type,
    $all,
    $size,
    $eq: fieldOperator(eqMatch),
    $ne: fieldOperator((l, r, d) => !eqMatch(l, r, d)),
    $in: fieldOperator(inMatch),
    $nin: fieldOperator((l, r, d) => !inMatch(l, r, d)),
    $gt: rangeOperator(RANGE_ACCEPT.$gt!),
    $gte: rangeOperator(RANGE_ACCEPT.$gte!),
    $lt: rangeOperator(RANGE_ACCEPT.$lt!),
    $lte: rangeOperator(RANGE_ACCEPT.$lte!),
  },
});

const QUERY_OPTIONS: Partial<Options> = { context: CONTEXT, scriptEnabled: false };

function validateFilter(filter: unknown): void {
  if (!isPlainDocument(filter)) throw badValue('a query filter must be a document');
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$')) {
      if (!TOP_LEVEL_OPERATORS.has(key)) throw unsupported(key);
      if (!Array.isArray(value) || value.length === 0) throw badValue(`${key} argument must be a non-empty array`);
      value.forEach(validateFilter);
    } else {
      validateCondition(value);
    }
  }
}

function validateCondition(cond: unknown): void {
  if (!isPlainDocument(cond)) return;
  const keys = Object.keys(cond);
  // A document without operators is an exact-match literal.
  if (!keys.some((k) => k.startsWith('$'))) return;
  for (const key of keys) {
    if (!key.startsWith('$')) throw badValue(`unknown operator: ${key}`);
    if (!FIELD_OPERATORS.has(key)) throw unsupported(key);
    const arg = cond[key];
    if (key === '$not') {
      if (isRegex(arg)) continue;
      if (!isPlainDocument(arg) || !Object.keys(arg).every((k) => k.startsWith('$'))) throw badValue('$not needs a regex or a document of operators');
      validateCondition(arg);
    } else if (key === '$elemMatch') {
      if (!isPlainDocument(arg)) throw badValue('$elemMatch needs an Object');
      const ops = Object.keys(arg).filter((k) => k.startsWith('$') && !TOP_LEVEL_OPERATORS.has(k));
      if (ops.length > 0) validateCondition(arg);
      else validateFilter(arg);
    } else if (key === '$all' && Array.isArray(arg)) {
      for (const q of arg) if (isPlainDocument(q) && hasOwn(q, '$elemMatch')) validateCondition(q);
    } else if ((key === '$in' || key === '$nin' || key === '$all') && !Array.isArray(arg)) {
      throw badValue(`${key} needs an array`);
    }
  }
}

/**
 * Compiles a MongoDB filter into a predicate over type-exact document views.
 * The filter goes through BSON first (as the driver would send it): `undefined` becomes null, numbers
 * become int32/double exactly as they would be sent.
 */
export function compileFilter(filter: Document | undefined): DocumentPredicate {
  const f = filter ?? {};
  validateFilter(f);
  const normalised = normaliseInput(f, 'filter');
  if (Object.keys(normalised).length === 0) return () => true;
  const query = new Query(normalised, QUERY_OPTIONS);
  return (doc) => query.test(doc);
}

/** Equality fields of a filter (top level and inside `$and`), used to seed an upsert. */
export function equalityFields(filter: Document): [string, unknown][] {
  const out: [string, unknown][] = [];
  const collect = (f: Document): void => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) {
        value.forEach((sub) => isPlainDocument(sub) && collect(sub));
      } else if (key.startsWith('$')) {
        continue;
      } else if (isPlainDocument(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
        if (hasOwn(value, '$eq') && !isRegex(value.$eq)) out.push([key, value.$eq]);
      } else if (!isRegex(value)) {
        out.push([key, value]);
      }
    }
  };
  collect(normaliseInput(filter, 'filter'));
  return out;
}

/**
 * The filter as a test of the `_id` value alone, without mingo, when it is made only of `_id`
 * ranges and types (`$gt`, `$gte`, `$lt`, `$lte`, `$type`) under `$and` / `$or`: the shape of a
 * conversion or parity range cursor (see idRangeFilter in src/mongo/id-ranges.ts). The same rules as
 * the compiled filter (an `_id` is never an array); undefined for any other filter.
 *
 * @example
 * compileIdFilter({ $or: [{ _id: { $type: ['string'] } }, { _id: { $lt: new ObjectId(hex) } }] })!(doc._id);
 */
export function compileIdFilter(normalised: Document): ((id: unknown) => boolean) | undefined {
  const tests: ((id: unknown) => boolean)[] = [];
  for (const [key, value] of Object.entries(normalised)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      const subs: ((id: unknown) => boolean)[] = [];
      for (const sub of value) {
        const t = isPlainDocument(sub) ? compileIdFilter(sub) : undefined;
        if (!t) return undefined;
        subs.push(t);
      }
      tests.push(key === '$and' ? (id) => subs.every((t) => t(id)) : (id) => subs.some((t) => t(id)));
    } else if (key === '_id' && isPlainDocument(value) && Object.keys(value).length > 0) {
      for (const [op, arg] of Object.entries(value)) {
        const accept = RANGE_ACCEPT[op];
        if (accept) {
          tests.push(rangeTest(accept, arg));
        } else if (op === '$type') {
          tests.push(typeTest(arg));
        } else {
          return undefined;
        }
      }
    } else {
      return undefined;
    }
  }
  if (tests.length === 0) return undefined;
  return tests.length === 1 ? tests[0] : (id) => tests.every((t) => t(id));
}
