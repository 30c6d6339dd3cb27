/**
 * Index specifications of a collection and enforcement of its unique indexes.
 *
 * Unique keys follow the server: a missing field indexes as null (so two documents without the field
 * collide), an array indexes each element (multikey), an empty array indexes as `undefined`, numbers
 * compare by value across types, and a partial index only covers documents matching its
 * `partialFilterExpression`. Non-unique indexes are recorded (so `createIndex` is idempotent and
 * persisted) but have no effect on results.
 */
import type { Document } from 'bson';
import { canonicalKey, EMPTY_ARRAY_KEY } from './bson-order.js';
import { valueForDriver } from './bson-codec.js';
import { pathValues, splitPath } from './doc-path.js';
import { badValue, duplicateKey, indexConflict, unsupported } from './errors.js';
import { compileFilter, type DocumentPredicate } from './query-engine.js';
import type { IndexOptions } from '../mongo-types.js';

/** A stored index definition. */
export interface IndexSpec {
  readonly name: string;
  readonly key: Record<string, 1 | -1>;
  readonly unique?: boolean;
  readonly partialFilterExpression?: Document;
}

export const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 } };

interface KeyTuple {
  readonly key: string;
  readonly values: unknown[];
}

/** The in-memory map of one unique index: index key -> owning document's id key. */
class UniqueIndex {
  private readonly fields: string[][];
  private readonly partial?: DocumentPredicate;
  private readonly owners = new Map<string, string>();

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key).map(splitPath);
    if (spec.partialFilterExpression) this.partial = compileFilter(spec.partialFilterExpression);
  }

  keysOf(view: Document): KeyTuple[] {
    if (this.partial && !this.partial(view)) return [];
    let tuples: unknown[][] = [[]];
    for (const parts of this.fields) {
      const found = pathValues(view, parts);
      const values = found.length === 0 ? [null] : dedupe(found);
      tuples = tuples.flatMap((t) => values.map((v) => [...t, v]));
    }
    return tuples.map((values) => ({ key: JSON.stringify(values.map(canonicalKey)), values }));
  }

  /** The first key of `view` already owned by a different document. */
  conflict(view: Document, idKey: string): KeyTuple | undefined {
    return this.keysOf(view).find((k) => {
      const owner = this.owners.get(k.key);
      return owner !== undefined && owner !== idKey;
    });
  }

  add(view: Document, idKey: string): void {
    for (const k of this.keysOf(view)) this.owners.set(k.key, idKey);
  }

  remove(view: Document, idKey: string): void {
    for (const k of this.keysOf(view)) if (this.owners.get(k.key) === idKey) this.owners.delete(k.key);
  }

  /** The clashing key as the driver reports it in `keyValue` (an empty array indexes as undefined). */
  keyValue(tuple: KeyTuple): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    Object.keys(this.spec.key).forEach((field, i) => {
      const v = tuple.values[i];
      out[field] = v === EMPTY_ARRAY_KEY ? undefined : valueForDriver(v);
    });
    return out;
  }
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = canonicalKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function defaultIndexName(key: Record<string, 1 | -1>): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${v}`)
    .join('_');
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Validates `createIndex` arguments and builds the spec the server would store. */
export function buildIndexSpec(keys: Record<string, unknown>, options: IndexOptions = {}): IndexSpec {
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys) || Object.keys(keys).length === 0) {
    throw badValue('Index keys cannot be an empty object');
  }
  const key: Record<string, 1 | -1> = {};
  for (const [field, dir] of Object.entries(keys)) {
    if (dir !== 1 && dir !== -1) throw unsupported(`index type ${JSON.stringify(dir)} on '${field}' (only 1 / -1 keys)`);
    splitPath(field);
    key[field] = dir;
  }
  const known = new Set(['unique', 'name', 'partialFilterExpression', 'background']);
  for (const opt of Object.keys(options)) {
    if (!known.has(opt) && (options as Record<string, unknown>)[opt] !== undefined) throw unsupported(`the createIndex option '${opt}'`);
  }
  if (options.partialFilterExpression) compileFilter(options.partialFilterExpression);
  return {
    name: options.name ?? defaultIndexName(key),
    key,
    ...(options.unique ? { unique: true } : {}),
    ...(options.partialFilterExpression ? { partialFilterExpression: options.partialFilterExpression } : {}),
  };
}

/** All index specs of a collection plus the live unique-key maps. */
export class IndexCatalog {
  private specs: IndexSpec[] = [ID_INDEX];
  private unique: UniqueIndex[] = [];

  constructor(private readonly namespace: string) {}

  list(): readonly IndexSpec[] {
    return this.specs;
  }

  /** Whether any unique index needs the documents' keys (otherwise no document is decoded for it). */
  get hasUnique(): boolean {
    return this.unique.length > 0;
  }

  /** Replaces all specs (loading from disk) and rebuilds the unique maps from `views`. */
  reset(specs: readonly IndexSpec[], views: Iterable<[string, Document]>): void {
    this.specs = [ID_INDEX, ...specs.filter((s) => s.name !== ID_INDEX.name)];
    this.unique = this.specs.filter((s) => s.unique).map((s) => new UniqueIndex(s));
    if (this.unique.length === 0) return;
    for (const [idKey, view] of views) for (const u of this.unique) u.add(view, idKey);
  }

  /**
   * The existing index equivalent to `spec`, undefined when `spec` is new; throws when it clashes, as the
   * server does for the same name with another key, or the same key under another name.
   */
  existing(spec: IndexSpec): IndexSpec | undefined {
    for (const s of this.specs) {
      const sameKey = sameJson(s.key, spec.key);
      const sameOptions = Boolean(s.unique) === Boolean(spec.unique) && sameJson(s.partialFilterExpression, spec.partialFilterExpression);
      if (s.name === spec.name) {
        if (sameKey && sameOptions) return s;
        if (s.name === ID_INDEX.name && sameKey) return s;
        throw sameKey
          ? indexConflict(85, `An existing index has the same name as the requested index but different options. Requested index: ${spec.name}, existing index: ${s.name}`)
          : indexConflict(86, `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Requested index: ${spec.name} ${JSON.stringify(spec.key)}, existing index: ${s.name} ${JSON.stringify(s.key)}`);
      }
      if (sameKey && sameJson(s.partialFilterExpression, spec.partialFilterExpression)) {
        if (s.name === ID_INDEX.name) return s;
        throw indexConflict(85, `Index already exists with a different name: ${s.name}`);
      }
    }
    return undefined;
  }

  /** Adds a new index; a unique one is first checked against the existing documents (E11000 otherwise). */
  add(spec: IndexSpec, views: Iterable<[string, Document]>): void {
    if (spec.unique) {
      const index = new UniqueIndex(spec);
      for (const [idKey, view] of views) {
        const clash = index.conflict(view, idKey);
        if (clash) throw duplicateKey(this.namespace, spec.name, spec.key, index.keyValue(clash));
        index.add(view, idKey);
      }
      this.unique.push(index);
    }
    this.specs.push(spec);
  }

  /** Throws E11000 if `view` (owned by `idKey`) would duplicate a unique key of another document. */
  check(view: Document, idKey: string): void {
    for (const u of this.unique) {
      const clash = u.conflict(view, idKey);
      if (clash) throw duplicateKey(this.namespace, u.spec.name, u.spec.key, u.keyValue(clash));
    }
  }

  addDocument(view: Document, idKey: string): void {
    for (const u of this.unique) u.add(view, idKey);
  }

  removeDocument(view: Document, idKey: string): void {
    for (const u of this.unique) u.remove(view, idKey);
  }
}
