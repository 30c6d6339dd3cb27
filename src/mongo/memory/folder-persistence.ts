/**
 * Persistence of `memory:/folder` stores, so separate processes (CLI `seed`, then `convert`, then
 * `verify`) see the same data, and two open clients that take turns see each other's writes.
 *
 * Layout: `<folder>/<db>/<collection>.bson` and `<folder>/<db>/<collection>.indexes.json`
 * (names URI-encoded, dots escaped, so any legal name is a safe file name).
 *
 * The `.bson` file is a journal: a 24-byte header (magic `MMSJ`, version, random generation id) then
 * records, each one op byte followed by one BSON document: `0x01` + the stored document (insert or new
 * version, keyed by `_id`), or `0x02` + `{ _id }` (delete). Every write operation appends its records
 * with one `write` before the operation returns, so writes cost O(change), not O(collection). A torn
 * record at the end (a crash mid-write) is ignored. When the journal grows past twice the live data it
 * is compacted: a snapshot (header + one record per document) is written to a temporary file and
 * renamed over the journal, which is atomic. Index specs (Extended JSON) are replaced the same way.
 *
 * Before each operation the store stats both files (inode, size, mtime in ns): unchanged means the
 * cache is current; a grown journal with the same generation is read incrementally; anything else
 * (compaction or drop by another process) reloads the file.
 *
 * Concurrency: processes that take turns are safe. Two processes writing the same collection at the
 * same instant are not coordinated (no lock): each write lands, but a unique-index check in one process
 * cannot see a concurrent insert in the other.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deserialize, EJSON, serialize } from 'bson';
import { canonicalKey } from './bson-order.js';
import { storedFrom, type CollectionData, type StoredDocument } from './collection-data.js';
import { MemoryStoreStorageError } from './errors.js';
import type { IndexSpec } from './index-catalog.js';

const MAGIC = Buffer.from('MMSJ', 'latin1');
const VERSION = 1;
const HEADER_SIZE = 24;
const OP_PUT = 0x01;
const OP_DELETE = 0x02;
/** Journals smaller than this are never compacted. */
const COMPACT_SLACK = 1024 * 1024;

/** One journal record: a stored document (insert or new version) or the `_id` of a deleted one. */
/** `event` says what the put was, for the collection's change history (the journal does not need it). */
export type JournalRecord = { readonly put: Uint8Array; readonly event?: 'insert' | 'update' | 'replace' } | { readonly delete: unknown };

interface Stamp {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
}

function stampOf(st: fs.BigIntStats | undefined): Stamp | undefined {
  return st ? { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs } : undefined;
}

