/**
 * How documents cross into and out of the memory store: always through the official `bson` package,
 * with the same options the `mongodb` driver (v7) uses, so a document read back is exactly what a real
 * server + driver would return.
 *
 * - Writes: `serialize` with the driver's command options `checkKeys: false` (the server, not the driver,
 *   validates field names; since MongoDB 5.0 `$`-prefixed and dotted names are stored as given),
 *   `ignoreUndefined: false` (an `undefined` value is stored as BSON null) and `serializeFunctions: false`.
 * - Reads returned to callers: the driver's defaults from `resolveBSONOptions` in mongodb 7 `src/bson.ts`:
 *   `promoteLongs: true` (an int64 comes back as a JS number when it fits in 53 bits, otherwise as `Long`),
 *   `promoteValues: true` (int32 and double come back as JS numbers), `promoteBuffers: false` (binary comes
 *   back as `Binary`, subtype 4 as `UUID`), `bsonRegExp: false` (regexes come back as `RegExp`),
 *   `useBigInt64: false`.
 * - Internally (matching, sorting, index keys, updates) the store uses a type-exact "view" with nothing
 *   promoted, so `$type`, `$inc` type rules and int64 precision follow the stored BSON types.
 *
 * @example
 * const bytes = encodeDocument({ _id: 1, n: Long.fromString('9007199254740993') }, 'insert');
 * decodeForDriver(bytes).n; // Long('9007199254740993'), as the driver returns it
 */
import { calculateObjectSize, deserialize, ObjectId, serialize, type DeserializeOptions, type Document } from 'bson';
import { documentTooLarge } from './errors.js';
import { idDocumentBytes } from '../bson-elements.js';

export { idDocumentBytes };

/** MongoDB's maximum BSON document size: 16 MiB. */
export const MAX_BSON_DOCUMENT_SIZE = 16 * 1024 * 1024;

/** The options the driver serialises commands with (mongodb 7: insert/update/command builders). */
const WRITE_OPTIONS = { checkKeys: false, ignoreUndefined: false, serializeFunctions: false } as const;

/** What the driver returns with its default options (see the module comment). */
export const DRIVER_READ_OPTIONS: DeserializeOptions = {
  promoteLongs: true,
  promoteValues: true,
  promoteBuffers: false,
  bsonRegExp: false,
  useBigInt64: false,
};

/** The type-exact internal view: nothing promoted. */
const VIEW_OPTIONS: DeserializeOptions = {
  promoteLongs: false,
  promoteValues: false,
  promoteBuffers: false,
  bsonRegExp: true,
  useBigInt64: false,
};

/**
 * Filters are type-exact too, except regexes, which stay `RegExp` so that mingo's `$regex`, `$not`
 * and `{ field: /re/ }` handling applies.
 */
const FILTER_OPTIONS: DeserializeOptions = { ...VIEW_OPTIONS, bsonRegExp: false };

export type WriteKind = 'insert' | 'update' | 'replace';

/**
 * Serialises a document for storage, `_id` first as the server stores it, enforcing the 16 MiB limit.
 * Throws the server's size error (nothing is stored) when the document is too large.
 */
export function encodeDocument(doc: Document, kind: WriteKind): Uint8Array {
  const size = calculateObjectSize(doc, WRITE_OPTIONS);
  if (size > MAX_BSON_DOCUMENT_SIZE) throw documentTooLarge(kind, size);
  // A Map keeps `_id` first even when other keys are integer-like (JS objects list those first).
  const ordered = new Map<string, unknown>();
  if (Object.prototype.hasOwnProperty.call(doc, '_id')) ordered.set('_id', doc._id);
  for (const key of Object.keys(doc)) if (key !== '_id') ordered.set(key, doc[key]);
  return serialize(ordered, WRITE_OPTIONS);
}

/** A stored document as the driver returns it: by default, or with the caller's BSON read options (as the driver's find takes them). */
export function decodeForDriver(bytes: Uint8Array, read?: Pick<DeserializeOptions, 'promoteValues' | 'promoteLongs' | 'bsonRegExp'>): Document {
  if (!read || (read.promoteValues === undefined && read.promoteLongs === undefined && read.bsonRegExp === undefined)) return deserialize(bytes, DRIVER_READ_OPTIONS);
  const options: DeserializeOptions = { ...DRIVER_READ_OPTIONS };
  if (read.promoteValues !== undefined) options.promoteValues = read.promoteValues;
  if (read.promoteLongs !== undefined) options.promoteLongs = read.promoteLongs;
  if (read.bsonRegExp !== undefined) options.bsonRegExp = read.bsonRegExp;
  return deserialize(bytes, options);
}

/** A stored document in the type-exact internal shape (a fresh, mutable copy). */
export function decodeView(bytes: Uint8Array): Document {
  return deserialize(bytes, VIEW_OPTIONS);
}

/**
 * The type-exact `_id` of stored bytes (what `decodeView(bytes)._id` gives), reading only that
 * element when it comes first, as the store writes it.
 */
export function idOfBytes(bytes: Uint8Array): unknown {
  // The usual legacy id, an ObjectId first: its 12 bytes, shared with the (immutable) stored document.
  if (bytes.length >= 21 && bytes[4] === 0x07 && bytes[5] === 0x5f && bytes[6] === 0x69 && bytes[7] === 0x64 && bytes[8] === 0) {
    return new ObjectId(Buffer.from(bytes.buffer, bytes.byteOffset + 9, 12));
  }
  const one = idDocumentBytes(bytes);
  return one ? deserialize(one, VIEW_OPTIONS)._id : decodeView(bytes)._id;
}

/** Round-trips caller input through BSON into the type-exact shape, as the server would receive it. */
export function normaliseInput(value: Document, purpose: 'filter' | 'update'): Document {
  const bytes = serialize({ v: value }, WRITE_OPTIONS);
  return deserialize(bytes, purpose === 'filter' ? FILTER_OPTIONS : VIEW_OPTIONS).v as Document;
}

/** Converts a single type-exact value to what the driver would return for it. */
export function valueForDriver(value: unknown): unknown {
  return deserialize(serialize({ v: value }, WRITE_OPTIONS), DRIVER_READ_OPTIONS).v;
}
