/**
 * The cursor `find` returns. Like the driver's `FindCursor` it is lazy (nothing runs, and no error is
 * raised, until the first read), async-iterable, and single-pass. At the first read it takes a snapshot of
 * the matching documents (references to immutable stored BSON, not copies); each document is decoded only
 * when it is handed out, so iterating a large collection never materialises it.
 *
 * @example
 * for await (const doc of collection.find({ tenant: 't1' }, { sort: { _id: 1 } })) handle(doc);
 * const page = await collection.find({}, { skip: 20, limit: 10 }).toArray();
 */
import type { Document } from 'bson';
import type { MongoCursorLike } from '../mongo-types.js';

export class MemoryCursor<T = Uint8Array> implements MongoCursorLike {
  private snapshot?: readonly T[];
  private position = 0;
  /** End of the batch a server would have sent with the last fetch: what `readBufferedDocuments` may take. */
  private bufferEnd = 0;
  private closed = false;

  /**
   * @param open - runs the query and returns the ordered matching documents (their bytes, or what
   *   `render` needs of them; called once).
   * @param render - turns one of them into the document handed to the caller.
   * @param batchSize - documents per batch, as the find's `batchSize` asks a server (0: the server's first-batch default, 101).
   */
  constructor(
    private readonly open: () => readonly T[],
    private readonly render: (item: T) => Document,
    private readonly batchSize = 0,
  ) {}

  private ensureOpen(): readonly T[] {
    this.snapshot ??= this.closed ? [] : this.open();
    return this.snapshot;
  }

  /** The next document, or null when exhausted or closed. */
  async next(): Promise<Document | null> {
    const docs = this.ensureOpen();
    if (this.closed || this.position >= docs.length) return null;
    this.fetchIfEmpty(docs);
    return this.render(docs[this.position++]!);
  }

  /** An empty buffer: a server would send the next batch now. */
  private fetchIfEmpty(docs: readonly T[]): void {
    if (this.position >= this.bufferEnd) this.bufferEnd = Math.min(docs.length, this.position + (this.batchSize || 101));
  }

  /** The rest of the current batch (at most `max`), without waiting; empty before the first read, as the driver's. */
  readBufferedDocuments(max?: number): Document[] {
    if (this.closed || this.snapshot === undefined) return [];
    const docs = this.snapshot;
    const end = Math.min(this.bufferEnd, docs.length, max === undefined ? Infinity : this.position + max);
    const out: Document[] = [];
    while (this.position < end) out.push(this.render(docs[this.position++]!));
    return out;
  }

  /** Whether another document is available. */
  async hasNext(): Promise<boolean> {
    const docs = this.ensureOpen();
    if (this.closed || this.position >= docs.length) return false;
    this.fetchIfEmpty(docs);
    return true;
  }

  /** All remaining documents; the cursor is exhausted afterwards. */
  async toArray(): Promise<Document[]> {
    const docs = this.ensureOpen();
    const out: Document[] = [];
    while (!this.closed && this.position < docs.length) out.push(this.render(docs[this.position++]!));
    await this.close();
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.snapshot = [];
    this.position = 0;
    this.bufferEnd = 0;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Document, void, undefined> {
    try {
      for (;;) {
        const doc = await this.next();
        if (doc === null) return;
        yield doc;
      }
    } finally {
      await this.close();
    }
  }
}