function sameStamp(a: Stamp | undefined, b: Stamp | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

function statOf(file: string): fs.BigIntStats | undefined {
  return fs.statSync(file, { bigint: true, throwIfNoEntry: false }) ?? undefined;
}

function storageError(what: string, file: string, err: unknown): MemoryStoreStorageError {
  const reason = err instanceof Error ? err.message : String(err);
  return new MemoryStoreStorageError(`cannot ${what} ${file}: ${reason}`, { cause: err });
}

let tempCounter = 0;

/** Writes a whole file atomically: a temporary file in the same folder, fsync, then rename over the target. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw storageError('write', file, err);
  }
}

/** A collection or database name as a file name: URI-encoded, dots escaped (no `..`, no hidden files). */
export function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

function header(generation: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(h, 0);
  h.writeUInt32LE(VERSION, 4);
  generation.copy(h, 8);
  return h;
}

/**
 * Parses complete records in `buf` from `offset`; returns where parsing stopped (a torn tail stays
 * unread). `share`: hand out views of `buf` instead of copies. A whole load shares (the file holds
 * little else than the live documents: the journal is compacted before it reaches twice their size,
 * see `append`), which spares a copy and an allocation per document; the records appended since a
 * load are copied, so that a few new documents do not pin a whole file read again.
 */
function parseRecords(buf: Buffer, offset: number, file: string, share: boolean, onPut: (bytes: Uint8Array) => void, onDelete: (id: unknown) => void): number {
  let pos = offset;
  while (pos + 5 <= buf.length) {
    const op = buf[pos]!;
    const size = buf.readInt32LE(pos + 1);
    if ((op !== OP_PUT && op !== OP_DELETE) || size < 5) {
      throw new MemoryStoreStorageError(`file ${file} is corrupt at byte ${pos} (unknown record)`);
    }
    if (pos + 1 + size > buf.length) break;
    const bytes = buf.subarray(pos + 1, pos + 1 + size);
    if (op === OP_PUT) onPut(share ? bytes : Buffer.from(bytes));
    else onDelete(deserialize(bytes, { promoteValues: false, promoteLongs: false, bsonRegExp: true })._id);
    pos += 1 + size;
  }
  return pos;
}

/** The two files of one collection and what this process last saw of them. */
export class CollectionFiles {
  readonly dataPath: string;
  readonly indexPath: string;
  /** The collection's change history, which change streams read (see oplog.ts). */
  readonly oplogPath: string;
  private dataStamp?: Stamp;
  private indexStamp?: Stamp;
  /** Journal bytes already applied to the in-memory data. */
  private consumed = 0;
  private generation?: string;

  constructor(private readonly dir: string, name: string) {
    this.dataPath = path.join(dir, `${encodeName(name)}.bson`);
    this.indexPath = path.join(dir, `${encodeName(name)}.indexes.json`);
    this.oplogPath = path.join(dir, `${encodeName(name)}.oplog`);
  }

  /** Brings `data` up to date with what is on disk. */
  refresh(data: CollectionData): void {
    const indexStat = statOf(this.indexPath);
    let specs: IndexSpec[] | undefined;
    if (!sameStamp(stampOf(indexStat), this.indexStamp)) {
      specs = indexStat ? this.readSpecs() : [];
      this.indexStamp = stampOf(indexStat);
    }
    const dataStat = statOf(this.dataPath);
    if (!dataStat) {
      if (this.dataStamp || data.exists) data.clear();
      this.forgetData();
      if (specs) data.resetIndexes(specs);
      return;
    }
    const stamp = stampOf(dataStat)!;
    if (sameStamp(stamp, this.dataStamp)) {
      if (specs) data.resetIndexes(specs);
      return;
    }
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.dataPath);
    } catch (err) {
      throw storageError('read', this.dataPath, err);
    }
    const generation = this.checkHeader(buf);
    const current = specs ?? data.indexes.list().filter((s) => s.name !== '_id_');
    if (this.dataStamp && generation === this.generation && stamp.ino === this.dataStamp.ino && buf.length >= this.consumed) {
      // Only appended to since we last looked: apply the new records.
      this.consumed = parseRecords(buf, this.consumed, this.dataPath, false, (bytes) => data.put(storedFrom(bytes)), (id) => data.remove(canonicalKey(id)));
      data.exists = true;
      if (specs) data.resetIndexes(specs);
    } else {
      const docs = new Map<string, StoredDocument>();
      this.consumed = parseRecords(
        buf,
        HEADER_SIZE,
        this.dataPath,
        true,
        (bytes) => {
          const d = storedFrom(bytes);
          docs.set(d.idKey, d);
        },
        (id) => docs.delete(canonicalKey(id)),
      );
      data.reset(docs.values(), current, true);
    }
    this.generation = generation;
    this.dataStamp = stamp;
  }

  /** Appends the records of one write operation (compacting when the journal is large or damaged). */
  append(data: CollectionData, records: readonly JournalRecord[]): void {
    if (records.length === 0) return;
    if (!this.dataStamp || this.consumed < Number(this.dataStamp.size)) {
      // No journal yet, or a torn record at its end: write a fresh snapshot instead.
      this.compact(data);
      return;
    }
    const chunks: Uint8Array[] = [];
    for (const r of records) {
      if ('put' in r) chunks.push(Buffer.of(OP_PUT), r.put);
      else chunks.push(Buffer.of(OP_DELETE), serialize({ _id: r.delete }, { checkKeys: false, ignoreUndefined: false }));
    }
    const buf = Buffer.concat(chunks);
    let fd: number;
    try {
      fd = fs.openSync(this.dataPath, fs.constants.O_WRONLY | fs.constants.O_APPEND);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.compact(data);
        return;
      }
      throw storageError('open', this.dataPath, err);
    }
    let after: fs.BigIntStats;
    try {
      fs.writeFileSync(fd, buf);
      after = fs.fstatSync(fd, { bigint: true });
    } catch (err) {
      throw storageError('append to', this.dataPath, err);
    } finally {
      fs.closeSync(fd);
    }
    const expected = this.consumed + buf.length;
    if (after.ino === this.dataStamp.ino && after.size === BigInt(expected)) {
      this.consumed = expected;
      this.dataStamp = stampOf(after);
    } else {
      // Another process wrote in between: our records are in the file too; reload it next time.
      this.dataStamp = undefined;
    }
    if (expected > 2 * (data.liveBytes + data.docs.size) + COMPACT_SLACK) this.compact(data);
  }

  /** Rewrites the journal as a snapshot of `data` (atomically), also creating it for a new collection. */
  compact(data: CollectionData): void {
    this.ensureDir();
    const generation = randomBytes(16);
    const chunks: Uint8Array[] = [header(generation)];
    for (const d of data.docs.values()) chunks.push(Buffer.of(OP_PUT), d.bytes);
    const buf = Buffer.concat(chunks);
    writeFileAtomic(this.dataPath, buf);
    this.generation = generation.toString('hex');
    this.consumed = buf.length;
    this.dataStamp = stampOf(statOf(this.dataPath));
  }

  /** Saves the index specs (atomically) and makes sure the collection's journal exists. */
  writeIndexes(data: CollectionData): void {
    this.ensureDir();
    const specs = data.indexes.list().filter((s) => s.name !== '_id_');
    writeFileAtomic(this.indexPath, EJSON.stringify(specs, { relaxed: false }));
    this.indexStamp = stampOf(statOf(this.indexPath));
    if (!statOf(this.dataPath)) this.compact(data);
  }

  /** Deletes both files (drop). */
  remove(): void {
    for (const file of [this.dataPath, this.indexPath]) {
      try {
        fs.rmSync(file, { force: true });
      } catch (err) {
        throw storageError('delete', file, err);
      }
    }
    this.forgetData();
    this.indexStamp = undefined;
  }

  private forgetData(): void {
    this.dataStamp = undefined;
    this.consumed = 0;
    this.generation = undefined;
  }

  private ensureDir(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw storageError('create folder', this.dir, err);
    }
  }

  private checkHeader(buf: Buffer): string {
    if (buf.length < HEADER_SIZE || !buf.subarray(0, 4).equals(MAGIC) || buf.readUInt32LE(4) !== VERSION) {
      throw new MemoryStoreStorageError(`file ${this.dataPath} is not a memory: store journal (bad header)`);
    }
    return buf.subarray(8, HEADER_SIZE).toString('hex');
  }

  private readSpecs(): IndexSpec[] {
    try {
      return EJSON.parse(fs.readFileSync(this.indexPath, 'utf8'), { relaxed: false }) as IndexSpec[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError('read', this.indexPath, err);
    }
  }
}

/** The folder of one database. */
export class DatabaseFolder {
  readonly dir: string;
  private readonly files = new Map<string, CollectionFiles>();

  constructor(root: string, databaseName: string) {
    this.dir = path.join(root, encodeName(databaseName));
  }

  collection(name: string): CollectionFiles {
    let f = this.files.get(name);
    if (!f) {
      f = new CollectionFiles(this.dir, name);
      this.files.set(name, f);
    }
    return f;
  }

  /** Collections that exist on disk (a journal file), sorted. */
  listCollectionNames(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError('list', this.dir, err);
    }
    return entries
      .filter((f) => f.endsWith('.bson'))
      .map((f) => decodeURIComponent(f.slice(0, -'.bson'.length)))
      .sort();
  }

  /** Deletes the database folder. */
  drop(): void {
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch (err) {
      throw storageError('delete', this.dir, err);
    }
  }
}

/**
 * Makes sure `root` exists and is writable, with a clear error otherwise.
 * @example assertWritableFolder('/var/lib/stellaops/memory-store');
 */
export function assertWritableFolder(root: string): void {
  const probe = path.join(root, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MemoryStoreStorageError(`folder ${root} is not writable: ${reason}`, { cause: err });
  }
}
