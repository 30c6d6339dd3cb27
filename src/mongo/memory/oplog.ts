/**
 * The change history of one `memory:` collection, which change streams read: the store's stand-in for
 * MongoDB's oplog. Every write appends one entry per changed document, in commit order.
 *
 * It is capped like the oplog: past `capBytes` the current log becomes the previous one and a new
 * generation starts; a resume token older than the previous generation is gone, and resuming from it
 * fails with MongoDB's own error (code 286, ChangeStreamHistoryLost), so a follower learns that it
 * must backfill again exactly as it would against a replica set whose oplog rolled over.
 *
 * Entry layout: op byte (1 insert, 2 update, 3 replace, 4 delete), wall time (float64 ms, LE), then one
 * BSON document: the stored document after the write, or `{ _id }` for a delete. For a
 * `memory:/folder` store the log is the file `<collection>.oplog` (a 24-byte header `MMSO`, version,
 * generation id, then entries; the previous generation is `<collection>.oplog.prev`), so a follower in
 * another process sees the writes of every process; an ephemeral store keeps the same bytes in memory.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryStoreStorageError } from './errors.js';

export type OplogOp = 'insert' | 'update' | 'replace' | 'delete';
const OP_CODES: Readonly<Record<OplogOp, number>> = { insert: 1, update: 2, replace: 3, delete: 4 };
const OPS: readonly OplogOp[] = ['insert', 'insert', 'update', 'replace', 'delete'];

const MAGIC = Buffer.from('MMSO', 'latin1');
const HEADER_SIZE = 24;
/**
 * Cap of one generation: 64 MiB on disk, 16 MiB in memory, or `STELLAOPS_MEMORY_OPLOG_BYTES` (read when a collection is first
 * opened in a process), so a test can make the log roll over as a small oplog would.
 */
export function oplogCapBytes(ephemeral: boolean): number {
  const configured = Number(process.env.STELLAOPS_MEMORY_OPLOG_BYTES);
  if (Number.isInteger(configured) && configured > 0) return configured;
  // An ephemeral store holds its history in the process's memory: keep that small.
  return (ephemeral ? 16 : 64) * 1024 * 1024;
}

/** One change, as read back. `position` is where the next entry starts (what a resume token holds). */
export interface OplogEntry {
  readonly op: OplogOp;
  readonly wallTime: Date;
  readonly document: Uint8Array;
  readonly generation: string;
  readonly position: number;
}

/** Where a change stream stands: after `position` bytes of generation `generation`. */
export interface OplogPoint {
  readonly generation: string;
  readonly position: number;
}

/** MongoDB's error when a resume point has left the oplog. */
export class ChangeStreamHistoryLost extends Error {
  readonly code = 286;
  readonly codeName = 'ChangeStreamHistoryLost';
  constructor(namespace: string) {
    super(`${namespace}: resume of change stream was not possible, as the resume point may no longer be in the oplog`);
    this.name = 'MongoServerError';
  }
}

/** Bytes of one generation from `base` on: a file's tail, or the whole buffer of the ephemeral store. */
interface Generation {
  readonly id: string;
  readonly bytes: Buffer;
  readonly base: number;
}

function header(id: string): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(h, 0);
  h.writeUInt32LE(1, 4);
  Buffer.from(id, 'hex').copy(h, 8);
  return h;
}

function parseHeader(buf: Buffer, where: string): string {
  if (buf.length < HEADER_SIZE || !buf.subarray(0, 4).equals(MAGIC)) throw new MemoryStoreStorageError(`file ${where} is not a memory: oplog`);
  return buf.subarray(8, 24).toString('hex');
}

export class Oplog {
  private memory?: { current: Buffer[]; currentId: string; currentSize: number; previous?: { id: string; bytes: Buffer } };

  constructor(
    private readonly namespace: string,
    /** The log file for a folder store; undefined keeps the log in memory. */
    private readonly file?: string,
    private readonly capBytes = oplogCapBytes(file === undefined),
  ) {
    if (!file) {
      const id = randomBytes(16).toString('hex');
      this.memory = { current: [header(id)], currentId: id, currentSize: HEADER_SIZE };
    }
  }

