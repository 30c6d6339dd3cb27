/**
 * Update operators applied to a type-exact document view, with the server's semantics:
 * fields are processed in lexicographic path order (numeric components numerically, MongoDB >= 5.0),
 * conflicting paths are rejected, `$setOnInsert` only applies when an upsert inserts, `_id` is immutable,
 * the positional `$` and all-positional `$[]` operators resolve against the query, and numbers follow
 * the server's type rules (`bson-arith.ts`). Values are compared with BSON order (`bson-order.ts`).
 *
 * mingo's update operators compare with JS semantics (e.g. `$addToSet` treats `Int32(1)` and `1` as
 * different, `$inc` would concatenate a `Long`), so the operators are implemented here on top of the
 * small path helpers in `doc-path.ts`; mingo still evaluates `$pull` conditions and positional matches.
 *
 * @example
 * applyUpdate(view, normaliseInput({ $inc: { n: 1 }, $push: { tags: 'x' } }, 'update'), { isInsert: false, filter: {} });
 */
import { ObjectId, Timestamp, type Document } from 'bson';
import { addNumbers, multiplyNumbers, smallInteger, zeroLike } from './bson-arith.js';
import { bsonEquals, bsonTypeAlias, compareBson, compareStrings } from './bson-order.js';
import { isNumeric } from './bson-numbers.js';
import { getExact, hasOwn, isIndexComponent, isPlainDocument, setExact, splitPath, unsetExact } from './doc-path.js';
import {
  badValue,
  failedToParse,
  formatValue,
  immutableId,
  invalidArgument,
  notUnique,
  overflow,
  typeMismatch,
  unsupported,
  updateConflict,
} from './errors.js';
import { compileFilter } from './query-engine.js';

const SUPPORTED_OPERATORS = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$setOnInsert',
  '$push', '$addToSet', '$pull', '$pullAll', '$pop', '$rename', '$currentDate',
]);
const KNOWN_UNSUPPORTED = new Set(['$bit']);
const PUSH_MODIFIERS = new Set(['$each', '$slice', '$sort', '$position']);

export interface UpdateContext {
  /** True when an upsert is inserting a new document (`$setOnInsert` applies). */
  readonly isInsert: boolean;
  /** The caller's filter, for the positional `$` operator. */
  readonly filter: Document;
}

/**
 * Client-side validation the driver performs (`Update document requires atomic operators`) plus
 * the server's parse checks. Pipeline updates are not supported.
 */
