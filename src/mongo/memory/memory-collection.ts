/**
 * A collection of the `memory:` store, implementing {@link MongoCollectionLike} with the driver's and
 * the server's semantics (see the other files of this folder for each rule). Every operation runs
 * synchronously inside its promise, so operations of one process never interleave.
 *
 * @example
 * const users = db.collection('authority_users');
 * await users.createIndex({ tenant: 1, username: 1 }, { unique: true });
 * await users.insertOne({ tenant: 't1', username: 'alice' });
 * await users.updateOne({ tenant: 't1', username: 'alice' }, { $set: { disabled: true } });
 */
import { MongoBulkWriteError, type BulkWriteResult } from 'mongodb';
import { ObjectId, serialize, type Document } from 'bson';
import type { CollectionBacking } from './collection-backing.js';
import { storedFrom, type CollectionData, type StoredDocument } from './collection-data.js';
import { canonicalKey, bsonEquals, bsonTypeAlias } from './bson-order.js';
import { decodeForDriver, decodeView, encodeDocument, idDocumentBytes, MAX_BSON_DOCUMENT_SIZE, normaliseInput, valueForDriver } from './bson-codec.js';
import { hasOwn, isPlainDocument, pathValues, splitPath } from './doc-path.js';
import { badValue, immutableId, invalidArgument } from './errors.js';
import type { JournalRecord } from './folder-persistence.js';
import { buildIndexSpec } from './index-catalog.js';
import { MemoryCursor } from './memory-cursor.js';
import { compileFilter, compileIdFilter, equalityFields } from './query-engine.js';
import { compileProjection, idSortDirection, isIdOnlyProjection, sortDocuments, topSorted } from './sort-projection.js';
import { compareIds } from './id-order.js';
import { idInterval, isObjectIdRange, quickMismatch, readsIdOnly, stringEqualities } from './id-plan.js';
import { applyUpdate, ensureUpsertId, upsertSeed, validateUpdate } from './update-engine.js';
import { MemoryChangeStream } from './change-stream.js';
import type {
  ChangeStreamLike,
  Filter,
  FindOptions,
  IndexOptions,
  MongoCollectionLike,
  MongoCursorLike,
  Sort,
  UpdateResultLike,
  WatchOptions,
} from '../mongo-types.js';

interface SelectOptions {
  readonly sort?: Sort;
  readonly skip?: number;
  readonly limit?: number;
}

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId: unknown;
  before?: StoredDocument;
  after?: StoredDocument;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function integerOption(name: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArgument(`${name} must be an integer`);
  return v;
}