  /** Appends the entries of one write (one `write` call for a file, so a crash tears at most the tail). */
  append(entries: readonly { op: OplogOp; document: Uint8Array }[]): void {
    if (entries.length === 0) return;
    const now = Date.now();
    const parts: Buffer[] = [];
    for (const e of entries) {
      const head = Buffer.alloc(9);
      head[0] = OP_CODES[e.op];
      head.writeDoubleLE(now, 1);
      parts.push(head, Buffer.from(e.document.buffer, e.document.byteOffset, e.document.byteLength));
    }
    const chunk = Buffer.concat(parts);
    if (this.memory) {
      const m = this.memory;
      if (m.currentSize + chunk.length > this.capBytes && m.currentSize > HEADER_SIZE) {
        m.previous = { id: m.currentId, bytes: Buffer.concat(m.current) };
        m.currentId = randomBytes(16).toString('hex');
        m.current = [header(m.currentId)];
        m.currentSize = HEADER_SIZE;
      }
      m.current.push(chunk);
      m.currentSize += chunk.length;
      return;
    }
    const file = this.file!;
    try {
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      if (size === 0) fs.writeFileSync(file, header(randomBytes(16).toString('hex')));
      else if (size + chunk.length > this.capBytes && size > HEADER_SIZE) {
        fs.renameSync(file, `${file}.prev`);
        fs.writeFileSync(file, header(randomBytes(16).toString('hex')));
      }
      fs.appendFileSync(file, chunk);
    } catch (err) {
      throw new MemoryStoreStorageError(`cannot append to ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The end of the log now: where a new change stream starts. */
  end(): OplogPoint {
    const current = this.generation('current', Number.MAX_SAFE_INTEGER) ?? this.startFile();
    return { generation: current.id, position: current.base + current.bytes.length };
  }

  /**
   * Up to `max` entries after `point`, oldest first. Throws ChangeStreamHistoryLost when `point`
   * belongs to a generation that is no longer kept.
   */
  read(point: OplogPoint, max: number): OplogEntry[] {
    const out: OplogEntry[] = [];
    const current = this.generation('current', point.position) ?? this.startFile();
    if (point.generation === current.id) {
      this.parse(current, point.position, max, out);
      return out;
    }
    const previous = this.generation('previous', point.position);
    if (!previous || previous.id !== point.generation) throw new ChangeStreamHistoryLost(this.namespace);
    this.parse(previous, point.position, max, out);
    if (out.length < max) this.parse(this.generation('current', HEADER_SIZE) ?? current, HEADER_SIZE, max - out.length, out);
    return out;
  }

  /** Forgets the history (the collection was dropped): every older resume token is gone. */
  reset(): void {
    if (this.memory) {
      const id = randomBytes(16).toString('hex');
      this.memory = { current: [header(id)], currentId: id, currentSize: HEADER_SIZE };
      return;
    }
    fs.rmSync(this.file!, { force: true });
    fs.rmSync(`${this.file!}.prev`, { force: true });
  }

  /** The bytes of one generation from `from` on (the whole of it for memory), or undefined when absent. */
  private generation(which: 'current' | 'previous', from: number): Generation | undefined {
    if (this.memory) {
      const m = this.memory;
      if (which === 'previous') return m.previous && { id: m.previous.id, bytes: m.previous.bytes, base: 0 };
      if (m.current.length > 1) m.current = [Buffer.concat(m.current)];
      return { id: m.currentId, bytes: m.current[0]!, base: 0 };
    }
    const file = which === 'current' ? this.file! : `${this.file!}.prev`;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new MemoryStoreStorageError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      // Only the header and the tail after `from` are read: a poll costs O(new entries), not O(log).
      const size = fs.fstatSync(fd).size;
      const head = Buffer.alloc(HEADER_SIZE);
      if (fs.readSync(fd, head, 0, HEADER_SIZE, 0) < HEADER_SIZE) return undefined;
      const id = parseHeader(head, file);
      const base = Math.min(Math.max(from, HEADER_SIZE), size);
      const bytes = Buffer.alloc(size - base);
      if (bytes.length > 0) fs.readSync(fd, bytes, 0, bytes.length, base);
      return { id, bytes, base };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Creates the log file of a collection no one has written yet, so a stream opened now has a point. */
  private startFile(): Generation {
    try {
      fs.mkdirSync(path.dirname(this.file!), { recursive: true });
      fs.writeFileSync(this.file!, header(randomBytes(16).toString('hex')), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new MemoryStoreStorageError(`cannot create ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    return this.generation('current', HEADER_SIZE)!;
  }

  private parse(gen: Generation, from: number, max: number, out: OplogEntry[]): void {
    const buf = gen.bytes;
    let pos = Math.max(from, HEADER_SIZE) - gen.base;
    if (gen.base === 0 && pos < HEADER_SIZE) pos = HEADER_SIZE;
    while (out.length < max && pos + 13 <= buf.length) {
      const op = OPS[buf[pos]!];
      const size = buf.readInt32LE(pos + 9);
      if (!op || size < 5) throw new MemoryStoreStorageError(`oplog of ${this.namespace} is corrupt at byte ${gen.base + pos}`);
      if (pos + 9 + size > buf.length) break; // a torn tail: a writer is still appending
      const wallTime = new Date(buf.readDoubleLE(pos + 1));
      const document = Buffer.from(buf.subarray(pos + 9, pos + 9 + size));
      pos += 9 + size;
      out.push({ op, wallTime, document, generation: gen.id, position: gen.base + pos });
    }
  }
}
