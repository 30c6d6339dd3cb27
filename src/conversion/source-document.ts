import { createHash } from 'node:crypto';
import { deserialize, EJSON, serialize, type Document } from 'bson';
import { idDocumentBytes } from '../mongo/bson-elements.js';
import { EXACT_READ } from '../mongo/id-ranges.js';

/**
 * One legacy document as the conversion reads it: its exact BSON bytes (the source of truth for the
 * quarantine) and, decoded on demand, the driver's view of it (what the codecs read) and its type-exact
 * view (checkpoints and Extended JSON).
 *
 * The cursor is opened with `raw: true`, so a real MongoDB hands over the stored bytes untouched. A
 * source that ignores `raw` (the `memory:` store today) hands over decoded documents, type-exact because
 * the cursor also asks for `EXACT_DOCUMENT_READ`; their bytes are then re-serialised, which is exact
 * unless the source also ignored those options. `exactBytes` says which one it was.
 */

/**
 * What the codec reads: the driver's view with every BSON type kept (`EXACT_DOCUMENT_READ`: Int32,
 * Double and Int64 apart, regexes as BSONRegExp), as the repositories read, with strict UTF-8.
 */
const DRIVER_READ = { promoteLongs: false, promoteValues: false, promoteBuffers: false, bsonRegExp: true, useBigInt64: false } as const;

/** The options the driver serialises with (no key checks: the server stores `$` and dotted names as given). */
const WRITE = { checkKeys: false, ignoreUndefined: false, serializeFunctions: false } as const;

export class SourceDocument {
  private driverView?: Document;
  private driverError?: Error;
  private exactView?: Document;
  private serialised?: Buffer;

  private constructor(
    serialised: Buffer | undefined,
    readonly exactBytes: boolean,
    decoded?: Document,
  ) {
    this.serialised = serialised;
    this.driverView = decoded;
  }

  /** Wraps one item of a `raw: true` cursor: a Buffer, or a decoded document from a source without raw support. */
  static fromCursorItem(item: unknown): SourceDocument {
    if (item instanceof Uint8Array) return new SourceDocument(Buffer.from(item.buffer, item.byteOffset, item.byteLength), true);
    // Serialised only if asked for (a quarantined document): a document that converts never needs its bytes.
    return new SourceDocument(undefined, false, item as Document);
  }

  /** The document's BSON: as read, or (from a source without raw support) re-serialised from the decoded document. */
  get bytes(): Buffer {
    this.serialised ??= Buffer.from(serialize(this.driverView!, WRITE));
    return this.serialised;
  }

  /** The document as the codec reads it (type-exact, see DRIVER_READ); throws when the bytes cannot be decoded (invalid UTF-8...). */
  driverDocument(): Document {
    if (this.driverView) return this.driverView;
    if (this.driverError) throw this.driverError;
    try {
      this.driverView = deserialize(this.bytes, DRIVER_READ);
      return this.driverView;
    } catch (err) {
      this.driverError = err as Error;
      throw err;
    }
  }

  /** The type-exact view (Int32, Double, Long kept apart); lenient on UTF-8 so even an unreadable document has one. */
  exactDocument(): Document {
    this.exactView ??= deserializeLenient(this.bytes);
    return this.exactView;
  }

  /** The `_id`, type-exact: the checkpoint value. */
  id(): unknown {
    if (this.exactView || this.exactBytes) {
      try {
        return this.exactDocument()._id;
      } catch (err) {
        // The rest of the document is unreadable (an illegal boolean byte...): its `_id` element,
        // stored first, may still be read on its own so the quarantine row keeps the real key.
        const one = idDocumentBytes(this.bytes);
        if (!one) throw err;
        return deserialize(one, { ...EXACT_READ, validation: { utf8: false } })._id;
      }
    }
    // A decoded document: its `_id` alone, serialised and read back exactly, is what the whole
    // document's exact view would hold (each BSON element is encoded on its own).
    const doc = this.driverView!;
    if (!Object.prototype.hasOwnProperty.call(doc, '_id')) return undefined;
    return deserialize(serialize({ _id: doc._id }, WRITE), EXACT_READ)._id;
  }

  /** Canonical Extended JSON (relaxed: false) of the document. */
  ejson(): string {
    try {
      return EJSON.stringify(this.exactDocument(), { relaxed: false });
    } catch (err) {
      // Not even a lenient decode works: keep the bytes readable as base64 rather than lose the row.
      return JSON.stringify({ $unreadableBson: this.bytes.toString('base64'), error: (err as Error).message });
    }
  }

  /** `unreadable:<sha256 of the BSON>`: the quarantine key of a document whose `_id` has no canonical form. */
  unreadableId(): string {
    return `unreadable:${createHash('sha256').update(this.bytes).digest('hex')}`;
  }
}

function deserializeLenient(bytes: Buffer): Document {
  try {
    return deserialize(bytes, EXACT_READ);
  } catch {
    return deserialize(bytes, { ...EXACT_READ, validation: { utf8: false } });
  }
}
