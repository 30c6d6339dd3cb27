import type { Document } from 'bson';
import { legacyIdOf } from './legacy-id.js';
import { isDuplicateKeyError, type MongoDbLike } from './mongo-types.js';

export interface LoadReport {
  /** Per collection: inserted, and already present (same `_id`, left untouched). */
  readonly collections: Record<string, { inserted: number; alreadyPresent: number }>;
}

/**
 * Loads legacy documents into MongoDB (real or memory:), in batches, in the order given.
 * Idempotent: every document must carry its `_id`, and one already present is left as it is
 * (counted), never overwritten. Any other failure stops the load naming the collection and id.
 *
 * @example
 * await loadLegacyDocuments(db, [['authority_users', { _id: new ObjectId(), tenantId, username: 'a', ... }]]);
 */
export async function loadLegacyDocuments(
  db: MongoDbLike,
  entries: Iterable<readonly [string, Document]>,
  options: { batchSize?: number; onProgress?: (loaded: number) => void } = {},
): Promise<LoadReport> {
  const batchSize = options.batchSize ?? 500;
  const report: Record<string, { inserted: number; alreadyPresent: number }> = {};
  let pending: { collection: string; docs: Document[] } | null = null;
  let loaded = 0;

  const flush = async () => {
    if (!pending || pending.docs.length === 0) return;
    const { collection, docs } = pending;
    pending = null;
    const stats = (report[collection] ??= { inserted: 0, alreadyPresent: 0 });
    try {
      const res = await db.collection(collection).insertMany(docs, { ordered: false });
      stats.inserted += res.insertedCount;
    } catch (err) {
      if (!isDuplicateKeyError(err) && !hasOnlyDuplicates(err)) throw describe(err, collection, docs);
      // Unordered: the new ones went in, the duplicates did not; count each kind exactly.
      const duplicates = duplicateCount(err, docs.length);
      stats.alreadyPresent += duplicates;
      stats.inserted += docs.length - duplicates;
    }
    loaded += docs.length;
    options.onProgress?.(loaded);
  };

  for (const [collection, doc] of entries) {
    if (doc._id === undefined) throw new Error(`${collection}: a legacy document without _id cannot be loaded idempotently (document ${loaded + 1})`);
    if (pending && (pending.collection !== collection || pending.docs.length >= batchSize)) await flush();
    pending ??= { collection, docs: [] };
    pending.docs.push(doc);
  }
  await flush();
  return { collections: report };
}

function duplicateCount(err: unknown, total: number): number {
  const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
  if (Array.isArray(writeErrors)) return writeErrors.length;
  const inserted = (err as { result?: { insertedCount?: number }; insertedCount?: number }).result?.insertedCount ?? (err as { insertedCount?: number }).insertedCount;
  return typeof inserted === 'number' ? total - inserted : total;
}

function hasOnlyDuplicates(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: { code?: number }[] }).writeErrors;
  return Array.isArray(writeErrors) && writeErrors.every((w) => w.code === 11000);
}

function describe(err: unknown, collection: string, docs: Document[]): Error {
  let ids = '';
  try {
    ids = docs.slice(0, 3).map((d) => legacyIdOf(d._id)).join(', ');
  } catch {
    ids = '(unreadable _id)';
  }
  return new Error(`loading ${collection} failed near ${ids}: ${(err as Error).message}`, { cause: err });
}
