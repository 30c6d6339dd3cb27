/**
 * The in-memory state of one collection: its documents as immutable BSON bytes, in natural (insertion)
 * order and in `_id` order (see id-order.ts), and its index catalog. All mutations check the `_id` and
 * unique indexes first and change nothing when a check fails.
 *
 * A document keeps its bytes and its type-exact `_id`; its full type-exact view is decoded the first
 * time a query needs it, so a collection loads (from a folder, in each worker process) without
 * decoding its documents, and one read only by `_id` ranges never holds decoded copies.
 */
import type { Document } from 'bson';
import { canonicalKey } from './bson-order.js';
import { decodeView, idOfBytes, valueForDriver } from './bson-codec.js';
import { duplicateKey } from './errors.js';
import { ID_INDEX, IndexCatalog, type IndexSpec } from './index-catalog.js';
import { IdOrder } from './id-order.js';
import { sortDocuments } from './sort-projection.js';
import type { Sort } from '../mongo-types.js';

/** How many sorted candidate lists a collection keeps (a few tenants times a few orders). */
const SORTED_LISTS = 32;

/** One stored document. Its bytes are shared and must never be mutated. */
export class StoredDocument {
  /** Natural-order position (kept by a new version of the same `_id`); set when stored. */
  seq = 0;
  private cached?: Document;

  /**
   * @param bytes - the stored BSON.
   * @param id - the type-exact `_id`.
   * @param idKey - canonical key of `_id` (equal for BSON-equal ids, e.g. `1` and `Long(1)`).
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly id: unknown,
    readonly idKey: string,
  ) {}

  /**
   * The type-exact view, decoded when a query first needs it (a filter on other fields than `_id`,
   * a sort, a unique index) and kept; shared, so it must never be mutated. Documents only ever
   * read by `_id` (conversion, parity drains) are never decoded here.
   */
  get view(): Document {
    this.cached ??= decodeView(this.bytes);
    return this.cached;
  }
}

export function storedFrom(bytes: Uint8Array): StoredDocument {
  const id = idOfBytes(bytes);
  return new StoredDocument(bytes, id, canonicalKey(id));
}

export class CollectionData {
  readonly docs = new Map<string, StoredDocument>();
  /** The same documents in `_id` order. */
  readonly byId = new IdOrder<StoredDocument>();
  readonly indexes: IndexCatalog;
  /** Whether the collection exists (created by an insert, an upsert or createIndex). */
  exists = false;
  /** Sum of the stored BSON sizes, to decide when a journal deserves compaction. */
  liveBytes = 0;
  private nextSeq = 0;
  /** Bumped by every change, so derived lookups (see `stringCandidates`) know when to rebuild. */
  private version = 0;
  private readonly byString = new Map<string, { version: number; values: Map<string, StoredDocument[]>; others: StoredDocument[] }>();
  /** `sortedCandidates` lists, least recently used first; `docs` null until asked for a second time. */
  private readonly sortedByString = new Map<string, { version: number; docs: StoredDocument[] | null }>();
  /** The version the last `sortedCandidates` call saw: equal to `version` while the collection is at rest. */
  private sortedQueryVersion = -1;

  constructor(readonly namespace: string) {
    this.indexes = new IndexCatalog(namespace);
  }

  private views(): Iterable<[string, Document]> {
    const docs = this.docs;
    return (function* () {
      for (const [k, d] of docs) yield [k, d.view] as [string, Document];
    })();
  }

  /** Throws E11000 (nothing changes) if `doc` duplicates an `_id` or a unique key. */
  insert(doc: StoredDocument, view?: Document): void {
    if (this.docs.has(doc.idKey)) {
      throw duplicateKey(this.namespace, ID_INDEX.name, ID_INDEX.key, { _id: valueForDriver(doc.id) });
    }
    const v = this.indexes.hasUnique ? (view ?? doc.view) : undefined;
    if (v) this.indexes.check(v, doc.idKey);
    this.put(doc, v);
    this.exists = true;
  }

  /** Replaces a document by a new version with the same `_id`; E11000 leaves the old one in place. */
  replace(next: StoredDocument, view?: Document): void {
    const v = this.indexes.hasUnique ? (view ?? next.view) : undefined;
    if (v) this.indexes.check(v, next.idKey);
    this.put(next, v);
  }

  /** Stores without checks (journal replay, or after checks passed); `view` spares a decode when known. */
  put(doc: StoredDocument, view?: Document): void {
    this.version++;
    const old = this.docs.get(doc.idKey);
    if (old) {
      if (this.indexes.hasUnique) this.indexes.removeDocument(old.view, old.idKey);
      this.liveBytes -= old.bytes.length;
      doc.seq = old.seq;
      this.byId.replace(doc);
    } else {
      doc.seq = ++this.nextSeq;
      this.byId.insert(doc);
    }
    this.docs.set(doc.idKey, doc);
    if (this.indexes.hasUnique) this.indexes.addDocument(view ?? doc.view, doc.idKey);
    this.liveBytes += doc.bytes.length;
  }