/** The server refuses these `_id` values. */
function checkId(id: unknown): void {
  if (Array.isArray(id)) throw badValue("The '_id' value cannot be of type array");
  if (id instanceof RegExp || (id as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp') throw badValue("can't use a regex for _id");
}

/** The `_id` a filter pins by plain equality (for a direct lookup), if any. */
function pinnedId(filter: Filter): string | undefined {
  if (!isPlainDocument(filter) || !hasOwn(filter, '_id')) return undefined;
  const id: unknown = filter._id;
  if (Array.isArray(id) || id instanceof RegExp || id === null || id === undefined) return undefined;
  if (isPlainDocument(id) && Object.keys(id).some((k) => k.startsWith('$'))) return undefined;
  return canonicalKey((normaliseInput({ _id: id }, 'filter') as Document)._id);
}

const ORDERED_DEFAULT = true;

/** The matches of `docs` (in result order) after `skip`, at most `limit` of them (0: all). */
function firstMatches(docs: Iterable<StoredDocument>, test: (d: StoredDocument) => boolean, skip: number, limit: number): StoredDocument[] {
  const out: StoredDocument[] = [];
  const want = limit > 0 ? limit : Infinity;
  let skipped = 0;
  for (const d of docs) {
    if (!test(d)) continue;
    if (skipped < skip) skipped++;
    else if (out.push(d) >= want) break;
  }
  return out;
}

/** Collections from this size on answer string-equality scans from `stringCandidates`. */
const STRING_LOOKUP_MIN = 2048;
/** How a projected raw document is re-encoded (types kept: it comes from the type-exact view). */
const RAW_WRITE = { checkKeys: false, ignoreUndefined: false, serializeFunctions: false } as const;

export class MemoryCollection implements MongoCollectionLike {
  constructor(
    readonly collectionName: string,
    readonly dbName: string,
    private readonly backing: CollectionBacking,
  ) {}

  /** Up-to-date data for an operation. */
  private begin(): CollectionData {
    this.backing.sync();
    return this.backing.data;
  }

  /**
   * Matching documents in result order (natural order unless sorted), after skip and limit.
   * A sort led by `_id` walks the `_id` index over the interval the filter confines `_id` to; other
   * queries scan (the interval's candidates only, in natural order, when it is narrow), and a sorted
   * query with a limit keeps only the first skip + limit matches while scanning. A filter that reads
   * `_id` alone never decodes a document, and a range of ObjectIds is the walk itself (no filter runs).
   * `unordered` (counting) waives the natural order.
   */
  private select(data: CollectionData, filter: Filter | undefined, options: SelectOptions & { unordered?: boolean } = {}): StoredDocument[] {
    const matches = compileFilter(filter);
    const skip = integerOption('skip', options.skip);
    if (skip < 0) throw badValue('skip value must be non-negative');
    // As with the driver, a negative limit means "at most |limit| documents"; 0 means no limit.
    const limit = Math.abs(integerOption('limit', options.limit));
    const sorted = options.sort !== undefined && Object.keys(options.sort).length > 0;
    const idDir = sorted ? idSortDirection(options.sort) : undefined;
    const page = (docs: StoredDocument[]) => (skip === 0 && (limit === 0 || docs.length <= limit) ? docs : docs.slice(skip, limit > 0 ? skip + limit : undefined));
    const pinned = pinnedId(filter ?? {});
    if (pinned !== undefined) {
      const one = data.docs.get(pinned);
      return page(one && matches(one.view) ? [one] : []);
    }
    const normalised = normaliseInput(filter ?? {}, 'filter');
    const idOnly = readsIdOnly(normalised);
    const mismatch = idOnly ? undefined : quickMismatch(normalised);
    const everything = Object.keys(normalised).length === 0;
    // A filter reading `_id` alone tests the `_id` itself: a range cursor's (`_id` ranges and types
    // only) without mingo, any other on `{ _id }` alone, never decoding a document.
    const idTest = idOnly && !everything ? (compileIdFilter(normalised) ?? ((id: unknown) => matches({ _id: id }))) : undefined;
    let test = everything
      ? () => true
      : idTest
      ? (d: StoredDocument) => idTest(d.id)
      : mismatch
        ? (d: StoredDocument) => !mismatch(d.view) && matches(d.view)
        : (d: StoredDocument) => matches(d.view);
    const { lo, hi } = idInterval(normalised, compareIds);
    // A walk of the `_id` index over an ObjectId range yields its matches and nothing else.
    const walkMatches = isObjectIdRange(normalised);
    const out: StoredDocument[] = [];
    if (idDir !== undefined) return firstMatches(data.byId.walk(lo, hi, idDir === -1), walkMatches ? () => true : test, skip, limit);
    let source: Iterable<StoredDocument> = data.docs.values();
    let lookup: readonly [string, string] | null = null;
    const equalities = idOnly ? [] : stringEqualities(normalised);
    if ((lo || hi) && (options.unordered || data.byId.countBetween(lo, hi) * 8 < data.docs.size)) {
      const candidates = [...data.byId.walk(lo, hi, false)];
      if (!options.unordered) candidates.sort((a, b) => a.seq - b.seq);
      source = candidates;
      if (walkMatches) test = () => true;
    } else if (equalities.length > 0 && data.docs.size >= STRING_LOOKUP_MIN) {
      // A large collection queried by a string field (a tenant): only the documents that may match.
      lookup = [equalities[0]![0], equalities[0]![1]];
      source = data.stringCandidates(lookup[0], lookup[1]);
    }
    if (!sorted) {
      // Without a sort, stop scanning as soon as skip + limit documents matched.
      const enough = limit > 0 ? skip + limit : Infinity;
      for (const d of source) {
        if (test(d) && out.push(d) >= enough) break;
      }
      return page(out);
    }
    // The candidates already in result order (a page after a page): read only as far as the page.
    const ordered = lookup ? data.sortedCandidates(lookup[0], lookup[1], options.sort!) : null;
    if (ordered) return firstMatches(ordered, test, skip, limit);
    if (limit > 0) {
      const top = topSorted<StoredDocument>(options.sort, skip + limit);
      for (const d of source) if (test(d)) top.offer(d, d.view);
      return top.items().slice(skip);
    }
    const found: { d: StoredDocument; view: Document }[] = [];
    for (const d of source) {
      if (test(d)) found.push({ d, view: d.view });
    }
    return page(sortDocuments(found, options.sort, (f) => f.view).map((f) => f.d));
  }

  async insertOne(doc: Document): Promise<{ acknowledged: boolean; insertedId: unknown }> {
    if (!isPlainDocument(doc)) throw invalidArgument('The document to insert must be an object');
    // Like the driver: a missing or null _id is replaced by a new ObjectId, on the caller's object.
    if (doc._id == null) doc._id = new ObjectId();
    checkId(doc._id);
    const data = this.begin();
    const stored = storedFrom(encodeDocument(doc, 'insert'));
    data.insert(stored);
    this.backing.commit([{ put: stored.bytes, event: 'insert' }]);
    return { acknowledged: true, insertedId: doc._id };
  }

  async insertMany(
    docs: Document[],
    options: { ordered?: boolean } = {},
  ): Promise<{ acknowledged: boolean; insertedCount: number; insertedIds: Record<number, unknown> }> {
    if (!Array.isArray(docs)) throw invalidArgument('Argument "docs" must be an array of documents');
    if (docs.length === 0) throw invalidArgument('Invalid BulkOperation, Batch cannot be empty');
    if (docs.some((d) => !isPlainDocument(d))) {
      throw invalidArgument('Collection.insertMany() cannot be called with an array that has null/undefined values');
    }
    const ordered = options.ordered ?? ORDERED_DEFAULT;
    for (const d of docs) if (d._id == null) d._id = new ObjectId();
    // The driver checks every document's size before sending anything (note: >=, as in its bulk code).
    const encoded = docs.map((d) => {
      checkId(d._id);
      let bytes: Uint8Array;
      try {
        bytes = encodeDocument(d, 'insert');
      } catch (err) {
        if ((err as { code?: number }).code === 10334) throw invalidArgument(`Document is larger than the maximum size ${MAX_BSON_DOCUMENT_SIZE}`);
        throw err;
      }
      if (bytes.length >= MAX_BSON_DOCUMENT_SIZE) throw invalidArgument(`Document is larger than the maximum size ${MAX_BSON_DOCUMENT_SIZE}`);
      return bytes;
    });
    const data = this.begin();
    const records: JournalRecord[] = [];
    const insertedIds: Record<number, unknown> = {};
    const writeErrors: { index: number; code: number; errmsg: string; err: Error }[] = [];
    try {
      for (let i = 0; i < encoded.length; i++) {
        const stored = storedFrom(encoded[i]!);
        try {
          data.insert(stored);
        } catch (err) {
          writeErrors.push({ index: i, code: Number((err as { code?: number }).code), errmsg: (err as Error).message, err: err as Error });
          if (ordered) break;
          continue;
        }
        records.push({ put: stored.bytes, event: 'insert' });
        insertedIds[i] = docs[i]!._id;
      }
    } finally {
      this.backing.commit(records);
    }
    if (writeErrors.length > 0) throw bulkError(writeErrors, records.length, insertedIds);
    return { acknowledged: true, insertedCount: records.length, insertedIds };
  }

  async findOne(filter: Filter = {}, options: FindOptions = {}): Promise<Document | null> {
    const cursor = this.find(filter, { ...options, limit: 1 }) as MemoryCursor;
    const doc = await cursor.next();
    await cursor.close();
    return doc;
  }

  find(filter: Filter = {}, options: FindOptions = {}): MongoCursorLike {
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 0)) {
      throw invalidArgument('batchSize must be a non-negative integer');
    }
    // The driver's `raw: true`: each document as a Buffer of its BSON, undecoded (a copy: the caller
    // may write into it, the stored bytes stay as they are).
    const raw = (options as { raw?: unknown }).raw === true;
    if (isIdOnlyProjection(options.projection as Record<string, unknown> | undefined)) {
      // `{ _id: 1 }` (planning ranges, listing ids): the stored `_id` alone, as `{ _id }` would
      // decode, without decoding the documents (a covered index scan on a server).
      return new MemoryCursor<StoredDocument>(
        () => this.select(this.begin(), filter, options),
        (d) => {
          const bytes = idDocumentBytes(d.bytes) ?? Buffer.from(serialize({ _id: d.id }, RAW_WRITE));
          return (raw ? bytes : decodeForDriver(bytes, options)) as Document;
        },
        options.batchSize,
      );
    }
    // Compiled lazily, like the driver's cursor, so errors surface on the first read.
    let project: ((doc: Document) => Document) | undefined;
    return new MemoryCursor(
      () => {
        project = compileProjection(options.projection);
        return this.select(this.begin(), filter, options).map((d) => d.bytes);
      },
      raw
        ? (bytes) => (project ? Buffer.from(serialize(project(decodeView(bytes)), RAW_WRITE)) : Buffer.from(bytes)) as unknown as Document
        : (bytes) => {
            const doc = decodeForDriver(bytes, options);
            return project ? project(doc) : doc;
          },
      options.batchSize,
    );
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    return this.select(this.begin(), filter, { unordered: true }).length;
  }

  /**
   * The distinct values of `key` among matching documents, as the server gives them: array elements
   * unwound, a missing field left out, numbers equal by value counted once.
   */
  async distinct(key: string, filter: Filter = {}): Promise<unknown[]> {
    const parts = splitPath(key);
    const seen = new Map<string, unknown>();
    for (const doc of this.select(this.begin(), filter)) {
      for (const v of pathValues(doc.view, parts)) {
        const k = canonicalKey(v);
        if (!seen.has(k)) seen.set(k, valueForDriver(v));
      }
    }
    return [...seen.values()];
  }

  private update(filter: Filter, update: Document, options: { multi: boolean; upsert: boolean; sort?: Sort }): UpdateOutcome {
    validateUpdate(update);
    if (!isPlainDocument(filter)) throw invalidArgument('Selector must be a valid JavaScript object');
    const data = this.begin();
    const normalised = normaliseInput(update, 'update');
    const targets = this.select(data, filter, { sort: options.sort, limit: options.multi ? 0 : 1 });
    const outcome: UpdateOutcome = { matched: 0, modified: 0, upsertedId: null };
    const records: JournalRecord[] = [];
    try {
      for (const target of targets) {
        const working = decodeView(target.bytes);
        applyUpdate(working, normalised, { isInsert: false, filter });
        const bytes = encodeDocument(working, 'update');
        outcome.matched += 1;
        outcome.before = target;
        outcome.after = target;
        if (sameBytes(bytes, target.bytes)) continue;
        const next = storedFrom(bytes);
        data.replace(next);
        records.push({ put: next.bytes, event: 'update' });
        outcome.modified += 1;
        outcome.after = next;
      }
      if (targets.length === 0 && options.upsert) {
        const seed = upsertSeed(equalityFields(filter));
        applyUpdate(seed, normalised, { isInsert: true, filter });
        ensureUpsertId(seed);
        checkId(seed._id);
        const stored = storedFrom(encodeDocument(seed, 'update'));
        data.insert(stored);
        records.push({ put: stored.bytes, event: 'insert' });
        outcome.upsertedId = valueForDriver(stored.id);
        outcome.after = stored;
      }
    } finally {
      this.backing.commit(records);
    }
    return outcome;
  }

  async updateOne(filter: Filter, update: Document, options: { upsert?: boolean } = {}): Promise<UpdateResultLike & { acknowledged: boolean }> {
    return updateResult(this.update(filter, update, { multi: false, upsert: Boolean(options.upsert) }));
  }

  async updateMany(filter: Filter, update: Document, options: { upsert?: boolean } = {}): Promise<UpdateResultLike & { acknowledged: boolean }> {
    return updateResult(this.update(filter, update, { multi: true, upsert: Boolean(options.upsert) }));
  }

  async findOneAndUpdate(
    filter: Filter,
    update: Document,
    options: { upsert?: boolean; returnDocument?: 'before' | 'after'; sort?: Sort } = {},
  ): Promise<Document | null> {
    const returnDocument = options.returnDocument ?? 'before';
    if (returnDocument !== 'before' && returnDocument !== 'after') throw invalidArgument("returnDocument must be 'before' or 'after'");
    const outcome = this.update(filter, update, { multi: false, upsert: Boolean(options.upsert), sort: options.sort });
    const doc = returnDocument === 'before' ? outcome.before : outcome.after;
    return doc ? decodeForDriver(doc.bytes) : null;
  }

  async replaceOne(
    filter: Filter,
    replacement: Document,
    options: { upsert?: boolean } = {},
  ): Promise<UpdateResultLike & { acknowledged: boolean }> {
    if (!isPlainDocument(replacement)) throw invalidArgument('Replacement document must be an object');
    const keys = Object.keys(replacement);
    if (keys.length > 0 && keys[0]!.startsWith('$')) throw invalidArgument('Replacement document must not contain atomic operators');
    if (!isPlainDocument(filter)) throw invalidArgument('Selector must be a valid JavaScript object');
    const data = this.begin();
    const [target] = this.select(data, filter, { limit: 1 });
    const outcome: UpdateOutcome = { matched: 0, modified: 0, upsertedId: null };
    if (target) {
      const oldId = target.id;
      if (hasOwn(replacement, '_id') && (!bsonEquals(replacement._id, oldId) || bsonTypeAlias(normaliseInput({ v: replacement._id }, 'update').v) !== bsonTypeAlias(oldId))) {
        throw immutableId(replacement._id);
      }
      const bytes = encodeDocument({ ...replacement, _id: hasOwn(replacement, '_id') ? replacement._id : oldId }, 'replace');
      outcome.matched = 1;
      if (!sameBytes(bytes, target.bytes)) {
        const next = storedFrom(bytes);
        data.replace(next);
        this.backing.commit([{ put: next.bytes, event: 'replace' }]);
        outcome.modified = 1;
      }
    } else if (options.upsert) {
      const doc: Document = { ...replacement };
      if (!hasOwn(doc, '_id')) {
        const fromFilter = equalityFields(filter).find(([path]) => path === '_id');
        doc._id = fromFilter ? fromFilter[1] : new ObjectId();
      }
      checkId(doc._id);
      const stored = storedFrom(encodeDocument(doc, 'replace'));
      data.insert(stored);
      this.backing.commit([{ put: stored.bytes, event: 'insert' }]);
      outcome.upsertedId = valueForDriver(stored.id);
    }
    return updateResult(outcome);
  }

  private delete(filter: Filter, multi: boolean): { acknowledged: boolean; deletedCount: number } {
    if (!isPlainDocument(filter)) throw invalidArgument('Selector must be a valid JavaScript object');
    const data = this.begin();
    const targets = this.select(data, filter, { limit: multi ? 0 : 1 });
    const records: JournalRecord[] = [];
    for (const t of targets) {
      if (data.remove(t.idKey)) records.push({ delete: t.id });
    }
    this.backing.commit(records);
    return { acknowledged: true, deletedCount: records.length };
  }

  async deleteOne(filter: Filter): Promise<{ acknowledged: boolean; deletedCount: number }> {
    return this.delete(filter, false);
  }

  async deleteMany(filter: Filter = {}): Promise<{ acknowledged: boolean; deletedCount: number }> {
    return this.delete(filter, true);
  }

  async createIndex(keys: Record<string, 1 | -1>, options: IndexOptions = {}): Promise<string> {
    const spec = buildIndexSpec(keys, options);
    const data = this.begin();
    const existedBefore = data.exists;
    const { name, created } = data.createIndex(spec);
    if (created || !existedBefore) this.backing.saveIndexes();
    return name;
  }

  /** A change stream over this collection's history (see change-stream.ts). */
  watch(pipeline: Document[] = [], options: WatchOptions = {}): ChangeStreamLike {
    return new MemoryChangeStream(this.backing.oplog, { db: this.dbName, coll: this.collectionName }, pipeline, options);
  }

  async drop(): Promise<boolean> {
    this.begin();
    this.backing.drop();
    // MongoDB 7 answers ok for a missing collection too, so the driver returns true either way.
    return true;
  }
}

