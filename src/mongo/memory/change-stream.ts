/**
 * Change streams for the `memory:` store, read from the collection's {@link Oplog}: the same events,
 * resume tokens and "history lost" error (code 286) as a replica set gives the driver, so a follower is
 * tested here exactly as it runs against MongoDB. Events carry the document as written (the post-image)
 * for inserts, updates and replaces; a delete carries only `documentKey`.
 *
 * @example
 * const stream = db.collection('authority_users').watch([], { fullDocument: 'updateLookup' });
 * const event = await stream.tryNext(); // null when nothing happened yet
 * const token = stream.resumeToken;     // store it; resume later with { resumeAfter: token }
 */
import type { Document } from 'bson';
import type { ChangeEventLike, ChangeStreamLike, ResumeToken, WatchOptions } from '../mongo-types.js';
import { decodeForDriver } from './bson-codec.js';
import { badValue } from './errors.js';
import type { Oplog, OplogPoint } from './oplog.js';

const TOKEN_RE = /^([0-9a-f]{32})([0-9a-f]{16})$/;
/** Entries read per poll: bounded, so a large backlog is walked in pieces. */
const READ_BATCH = 1000;

function tokenOf(point: OplogPoint): ResumeToken {
  return { _data: `${point.generation}${point.position.toString(16).padStart(16, '0')}` };
}

function pointOf(token: unknown): OplogPoint {
  const data = (token as { _data?: unknown } | null)?._data;
  const m = typeof data === 'string' ? TOKEN_RE.exec(data) : null;
  if (!m) throw Object.assign(badValue('invalid resume token: not a token of this store'), { code: 260, codeName: 'InvalidResumeToken' });
  return { generation: m[1]!, position: parseInt(m[2]!, 16) };
}

export class MemoryChangeStream implements ChangeStreamLike {
  private point: OplogPoint;
  private buffered: ChangeEventLike[] = [];
  private closed = false;

  constructor(
    private readonly oplog: Oplog,
    private readonly ns: { db: string; coll: string },
    pipeline: Document[] = [],
    options: WatchOptions = {},
  ) {
    if (pipeline.length > 0) throw badValue('the memory: store implements change streams without a pipeline only');
    this.point = options.resumeAfter ? pointOf(options.resumeAfter) : oplog.end();
    // A resume point that is gone fails now, as the server's first getMore would.
    if (options.resumeAfter) this.fill();
  }

  get resumeToken(): ResumeToken {
    return tokenOf(this.point);
  }

  async tryNext(): Promise<ChangeEventLike | null> {
    if (this.closed) throw badValue('ChangeStream is closed');
    if (this.buffered.length === 0) this.fill();
    const event = this.buffered.shift() ?? null;
    if (event) this.point = pointOf(event._id);
    return event;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.buffered = [];
  }

  private fill(): void {
    const after = this.buffered.length ? pointOf(this.buffered[this.buffered.length - 1]!._id) : this.point;
    for (const e of this.oplog.read(after, READ_BATCH)) {
      const doc = decodeForDriver(e.document);
      const base = { _id: tokenOf(e), ns: this.ns, documentKey: { _id: doc._id }, wallTime: e.wallTime };
      this.buffered.push(e.op === 'delete' ? { ...base, operationType: 'delete' } : { ...base, operationType: e.op, fullDocument: doc });
    }
  }
}
