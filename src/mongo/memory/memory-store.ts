/**
 * The `memory:` MongoDB-compatible store (SPEC 5): for development, demos and tests on machines with no
 * MongoDB server. Never the production answer.
 *
 * - `memory:` is ephemeral: data lives in this process only, shared by every `memory:` client of the
 *   process (like one server), until the process exits or the database is dropped.
 * - `memory:/some/folder` (or `memory:relative/folder`) persists every database under that folder, so
 *   separate processes (CLI `seed`, then `convert`, then `verify`) see the same data. The clients of
 *   one process on one folder share one cache, as clients of one server share its memory (a second
 *   client does not load the folder again); every operation first picks up other processes' writes.
 *
 * Documents go through the official `bson` serialiser with the driver's options, and read back exactly
 * as the `mongodb` driver returns them with its default options (see `bson-codec.ts`); queries go
 * through mingo with BSON-aware comparisons; unique indexes and the 16 MiB limit are enforced.
 *
 * @example
 * const client = await MemoryMongoClient.connect('memory:/tmp/stellaops-dev');
 * const db = client.db('stellaops');
 * await db.collection('schedules').insertOne({ tenant: 't1', name: 'nightly' });
 * await client.close();
 */
import * as path from 'node:path';
import { assertWritableFolder } from './folder-persistence.js';
import { checkDatabaseName, DatabaseState, MemoryDatabase } from './memory-database.js';
import type { MongoDbLike } from '../mongo-types.js';

export { MemoryStoreStorageError, MemoryStoreUnsupportedError } from './errors.js';
export { MAX_BSON_DOCUMENT_SIZE, DRIVER_READ_OPTIONS } from './bson-codec.js';

const MEMORY_URL_RE = /^memory:/i;

/**
 * Whether a Mongo URL selects the in-process store.
 * @example isMemoryUrl('memory:/var/tmp/store'); // true
 */
export function isMemoryUrl(url: string): boolean {
  return typeof url === 'string' && MEMORY_URL_RE.test(url.trim());
}

/**
 * The folder a `memory:` URL persists to (absolute), or undefined for the ephemeral store.
 * `memory:///abs/path` is accepted as `/abs/path`; relative folders resolve against the current directory.
 * @example memoryUrlFolder('memory:data/store'); // '<cwd>/data/store'
 */
export function memoryUrlFolder(url: string): string | undefined {
  if (!isMemoryUrl(url)) throw new Error(`not a memory: URL: ${url}`);
  let rest = url.trim().replace(MEMORY_URL_RE, '');
  if (rest.startsWith('//')) rest = rest.slice(2);
  if (rest.length === 0) return undefined;
  return path.resolve(decodeURIComponent(rest));
}

/** One server's worth of databases: the process-wide ephemeral one, or the one of a folder (see folderServer). */
class MemoryServer {
  private readonly databases = new Map<string, DatabaseState>();

  constructor(readonly root?: string) {}

  database(name: string): DatabaseState {
    let db = this.databases.get(name);
    if (!db) {
      db = new DatabaseState(name, this.root);
      this.databases.set(name, db);
    }
    return db;
  }
}

const EPHEMERAL = new MemoryServer();

/**
 * The server of each folder while a client of it is alive (weakly held: a folder nobody uses any
 * more is not kept in memory).
 */
const FOLDER_SERVERS = new Map<string, WeakRef<MemoryServer>>();
const FORGET_FOLDER = new FinalizationRegistry<string>((folder) => {
  if (FOLDER_SERVERS.get(folder)?.deref() === undefined) FOLDER_SERVERS.delete(folder);
});

function folderServer(folder: string): MemoryServer {
  let server = FOLDER_SERVERS.get(folder)?.deref();
  if (!server) {
    server = new MemoryServer(folder);
    FOLDER_SERVERS.set(folder, new WeakRef(server));
    FORGET_FOLDER.register(server, folder);
  }
  return server;
}

/**
 * A client of the `memory:` store, shaped like the driver's `MongoClient` as far as our code uses it.
 * `close()` holds nothing to release (every write is on disk when it returns); like the v7 driver,
 * which reconnects on the next operation, the client stays usable after it.
 */
export class MemoryMongoClient {
  private constructor(
    private readonly server: MemoryServer,
    readonly url: string,
  ) {}

  /**
   * Opens the store a `memory:` URL names. For a folder, creates it when missing and fails clearly
   * when it is not writable.
   * @example const client = await MemoryMongoClient.connect('memory:');
   */
  static async connect(url: string): Promise<MemoryMongoClient> {
    const folder = memoryUrlFolder(url);
    if (folder === undefined) return new MemoryMongoClient(EPHEMERAL, url);
    assertWritableFolder(folder);
    return new MemoryMongoClient(folderServer(folder), url);
  }

  /** The folder this client persists to, undefined when ephemeral. */
  get folder(): string | undefined {
    return this.server.root;
  }

  /** A database handle (databases spring into existence with their first collection). */
  db(name: string): MongoDbLike {
    checkDatabaseName(name);
    return new MemoryDatabase(this.server.database(name));
  }

  async close(): Promise<void> {
    // Nothing is buffered or held open.
  }
}
