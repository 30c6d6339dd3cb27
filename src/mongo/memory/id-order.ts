/**
 * The `_id` index of a `memory:` collection: its documents in MongoDB's `_id` order, so that a range
 * (`_id` >= / > / < / <=, across type classes) sorted by `_id` with a limit is answered in
 * O(log n + k) instead of a scan and a sort of the whole collection, as a server answers it from its
 * `_id` index.
 *
 * The order is {@link compareBson} on the type-exact `_id` (type class first, then value), with the
 * canonical key as tie-break so the order is strict. Documents sit in sorted chunks of at most
 * {@link CHUNK} entries (a flat B-tree): finding a position is two binary searches, inserting or
 * removing moves at most one chunk's entries, and appending in `_id` order (ObjectIds) is O(log n).
 *
 * @example
 * const order = new IdOrder();
 * order.insert(doc);
 * for (const d of order.walk(lowerBound(ObjectId(a), true), upperBound(ObjectId(b), false), false)) use(d);
 */
import type { ObjectId } from 'bson';
import { compareBson, compareObjectIds, compareStrings, typeRank } from './bson-order.js';

/** What the index keeps of a document. */
export interface Ordered {
  readonly id: unknown;
  readonly idKey: string;
}

/** Entries per chunk before it splits. */
const CHUNK = 512;

function tagOf(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? (v as { _bsontype?: string })._bsontype : undefined;
}

/**
 * {@link compareBson} for `_id` values, with direct paths for the usual id types.
 */
export function compareIds(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const ta = tagOf(a);
  if (ta === 'ObjectId' && tagOf(b) === 'ObjectId') return compareObjectIds(a as ObjectId, b as ObjectId);
  return compareBson(a, b);
}

function compareEntries(a: Ordered, b: Ordered): number {
  return compareIds(a.id, b.id) || (a.idKey < b.idKey ? -1 : a.idKey > b.idKey ? 1 : 0);
}

/**
 * One end of an `_id` interval: a value (inclusive or not), or, without a value, the start (lower) or
 * end (upper) of the type class `rank`.
 */
export interface IdBound {
  readonly rank: number;
  readonly value?: unknown;
  readonly hasValue: boolean;
  readonly inclusive: boolean;
}

export function valueBound(value: unknown, inclusive: boolean): IdBound {
  return { rank: typeRank(value), value, hasValue: true, inclusive };
}

export function classBound(rank: number): IdBound {
  return { rank, hasValue: false, inclusive: true };
}

/** Whether `id` lies before the interval that starts at `lo`. */
function beforeLower(id: unknown, lo: IdBound): boolean {
  const r = typeRank(id);
  if (r !== lo.rank) return r < lo.rank;
  if (!lo.hasValue) return false;
  const c = compareIds(id, lo.value);
  return c < 0 || (c === 0 && !lo.inclusive);
}

/** Whether `id` lies after the interval that ends at `hi`. */
function afterUpper(id: unknown, hi: IdBound): boolean {
  const r = typeRank(id);
  if (r !== hi.rank) return r > hi.rank;
  if (!hi.hasValue) return false;
  const c = compareIds(id, hi.value);
  return c > 0 || (c === 0 && !hi.inclusive);
}

/** A position: chunk and offset in it (offset may equal the chunk's length only at the very end). */
type Position = readonly [number, number];

export class IdOrder<T extends Ordered> {
  private chunks: T[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The first position whose entry satisfies `past` (monotone: false then true along the order). */
  private locate(past: (e: T) => boolean): Position {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      if (past(c[c.length - 1]!)) hi = mid;
      else lo = mid + 1;
    }
    if (lo === chunks.length) return lo === 0 ? [0, 0] : [lo - 1, chunks[lo - 1]!.length];
    const c = chunks[lo]!;
    let a = 0;
    let b = c.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (past(c[mid]!)) b = mid;
      else a = mid + 1;
    }
    return [lo, a];
  }

  insert(doc: T): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([doc]);
      return;
    }
    const last = this.chunks[this.chunks.length - 1]!;
    // Appending in order (ObjectIds, sequences) is the common case: no search.
    const [ci, off] = compareEntries(last[last.length - 1]!, doc) < 0 ? [this.chunks.length - 1, last.length] : this.locate((e) => compareEntries(e, doc) > 0);
    const chunk = this.chunks[ci]!;
    if (off === chunk.length) chunk.push(doc);
    else chunk.splice(off, 0, doc);
    if (chunk.length > CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  /** Removes the entry with `doc`'s `_id`; false when there is none. */
  remove(doc: Ordered): boolean {
    const at = this.find(doc);
    if (!at) return false;
    const [ci, off] = at;
    const chunk = this.chunks[ci]!;
    chunk.splice(off, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    this.count--;
    return true;
  }

  /** Puts `doc` in the place of the entry with the same `_id` (a new version); false when there is none. */
  replace(doc: T): boolean {
    const at = this.find(doc);
    if (!at) return false;
    this.chunks[at[0]]![at[1]] = doc;
    return true;
  }

  private find(doc: Ordered): Position | undefined {
    if (this.count === 0) return undefined;
    const at = this.locate((e) => compareEntries(e, doc) >= 0);
    const e = this.chunks[at[0]]![at[1]];
    return e !== undefined && e.idKey === doc.idKey ? at : undefined;
  }

  /** Replaces the content by `docs` (any order). */
  reset(docs: readonly T[]): void {
    let sorted = true;
    for (let i = 1; i < docs.length && sorted; i++) sorted = compareEntries(docs[i - 1]!, docs[i]!) < 0;
    const all = sorted ? docs : [...docs].sort(compareEntries);
    this.chunks = [];
    const half = CHUNK >>> 1;
    for (let i = 0; i < all.length; i += half) this.chunks.push(all.slice(i, i + half));
    this.count = all.length;
  }

  private start(lo: IdBound | null): Position {
    return lo ? this.locate((e) => !beforeLower(e.id, lo)) : [0, 0];
  }

  private end(hi: IdBound | null): Position {
    if (!hi) return this.chunks.length === 0 ? [0, 0] : [this.chunks.length - 1, this.chunks[this.chunks.length - 1]!.length];
    return this.locate((e) => afterUpper(e.id, hi));
  }

  /** Entries from `lo` to `hi` (null = open), in `_id` order or reversed. */
  *walk(lo: IdBound | null, hi: IdBound | null, reverse: boolean): Generator<T, void, undefined> {
    if (this.count === 0) return;
    const [sc, so] = this.start(lo);
    const [ec, eo] = this.end(hi);
    const chunks = this.chunks;
    if (!reverse) {
      for (let c = sc; c <= ec && c < chunks.length; c++) {
        const chunk = chunks[c]!;
        const to = c === ec ? eo : chunk.length;
        for (let i = c === sc ? so : 0; i < to; i++) yield chunk[i]!;
      }
    } else {
      for (let c = Math.min(ec, chunks.length - 1); c >= sc; c--) {
        const chunk = chunks[c]!;
        const from = c === sc ? so : 0;
        for (let i = (c === ec ? eo : chunk.length) - 1; i >= from; i--) yield chunk[i]!;
      }
    }
  }

  /** How many entries lie between `lo` and `hi`. */
  countBetween(lo: IdBound | null, hi: IdBound | null): number {
    if (this.count === 0) return 0;
    if (!lo && !hi) return this.count;
    const [sc, so] = this.start(lo);
    const [ec, eo] = this.end(hi);
    if (ec < sc || (ec === sc && eo <= so)) return 0;
    let n = 0;
    for (let c = sc; c < ec; c++) n += this.chunks[c]!.length;
    return n - so + eo;
  }
}
