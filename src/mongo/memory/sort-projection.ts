/**
 * `sort` and `projection` of find options, with the server's rules.
 *
 * Sort: BSON comparison order across types; a missing field sorts as null; an array field sorts by its
 * smallest element ascending and its largest descending; an empty array sorts before null. Ties keep
 * natural (insertion) order.
 *
 * Projection: inclusion (`{ a: 1, 'b.c': 1 }`) or exclusion (`{ a: 0 }`), `_id` included unless
 * `_id: 0`, dotted paths through embedded documents and arrays of documents. Fields keep document order.
 *
 * @example
 * const order = sortComparator({ createdAt: -1, _id: 1 });
 * const project = compileProjection({ _id: 0, name: 1 });
 */
import type { Document } from 'bson';
import { compareBson } from './bson-order.js';
import { hasOwn, isPlainDocument, pathValues, splitPath } from './doc-path.js';
import { badValue, unsupported } from './errors.js';
import type { Sort } from '../mongo-types.js';

type SortKey = { readonly parts: string[]; readonly dir: 1 | -1 };

function directionOf(field: string, v: unknown): 1 | -1 {
  if (v === 1 || v === 'asc' || v === 'ascending') return 1;
  if (v === -1 || v === 'desc' || v === 'descending') return -1;
  if (typeof v === 'object' && v !== null && '$meta' in v) throw unsupported(`$meta sort on '${field}'`);
  throw badValue(`Invalid sort direction for '${field}': ${JSON.stringify(v)} (expected 1 or -1)`);
}

/** The value a document sorts by for one key: min (ascending) or max (descending) of what the path reaches. */
function sortValue(view: Document, key: SortKey): unknown {
  if (key.parts.length === 1 && isPlainDocument(view)) {
    // A top-level field holding no array (the usual sort key): its value, as the general walk gives it.
    const part = key.parts[0]!;
    if (!hasOwn(view, part)) return null;
    const v: unknown = view[part];
    if (!Array.isArray(v)) return v;
  }
  const values = pathValues(view, key.parts);
  if (values.length === 0) return null;
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    const c = compareBson(values[i], best);
    if (key.dir === 1 ? c < 0 : c > 0) best = values[i];
  }
  return best;
}

function sortKeys(spec: Sort | undefined): SortKey[] {
  return Object.entries(spec ?? {}).map(([field, dir]) => {
    if (field === '$natural') throw unsupported('$natural sort');
    return { parts: splitPath(field), dir: directionOf(field, dir) };
  });
}

/**
 * The direction of a sort the `_id` index serves: the spec's first key is `_id` (a unique key, so
 * any further key never decides), else undefined. Validates the whole spec like {@link sortDocuments}.
 */
export function idSortDirection(spec: Sort | undefined): 1 | -1 | undefined {
  const keys = sortKeys(spec);
  return keys.length > 0 && keys[0]!.parts.length === 1 && keys[0]!.parts[0] === '_id' ? keys[0]!.dir : undefined;
}

/**
 * Sorts items by a MongoDB sort spec; `viewOf` gives each item's type-exact document.
 * Sort keys are computed once per item; the sort is stable.
 */
export function sortDocuments<T>(items: readonly T[], spec: Sort | undefined, viewOf: (item: T) => Document): T[] {
  const keys = sortKeys(spec);
  if (keys.length === 0) return items.slice();
  const decorated = items.map((item) => ({ item, values: keys.map((k) => sortValue(viewOf(item), k)) }));
  decorated.sort((a, b) => compareDecorated(keys, a.values, b.values));
  return decorated.map((d) => d.item);
}

function compareDecorated(keys: readonly SortKey[], a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compareBson(a[i], b[i]);
    if (c) return keys[i]!.dir * c;
  }
  return 0;
}

/**
 * The first `keep` items of a sort, offered one by one in natural order (`offer(item, view)`), in
 * O(keep) memory: what a sorted query with a limit needs, without sorting every match. Stable like
 * {@link sortDocuments}: of equal items the earlier offered comes first.
 *
 * @example
 * const top = topSorted<Doc>({ createdAt: -1 }, 10);
 * for (const d of docs) top.offer(d, d.view);
 * top.items();
 */
