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
  private closed = false;

  /**
   * @param open - runs the query and returns the ordered matching documents (their bytes, or what
   *   `render` needs of them; called once).
   * @param render - turns one of them into the document handed to the caller.
   */
  constructor(
    private readonly open: () => readonly T[],
    private readonly render: (item: T) => Document,
  ) {}

  private ensureOpen(): readonly T[] {
    this.snapshot ??= this.closed ? [] : this.open();
    return this.snapshot;
  }

  /** The next document, or null when exhausted or closed. */
  async next(): Promise<Document | null> {
    const docs = this.ensureOpen();
    if (this.closed || this.position >= docs.length) return null;
    return this.render(docs[this.position++]!);
  }

  /** Whether another document is available. */
  async hasNext(): Promise<boolean> {
    const docs = this.ensureOpen();
    return !this.closed && this.position < docs.length;
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
