import type { Document } from 'bson';

/**
 * The part of the official `mongodb` driver API our code uses. A real driver `Db` satisfies it;
 * so does the in-process `memory:` store. Keeping it narrow is what keeps the memory store honest:
 * it implements exactly this, with the driver's semantics.
 */
export type Filter = Document;
export type Sort = Record<string, 1 | -1>;

export interface FindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
  batchSize?: number;
  projection?: Record<string, 0 | 1>;
  /** The driver's BSON read options (false / false / true keep every BSON type: Int32, Double, Int64, regex). */
  promoteValues?: boolean;
  promoteLongs?: boolean;
  bsonRegExp?: boolean;
}

export interface UpdateResultLike {
  matchedCount: number;
  modifiedCount: number;
  upsertedCount: number;
  upsertedId: unknown;
}

export interface IndexOptions {
  unique?: boolean;
  name?: string;
  partialFilterExpression?: Document;
}

export interface MongoCursorLike extends AsyncIterable<Document> {
  /** The next document (fetching the next batch when none is buffered), or null at the end. */
  next(): Promise<Document | null>;
  /** The documents already buffered, taken off the cursor without waiting (the driver's `FindCursor` has it). */
  readBufferedDocuments(max?: number): Document[];
  toArray(): Promise<Document[]>;
  close(): Promise<void>;
}

/** A change stream's resume token: opaque, stored as it is and handed back to resume. */
export type ResumeToken = { readonly _data: string } & Document;

/** One change event, as the driver delivers it with `fullDocument: 'updateLookup'`. */
export interface ChangeEventLike {
  readonly _id: ResumeToken;
  readonly operationType: 'insert' | 'update' | 'replace' | 'delete' | string;
  readonly ns?: { readonly db: string; readonly coll?: string };
  readonly documentKey?: { readonly _id: unknown };
  /** The document after the change (insert, replace; update with updateLookup, null if since deleted). */
  readonly fullDocument?: Document | null;
  readonly wallTime?: Date;
}

export interface WatchOptions {
  resumeAfter?: ResumeToken;
  fullDocument?: 'updateLookup';
  maxAwaitTimeMS?: number;
}

/** The part of the driver's ChangeStream our follower uses. */
export interface ChangeStreamLike {
  /** The next event if one is ready, else null (after at most maxAwaitTimeMS). */
  tryNext(): Promise<ChangeEventLike | null>;
  /** Where to resume after the last event returned (or after the stream's start point). */
  readonly resumeToken: ResumeToken | unknown;
  close(): Promise<void>;
}

/** MongoDB's code when a resume point has left the oplog (the follower must backfill again). */
export const CHANGE_STREAM_HISTORY_LOST_CODE = 286;

export function isHistoryLostError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === CHANGE_STREAM_HISTORY_LOST_CODE;
}

export interface MongoCollectionLike {
  readonly collectionName: string;
  insertOne(doc: Document): Promise<{ insertedId: unknown }>;
  insertMany(docs: Document[], options?: { ordered?: boolean }): Promise<{ insertedCount: number }>;
  findOne(filter: Filter, options?: FindOptions): Promise<Document | null>;
  find(filter: Filter, options?: FindOptions): MongoCursorLike;
  updateOne(filter: Filter, update: Document, options?: { upsert?: boolean }): Promise<UpdateResultLike>;
  updateMany(filter: Filter, update: Document): Promise<UpdateResultLike>;
  replaceOne(filter: Filter, replacement: Document, options?: { upsert?: boolean }): Promise<UpdateResultLike>;
  findOneAndUpdate(
    filter: Filter,
    update: Document,
    options?: { upsert?: boolean; returnDocument?: 'before' | 'after'; sort?: Sort },
  ): Promise<Document | null>;
  deleteOne(filter: Filter): Promise<{ deletedCount: number }>;
  deleteMany(filter: Filter): Promise<{ deletedCount: number }>;
  countDocuments(filter?: Filter): Promise<number>;
  /** Distinct values of a field (array elements unwound, documents without it left out). */
  distinct(key: string, filter?: Filter): Promise<unknown[]>;
  createIndex(keys: Record<string, 1 | -1>, options?: IndexOptions): Promise<string>;
  drop(): Promise<boolean>;
  /** A change stream on this collection (a replica set in production; the memory: store emulates it). */
  watch(pipeline?: Document[], options?: WatchOptions): ChangeStreamLike;
}

export interface MongoDbLike {
  readonly databaseName: string;
  collection(name: string): MongoCollectionLike;
  /** Names of existing collections. */
  listCollectionNames(): Promise<string[]>;
  dropDatabase(): Promise<boolean>;
}

/** MongoDB's duplicate key error code; the memory store throws it too. */
export const DUPLICATE_KEY_CODE = 11000;

export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY_CODE;
}