export function topSorted<T>(spec: Sort | undefined, keep: number): { offer(item: T, view: Document): void; items(): T[] } {
  const keys = sortKeys(spec);
  const best: { item: T; values: unknown[] }[] = [];
  return {
    offer(item, view) {
      if (keep <= 0) return;
      const values = keys.map((k) => sortValue(view, k));
      if (best.length === keep && compareDecorated(keys, values, best[best.length - 1]!.values) >= 0) return;
      // After every equal item: stability.
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareDecorated(keys, values, best[mid]!.values) < 0) hi = mid;
        else lo = mid + 1;
      }
      best.splice(lo, 0, { item, values });
      if (best.length > keep) best.pop();
    },
    items: () => best.map((b) => b.item),
  };
}

/** A projection tree: `true` marks a projected leaf. */
type Tree = { [field: string]: Tree | true };

function addPath(tree: Tree, parts: string[]): void {
  let node = tree;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1) {
      node[part] = true;
      return;
    }
    const next = node[part];
    if (next === true) return; // a parent already covers this path
    node = next ?? (node[part] = {});
  }
}

function include(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.filter((v) => isPlainDocument(v) || Array.isArray(v)).map((v) => include(v, tree));
  if (!isPlainDocument(value)) return undefined;
  const out: Document = {};
  for (const key of Object.keys(value)) {
    const node = tree[key];
    if (node === undefined) continue;
    if (node === true) {
      out[key] = value[key];
    } else {
      const sub = include(value[key], node);
      if (sub !== undefined) out[key] = sub;
    }
  }
  return out;
}

function exclude(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.map((v) => (isPlainDocument(v) || Array.isArray(v) ? exclude(v, tree) : v));
  if (!isPlainDocument(value)) return value;
  const out: Document = {};
  for (const key of Object.keys(value)) {
    const node = tree[key];
    if (node === true) continue;
    out[key] = node === undefined ? value[key] : exclude(value[key], node);
  }
  return out;
}

function flag(field: string, v: unknown): boolean {
  if (v === 1 || v === true) return true;
  if (v === 0 || v === false) return false;
  if (typeof v === 'number') return v !== 0;
  throw unsupported(`projection operators or expressions (field '${field}')`);
}

/** Whether a find projection keeps `_id` alone (`{ _id: 1 }`): answered from the stored `_id`, no document decoded. */
export function isIdOnlyProjection(spec: Record<string, unknown> | undefined): boolean {
  const keys = Object.keys(spec ?? {});
  const v = keys.length === 1 && keys[0] === '_id' ? spec!._id : undefined;
  // Anything else (an operator, 0...) takes the general path, which raises the error at the first read.
  return v === true || (typeof v === 'number' && v !== 0);
}

/** Compiles a find projection; undefined when there is nothing to project. */
export function compileProjection(spec: Record<string, unknown> | undefined): ((doc: Document) => Document) | undefined {
  const entries = Object.entries(spec ?? {});
  if (entries.length === 0) return undefined;
  let idIncluded = true;
  let mode: 'include' | 'exclude' | undefined;
  const tree: Tree = {};
  for (const [field, v] of entries) {
    const on = flag(field, v);
    if (field === '_id') {
      idIncluded = on;
      continue;
    }
    const wanted = on ? 'include' : 'exclude';
    if (mode && mode !== wanted) {
      throw badValue(`Cannot do ${wanted === 'exclude' ? 'exclusion' : 'inclusion'} on field ${field} in ${mode === 'include' ? 'inclusion' : 'exclusion'} projection`);
    }
    mode = wanted;
    addPath(tree, splitPath(field));
  }
  if (mode === 'include' || (mode === undefined && idIncluded && entries.length > 0 && flag('_id', spec?._id))) {
    if (idIncluded) tree._id = true;
    return (doc) => include(doc, tree) as Document;
  }
  if (!idIncluded) tree._id = true;
  return (doc) => {
    const out = exclude(doc, tree) as Document;
    if (!idIncluded && hasOwn(out, '_id')) delete out._id;
    return out;
  };
}
