import type { Document } from 'bson';
import { legacyIdOf } from '../mongo/legacy-id.js';
import { shareTenantRegistry } from '../mongo/tenant-keys.js';
import type { Filter, FindOptions, MongoCollectionLike, MongoCursorLike, MongoDbLike } from '../mongo/mongo-types.js';

/**
 * A read-only view of the legacy database for output parity: the collections as conversion should
 * have seen them, i.e. without the documents the conversion quarantined (they cannot be decoded, so
 * the MongoDB repository could not return them anyway; it would fail on them instead). The generic
 * MongoRepository runs on it unchanged. Writes are refused: verification never changes the data.
 *
 * Exclusion happens while the results stream, not in the query: the inner query runs as asked
 * (same filter, same sort), and documents whose canonical legacy id is quarantined are skipped as
 * they pass, with `skip` and `limit` applied to what is left. A query never carries a list of the
 * quarantined ids (a `$nin` of thousands of ids made every page query cost ids x documents).
 *
 * @example
 * const view = legacyView(mongo.db, new Map([['authority_users', new Set(['oid:65b0...'])]]));
 * const users = new MongoRepository(userSpec, view);
 */
export function legacyView(db: MongoDbLike, excludedIds: ReadonlyMap<string, ReadonlySet<string>>): MongoDbLike {
  return shareTenantRegistry(db, {
    databaseName: db.databaseName,
    collection: (name: string) => {
      const inner = db.collection(name);
      const excluded = excludedIds.get(name);
      return excluded && excluded.size > 0 ? viewCollection(inner, excluded) : readOnly(inner);
    },
    listCollectionNames: () => db.listCollectionNames(),
    dropDatabase: () => refuse('dropDatabase'),
  });
}

function refuse(op: string): never {
  throw new Error(`verify is read-only: ${op} is not allowed on the legacy database (an output probe must only read)`);
}

/** The canonical legacy id of a document; an `_id` without one is never excluded (conversion keys it by its BSON hash). */
function isExcluded(doc: Document, excluded: ReadonlySet<string>): boolean {
  let legacyId: string;
  try {
    legacyId = legacyIdOf(doc._id);
  } catch {
    return false;
  }
  return excluded.has(legacyId);
}

/** The inner cursor's documents without the excluded ones, then `skip`, then `limit` (0 = none). */
function filtered(inner: MongoCursorLike, excluded: ReadonlySet<string>, skip: number, limit: number, dropId: boolean): MongoCursorLike {
  async function* documents(): AsyncGenerator<Document> {
    let skipped = 0;
    let given = 0;
    try {
      for await (const doc of inner) {
        if (isExcluded(doc, excluded)) continue;
        if (skipped < skip) {
          skipped++;
          continue;
        }
        if (dropId) {
          const { _id: _dropped, ...rest } = doc;
          yield rest;
        } else yield doc;
        // Stop reading (and let the inner cursor close) as soon as the limit is reached.
        if (limit > 0 && ++given >= limit) return;
      }
    } finally {
      await inner.close();
    }
  }
  const iterator = documents();
  return {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => {
      const step = await iterator.next();
      return step.done ? null : step.value;
    },
    // Nothing is buffered here: each document is filtered as it is asked for.
    readBufferedDocuments: () => [],
    toArray: async () => {
      const out: Document[] = [];
      for await (const doc of iterator) out.push(doc);
      return out;
    },
    close: async () => {
      await iterator.return(undefined);
    },
  };
}

function viewCollection(inner: MongoCollectionLike, excluded: ReadonlySet<string>): MongoCollectionLike {
  const find = (filter: Filter, options: FindOptions = {}): MongoCursorLike => {
    const { skip = 0, limit = 0, projection, ...rest } = options;
    // The view needs each document's _id to judge it: a projection leaving it out gets it, and loses it again on the way out.
    const dropId = projection?._id === 0;
    const asked = dropId ? Object.fromEntries(Object.entries(projection).filter(([k]) => k !== '_id')) : projection;
    // skip and limit move to the stream: they must count the documents that are left.
    const batchSize = limit !== 0 ? Math.min(Math.abs(limit) + 100, 1000) : rest.batchSize;
    const cursor = inner.find(filter, { ...rest, ...(asked && Object.keys(asked).length ? { projection: asked } : {}), ...(batchSize ? { batchSize } : {}) });
    return filtered(cursor, excluded, skip, Math.abs(limit), dropId);
  };
  return {
    ...readOnly(inner),
    find,
    findOne: async (filter: Filter, options?: FindOptions): Promise<Document | null> => (await find(filter, { ...options, limit: 1 }).toArray())[0] ?? null,
    countDocuments: async (filter?: Filter) => {
      let n = 0;
      for await (const doc of inner.find(filter ?? {}, { projection: { _id: 1 } })) if (!isExcluded(doc, excluded)) n++;
      return n;
    },
  };
}

function readOnly(inner: MongoCollectionLike): MongoCollectionLike {
  return {
    collectionName: inner.collectionName,
    find: (filter: Filter, options?: FindOptions): MongoCursorLike => inner.find(filter, options),
    findOne: (filter: Filter, options?: FindOptions): Promise<Document | null> => inner.findOne(filter, options),
    countDocuments: (filter?: Filter) => inner.countDocuments(filter),
    // Only tenant discovery asks: the keys of excluded documents too are tenants of this database.
    distinct: (key: string, filter?: Filter) => inner.distinct(key, filter),
    insertOne: () => refuse('insertOne'),
    insertMany: () => refuse('insertMany'),
    updateOne: () => refuse('updateOne'),
    updateMany: () => refuse('updateMany'),
    replaceOne: () => refuse('replaceOne'),
    findOneAndUpdate: () => refuse('findOneAndUpdate'),
    deleteOne: () => refuse('deleteOne'),
    deleteMany: () => refuse('deleteMany'),
    createIndex: () => refuse('createIndex'),
    drop: () => refuse('drop'),
    watch: (pipeline, options) => inner.watch(pipeline, options),
  };
}