export function validateUpdate(update: unknown): asserts update is Document {
  if (Array.isArray(update)) throw unsupported('pipeline-style updates (an array of aggregation stages)');
  if (!isPlainDocument(update)) throw invalidArgument('Update document requires atomic operators');
  const keys = Object.keys(update);
  if (keys.length === 0 || !keys[0]!.startsWith('$')) throw invalidArgument('Update document requires atomic operators');
  for (const key of keys) {
    if (KNOWN_UNSUPPORTED.has(key)) throw unsupported(key);
    if (!SUPPORTED_OPERATORS.has(key)) {
      throw failedToParse(`Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    const arg = update[key];
    if (!isPlainDocument(arg)) {
      throw failedToParse(`Modifiers operate on fields but we found type ${bsonTypeAlias(arg)} instead. For example: {$mod: {<field>: ...}} not {${key}: ${formatValue(arg)}}`);
    }
  }
}

interface Step {
  readonly op: string;
  readonly path: string;
  readonly parts: string[];
  readonly arg: unknown;
  /** For `$rename`: the destination. */
  readonly to?: string[];
}

function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const nx = isIndexComponent(x);
    const ny = isIndexComponent(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return compareStrings(x, y);
  }
  return a.length - b.length;
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((p, i) => p === b[i]);
}

/** Resolves `$` (first array element matching the query) and `$[]` (every element) into concrete paths. */
function expandPositional(doc: Document, parts: string[], filter: Document, path: string): string[][] {
  const i = parts.findIndex((p) => p.startsWith('$'));
  if (i < 0) return [parts];
  const marker = parts[i]!;
  const prefix = parts.slice(0, i);
  if (marker !== '$' && marker !== '$[]') {
    if (/^\$\[.*\]$/.test(marker)) throw unsupported('filtered positional operators ($[<identifier>] with arrayFilters)');
    throw badValue(`The dollar ($) prefixed field '${marker}' in '${path}' is not allowed in an update path`);
  }
  if (i === 0) throw badValue(`Cannot have array filter identifier (i.e. '$') at the top level of the path '${path}'`);
  const { found, value } = getExact(doc, prefix);
  if (marker === '$[]') {
    if (!found || !Array.isArray(value)) throw badValue(`The path '${prefix.join('.')}' must exist in the document in order to apply array updates.`);
    return value.flatMap((_, idx) => expandPositional(doc, [...prefix, String(idx), ...parts.slice(i + 1)], filter, path));
  }
  const idx = found && Array.isArray(value) ? positionalIndex(value, prefix, filter) : -1;
  if (idx < 0) throw badValue('The positional operator did not find the match needed from the query.');
  return [[...prefix, String(idx), ...parts.slice(i + 1)]];
}

function positionalIndex(arr: unknown[], prefix: string[], filter: Document): number {
  const dotted = prefix.join('.');
  const relevant: Document = {};
  const collect = (f: Document): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) v.forEach((s) => isPlainDocument(s) && collect(s));
      else if (k === dotted || k.startsWith(dotted + '.')) relevant[k] = v;
    }
  };
  collect(filter);
  if (Object.keys(relevant).length === 0) return -1;
  const matches = compileFilter(relevant);
  return arr.findIndex((el) => {
    const probe: Document = {};
    setExact(probe, prefix, [el]);
    return matches(probe);
  });
}

function planSteps(doc: Document, update: Document, ctx: UpdateContext): Step[] {
  const steps: Step[] = [];
  for (const [op, fields] of Object.entries(update)) {
    for (const [path, arg] of Object.entries(fields as Document)) {
      const raw = splitPath(path);
      if (op === '$rename') {
        if (typeof arg !== 'string') throw badValue(`The 'to' field for $rename must be a string: ${path}: ${formatValue(arg)}`);
        const to = splitPath(arg);
        if ([...raw, ...to].some((p) => p.startsWith('$'))) throw badValue('The source and target field for $rename must not contain positional operators');
        if (path === arg) throw badValue(`The source and target field for $rename must differ: ${path}: ${formatValue(arg)}`);
        steps.push({ op, path, parts: raw, arg }, { op: '$rename:to', path: arg, parts: to, arg: path, to: raw });
        continue;
      }
      for (const parts of expandPositional(doc, raw, ctx.filter, path)) steps.push({ op, path, parts, arg });
    }
  }
  const sorted = steps.slice().sort((a, b) => comparePaths(a.parts, b.parts));
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      if (isPrefix(a.parts, b.parts) || isPrefix(b.parts, a.parts)) throw updateConflict(b.path, a.path);
      if (comparePaths(a.parts.slice(0, 1), b.parts.slice(0, 1)) !== 0) break;
    }
  }
  return sorted;
}

function numberArgument(op: string, path: string, arg: unknown): void {
  if (!isNumeric(arg)) throw typeMismatch(`Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${formatValue(arg)}}`);
}

function arrayAt(doc: Document, step: Step, op: string): unknown[] | undefined {
  const { found, value } = getExact(doc, step.parts);
  if (!found) return undefined;
  if (!Array.isArray(value)) {
    const what = op === '$pull' || op === '$pullAll' ? 'Cannot apply $pull to a non-array value' : `The field '${step.path}' must be an array but is of type ${bsonTypeAlias(value)} in document {_id: ${formatValue(doc._id)}}`;
    throw badValue(what);
  }
  return value;
}

function sortSpecComparator(spec: unknown): (a: unknown, b: unknown) => number {
  const dir = smallInteger(spec);
  if (dir === 1 || dir === -1) return (a, b) => dir * compareBson(a, b);
  if (!isPlainDocument(spec) || Object.keys(spec).length === 0) throw badValue('The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields');
  const keys = Object.entries(spec).map(([k, d]) => {
    const n = smallInteger(d);
    if (n !== 1 && n !== -1) throw badValue('The $sort element value must be either 1 or -1');
    return [splitPath(k), n] as const;
  });
  return (a, b) => {
    for (const [parts, d] of keys) {
      const va = isPlainDocument(a) ? getExact(a, parts).value : undefined;
      const vb = isPlainDocument(b) ? getExact(b, parts).value : undefined;
      const c = compareBson(va, vb);
      if (c) return d * c;
    }
    return 0;
  };
}

function applyPush(doc: Document, step: Step): void {
  let each: unknown[] = [step.arg];
  let position: number | undefined;
  let slice: number | undefined;
  let sort: ((a: unknown, b: unknown) => number) | undefined;
  if (isPlainDocument(step.arg) && hasOwn(step.arg, '$each')) {
    const mods = step.arg;
    for (const k of Object.keys(mods)) if (!PUSH_MODIFIERS.has(k)) throw badValue(`Unrecognized clause in $push: ${k}`);
    if (!Array.isArray(mods.$each)) throw badValue(`The argument to $each in $push must be an array but it was of type: ${bsonTypeAlias(mods.$each)}`);
    each = mods.$each;
    if (hasOwn(mods, '$position')) {
      position = smallInteger(mods.$position);
      if (position === undefined) throw badValue('The value for $position must be an integer value');
    }
    if (hasOwn(mods, '$slice')) {
      slice = smallInteger(mods.$slice);
      if (slice === undefined) throw badValue('The value for $slice must be an integer value');
    }
    if (hasOwn(mods, '$sort')) sort = sortSpecComparator(mods.$sort);
  }
  const current = arrayAt(doc, step, '$push') ?? [];
  const next = current.slice();
  let at = position ?? next.length;
  if (at < 0) at = Math.max(0, next.length + at);
  next.splice(Math.min(at, next.length), 0, ...each);
  if (sort) next.sort(sort);
  let result = next;
  if (slice !== undefined) result = slice >= 0 ? next.slice(0, slice) : next.slice(Math.max(0, next.length + slice));
  setExact(doc, step.parts, result);
}

function applyAddToSet(doc: Document, step: Step): void {
  let each: unknown[] = [step.arg];
  if (isPlainDocument(step.arg) && hasOwn(step.arg, '$each')) {
    if (!Array.isArray(step.arg.$each)) throw badValue(`The argument to $each in $addToSet must be an array but it was of type ${bsonTypeAlias(step.arg.$each)}`);
    each = step.arg.$each;
  }
  const next = (arrayAt(doc, step, '$addToSet') ?? []).slice();
  for (const v of each) if (!next.some((e) => bsonEquals(e, v))) next.push(v);
  setExact(doc, step.parts, next);
}

function pullPredicate(arg: unknown): (e: unknown) => boolean {
  if (isPlainDocument(arg)) {
    const keys = Object.keys(arg);
    if (keys.length > 0 && keys.every((k) => k.startsWith('$') && k !== '$and' && k !== '$or' && k !== '$nor')) {
      const test = compileFilter({ v: arg });
      return (e) => test({ v: e });
    }
    const test = compileFilter(arg);
    return (e) => isPlainDocument(e) && test(e);
  }
  if (arg instanceof RegExp || (arg as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp') {
    const test = compileFilter({ v: arg as Document });
    return (e) => typeof e === 'string' && test({ v: e });
  }
  return (e) => bsonEquals(e, arg);
}

function applyStep(doc: Document, step: Step, ctx: UpdateContext): void {
  const { op, parts, arg } = step;
  switch (op) {
    case '$setOnInsert':
      if (!ctx.isInsert) return;
      setExact(doc, parts, arg);
      return;
    case '$set':
      setExact(doc, parts, arg);
      return;
    case '$unset':
      unsetExact(doc, parts);
      return;
    case '$inc':
    case '$mul': {
      numberArgument(op, step.path, arg);
      const { found, value } = getExact(doc, parts);
      if (found && !isNumeric(value)) {
        throw typeMismatch(`Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${parts[parts.length - 1]}' of non-numeric type ${bsonTypeAlias(value)}`);
      }
      let result: unknown;
      try {
        result = !found ? (op === '$inc' ? arg : zeroLike(arg)) : op === '$inc' ? addNumbers(value, arg) : multiplyNumbers(value, arg);
      } catch (err) {
        if (err instanceof RangeError) throw overflow(`Failed to apply ${op} operations to current value (${formatValue(value)}) for document {_id: ${formatValue(doc._id)}}`);
        throw err;
      }
      setExact(doc, parts, result);
      return;
    }
    case '$min':
    case '$max': {
      const { found, value } = getExact(doc, parts);
      const c = found ? compareBson(arg, value) : 0;
      if (!found || (op === '$min' ? c < 0 : c > 0)) setExact(doc, parts, arg);
      return;
    }
    case '$currentDate': {
      const type = arg === true ? 'date' : isPlainDocument(arg) ? arg.$type : undefined;
      if (type !== 'date' && type !== 'timestamp') throw badValue(`${step.path} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`);
      const now = Date.now();
      setExact(doc, parts, type === 'date' ? new Date(now) : new Timestamp({ t: Math.floor(now / 1000), i: nextTimestampIncrement() }));
      return;
    }
    case '$push':
      applyPush(doc, step);
      return;
    case '$addToSet':
      applyAddToSet(doc, step);
      return;
    case '$pull':
    case '$pullAll': {
      const current = arrayAt(doc, step, op);
      if (!current) return;
      let remove: (e: unknown) => boolean;
      if (op === '$pullAll') {
        if (!Array.isArray(arg)) throw badValue(`$pullAll requires an array argument but was given a ${bsonTypeAlias(arg)}`);
        remove = (e) => arg.some((v) => bsonEquals(e, v));
      } else {
        remove = pullPredicate(arg);
      }
      const kept = current.filter((e) => !remove(e));
      if (kept.length !== current.length) setExact(doc, parts, kept);
      return;
    }
    case '$pop': {
      const dir = smallInteger(arg);
      if (dir !== 1 && dir !== -1) throw failedToParse(`$pop expects 1 or -1, found: ${formatValue(arg)}`);
      const current = arrayAt(doc, step, '$pop');
      if (!current || current.length === 0) return;
      setExact(doc, parts, dir === 1 ? current.slice(0, -1) : current.slice(1));
      return;
    }
    case '$rename': {
      const { found, value } = getExact(doc, parts);
      if (!found) return;
      for (const p of [parts, step.to ?? []]) {
        for (let i = 1; i < p.length; i++) {
          if (Array.isArray(getExact(doc, p.slice(0, i)).value)) throw badValue(`The source and target field for $rename must not be on an array: ${step.path}`);
        }
      }
      const target = splitPath(String(arg));
      unsetExact(doc, parts);
      setExact(doc, target, value);
      return;
    }
    case '$rename:to':
      return;
    default:
      throw unsupported(op);
  }
}

