import type { Document } from 'bson';
import type { Filter, FindOptions, MongoCollectionLike, MongoCursorLike, MongoDbLike } from '../mongo/mongo-types.js';

/**
 * A read-only view of the legacy database for output parity: the collections as conversion should
 * have seen them, i.e. without the documents the conversion quarantined (they cannot be decoded, so
 * the MongoDB repository could not return them anyway; it would fail on them instead). The generic
 * MongoRepository runs on it unchanged. Writes are refused: verification never changes the data.
 *
 * @example
 * const view = legacyView(mongo.db, new Map([['authority_users', [new ObjectId(hex)]]]));
 * const users = new MongoRepository(userSpec, view);
 */
export function legacyView(db: MongoDbLike, excludedIds: ReadonlyMap<string, readonly unknown[]>): MongoDbLike {
  return {
    databaseName: db.databaseName,
    collection: (name: string) => viewCollection(db.collection(name), excludedIds.get(name) ?? []),
    listCollectionNames: () => db.listCollectionNames(),
    dropDatabase: () => refuse('dropDatabase'),
  };
}

function refuse(op: string): never {
  throw new Error(`verify is read-only: ${op} is not allowed on the legacy database (an output probe must only read)`);
}

function viewCollection(inner: MongoCollectionLike, excluded: readonly unknown[]): MongoCollectionLike {
  const scoped = (filter: Filter = {}): Filter => (excluded.length === 0 ? filter : { $and: [filter, { _id: { $nin: excluded } }] });
  return {
    collectionName: inner.collectionName,
    find: (filter: Filter, options?: FindOptions): MongoCursorLike => inner.find(scoped(filter), options),
    findOne: (filter: Filter, options?: FindOptions): Promise<Document | null> => inner.findOne(scoped(filter), options),
    countDocuments: (filter?: Filter) => inner.countDocuments(scoped(filter)),
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