function updateResult(o: UpdateOutcome): UpdateResultLike & { acknowledged: boolean } {
  const upserted = o.upsertedId !== null;
  return {
    acknowledged: true,
    matchedCount: o.matched,
    modifiedCount: o.modified,
    upsertedCount: upserted ? 1 : 0,
    upsertedId: upserted ? o.upsertedId : null,
  };
}

/** What the driver throws when some inserts of an insertMany fail: a `MongoBulkWriteError`. */
function bulkError(
  writeErrors: { index: number; code: number; errmsg: string; err: Error }[],
  insertedCount: number,
  insertedIds: Record<number, unknown>,
): MongoBulkWriteError {
  const first = writeErrors[0]!;
  const result = {
    ok: 1,
    insertedCount,
    matchedCount: 0,
    modifiedCount: 0,
    deletedCount: 0,
    upsertedCount: 0,
    upsertedIds: {},
    insertedIds,
    hasWriteErrors: () => true,
    getWriteErrorCount: () => writeErrors.length,
    getWriteErrors: () => writeErrors,
  } as unknown as BulkWriteResult;
  const details = writeErrors.map(({ index, code, errmsg, err }) => ({
    index,
    code,
    errmsg,
    keyPattern: (err as { keyPattern?: unknown }).keyPattern,
    keyValue: (err as { keyValue?: unknown }).keyValue,
  }));
  return new MongoBulkWriteError(
    { message: first.errmsg, code: first.code, writeErrors: details as never },
    result,
  );
}