let timestampIncrement = 0;
function nextTimestampIncrement(): number {
  timestampIncrement = (timestampIncrement + 1) % 0x7fffffff;
  return timestampIncrement;
}

/**
 * Applies an (already validated and BSON-normalised) update to `doc` in place.
 * Throws the server's errors for conflicts, type mismatches and `_id` changes.
 */
export function applyUpdate(doc: Document, update: Document, ctx: UpdateContext): void {
  const hadId = hasOwn(doc, '_id');
  const oldId = doc._id;
  for (const step of planSteps(doc, update, ctx)) applyStep(doc, step, ctx);
  if (!ctx.isInsert && hadId && (!hasOwn(doc, '_id') || !bsonEquals(doc._id, oldId) || bsonTypeAlias(doc._id) !== bsonTypeAlias(oldId))) {
    throw immutableId(doc._id);
  }
}

/**
 * The document an upsert starts from: the equality fields of the filter (MongoDB's rule), e.g.
 * `{ tenant: 't1', 'key.id': 5, n: { $gt: 1 } }` seeds `{ tenant: 't1', key: { id: 5 } }`.
 */
export function upsertSeed(equalities: [string, unknown][]): Document {
  const seed: Document = {};
  const seen: string[][] = [];
  for (const [path, value] of equalities) {
    const parts = splitPath(path);
    const clash = seen.find((p) => isPrefix(p, parts) || isPrefix(parts, p));
    if (clash) throw notUnique(`cannot infer query fields to set, path '${clash.join('.')}' is matched twice`);
    seen.push(parts);
    setExact(seed, parts, value);
  }
  return seed;
}

/** Gives an upserted document an `_id` (a fresh ObjectId) when neither filter nor update set one, as the server does. */
export function ensureUpsertId(doc: Document): void {
  if (!hasOwn(doc, '_id')) doc._id = new ObjectId();
}