  remove(idKey: string): boolean {
    const old = this.docs.get(idKey);
    if (!old) return false;
    this.version++;
    if (this.indexes.hasUnique) this.indexes.removeDocument(old.view, idKey);
    this.docs.delete(idKey);
    this.byId.remove(old);
    this.liveBytes -= old.bytes.length;
    return true;
  }

  /**
   * The documents that may hold the string `value` in the top-level field `field`: those whose field
   * holds exactly that string, and every document whose field holds no string (an array, a document,
   * nothing...), which only the full filter can decide; in natural order. A lookup built on first use
   * and rebuilt after any change: what a server's index on the field would give a repeated query
   * (output parity pages through one tenant at a time).
   */
  stringCandidates(field: string, value: string): StoredDocument[] {
    let built = this.byString.get(field);
    if (!built || built.version !== this.version) {
      const values = new Map<string, StoredDocument[]>();
      const others: StoredDocument[] = [];
      for (const d of this.docs.values()) {
        const v = d.view[field];
        if (typeof v !== 'string') others.push(d);
        else {
          const list = values.get(v);
          if (list) list.push(d);
          else values.set(v, [d]);
        }
      }
      built = { version: this.version, values, others };
      this.byString.set(field, built);
    }
    const exact = built.values.get(value) ?? [];
    if (built.others.length === 0) return exact;
    return [...exact, ...built.others].sort((a, b) => a.seq - b.seq);
  }

  /**
   * `stringCandidates(field, value)` in the order of `sort` (stable: natural order among equals), as
   * an index on the field and the sort keys would give them, so that a sorted page reads only as far
   * as it needs. Null the first time a (field, value, sort) is seen at this version while the
   * collection changes between sorted queries: the list is sorted when the same query comes again with
   * no change in between (the next page), never for a collection that changes between every query.
   * A collection at rest since the last sorted query (nothing written in between: a verification's
   * probes, one list after another) sorts it at once. At most SORTED_LISTS are kept.
   *
   * @example
   * data.sortedCandidates('tenantId', tenant, { createdAt: -1, _id: -1 }) ?? data.stringCandidates('tenantId', tenant);
   */
  sortedCandidates(field: string, value: string, sort: Sort): StoredDocument[] | null {
    const key = JSON.stringify([field, value, Object.entries(sort)]);
    const entry = this.sortedByString.get(key);
    this.sortedByString.delete(key);
    const atRest = this.sortedQueryVersion === this.version;
    this.sortedQueryVersion = this.version;
    const current = entry && entry.version === this.version ? entry : { version: this.version, docs: null };
    // Most recently used last; the least recently used goes past SORTED_LISTS.
    this.sortedByString.set(key, current);
    if (this.sortedByString.size > SORTED_LISTS) this.sortedByString.delete(this.sortedByString.keys().next().value!);
    // Seen for the first time at this version, while writes come between sorted queries: a bounded sort instead.
    if (current !== entry && !atRest) return null;
    current.docs ??= sortDocuments(this.stringCandidates(field, value), sort, (d) => d.view);
    return current.docs;
  }

  /** Adds an index (idempotent for an identical spec); returns its name. */
  createIndex(spec: IndexSpec): { name: string; created: boolean } {
    const existing = this.indexes.existing(spec);
    if (existing) {
      this.exists = true;
      return { name: existing.name, created: false };
    }
    this.indexes.add(spec, this.views());
    this.exists = true;
    return { name: spec.name, created: true };
  }

  /** Replaces everything (a reload from disk). */
  reset(docs: Iterable<StoredDocument>, specs: readonly IndexSpec[], exists: boolean): void {
    this.version++;
    this.docs.clear();
    this.liveBytes = 0;
    this.nextSeq = 0;
    const all: StoredDocument[] = [];
    for (const d of docs) {
      d.seq = ++this.nextSeq;
      this.docs.set(d.idKey, d);
      all.push(d);
      this.liveBytes += d.bytes.length;
    }
    this.byId.reset(all);
    this.indexes.reset(specs, this.views());
    this.exists = exists;
  }

  /** Re-reads index specs (another process created one) and rebuilds the unique maps. */
  resetIndexes(specs: readonly IndexSpec[]): void {
    this.indexes.reset(specs, this.views());
  }

  /** Forgets all documents and indexes (drop). */
  clear(): void {
    this.reset([], [], false);
  }
}
