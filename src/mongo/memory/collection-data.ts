/**
 * The in-memory state of one collection: its documents as immutable BSON bytes (in natural, i.e.
 * insertion, order) with a cached type-exact view each, and its index catalog. All mutations check the
 * `_id` and unique indexes first and change nothing when a check fails.
 */
import type { Document } from 'bson';
import { canonicalKey } from './bson-order.js';
import { decodeView, valueForDriver } from './bson-codec.js';
import { duplicateKey } from './errors.js';
import { ID_INDEX, IndexCatalog, type IndexSpec } from './index-catalog.js';

/** One stored document. `view` is shared and must never be mutated. */
export interface StoredDocument {
  readonly bytes: Uint8Array;
  readonly view: Document;
  /** Canonical key of `_id` (equal for BSON-equal ids, e.g. `1` and `Long(1)`). */
  readonly idKey: string;
}

export function storedFrom(bytes: Uint8Array): StoredDocument {
  const view = decodeView(bytes);
  return { bytes, view, idKey: canonicalKey(view._id) };
}

export class CollectionData {
  readonly docs = new Map<string, StoredDocument>();
  readonly indexes: IndexCatalog;
  /** Whether the collection exists (created by an insert, an upsert or createIndex). */
  exists = false;
  /** Sum of the stored BSON sizes, to decide when a journal deserves compaction. */
  liveBytes = 0;

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
  insert(doc: StoredDocument): void {
    if (this.docs.has(doc.idKey)) {
      throw duplicateKey(this.namespace, ID_INDEX.name, ID_INDEX.key, { _id: valueForDriver(doc.view._id) });
    }
    this.indexes.check(doc.view, doc.idKey);
    this.put(doc);
    this.exists = true;
  }

  /** Replaces a document by a new version with the same `_id`; E11000 leaves the old one in place. */
  replace(next: StoredDocument): void {
    this.indexes.check(next.view, next.idKey);
    this.put(next);
  }

  /** Stores without checks (journal replay, or after checks passed). */
  put(doc: StoredDocument): void {
    const old = this.docs.get(doc.idKey);
    if (old) {
      this.indexes.removeDocument(old.view, old.idKey);
      this.liveBytes -= old.bytes.length;
    }
    this.docs.set(doc.idKey, doc);
    this.indexes.addDocument(doc.view, doc.idKey);
    this.liveBytes += doc.bytes.length;
  }

  remove(idKey: string): boolean {
    const old = this.docs.get(idKey);
    if (!old) return false;
    this.indexes.removeDocument(old.view, idKey);
    this.docs.delete(idKey);
    this.liveBytes -= old.bytes.length;
    return true;
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
    this.docs.clear();
    this.liveBytes = 0;
    for (const d of docs) {
      this.docs.set(d.idKey, d);
      this.liveBytes += d.bytes.length;
    }
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
