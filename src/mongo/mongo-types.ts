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
  toArray(): Promise<Document[]>;
  close(): Promise<void>;
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
  createIndex(keys: Record<string, 1 | -1>, options?: IndexOptions): Promise<string>;
  drop(): Promise<boolean>;
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
