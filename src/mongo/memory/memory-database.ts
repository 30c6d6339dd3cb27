/**
 * A database of the `memory:` store, implementing {@link MongoDbLike}. The data of a database lives in a
 * {@link DatabaseState} shared by every handle (`client.db(name)` may be called many times); for a
 * `memory:/folder` store it is backed by that folder.
 *
 * @example
 * const db = client.db('stellaops');
 * await db.collection('runs').insertOne({ status: 'queued' });
 * await db.listCollectionNames(); // ['runs']
 */
import { CollectionBacking } from './collection-backing.js';
import { invalidArgument } from './errors.js';
import { DatabaseFolder } from './folder-persistence.js';
import { MemoryCollection } from './memory-collection.js';
import type { MongoCollectionLike, MongoDbLike } from '../mongo-types.js';

/** The shared state of one database: its collections, and its folder when persisted. */
export class DatabaseState {
  private readonly collections = new Map<string, CollectionBacking>();
  readonly folder?: DatabaseFolder;

  constructor(readonly name: string, root?: string) {
    if (root !== undefined) this.folder = new DatabaseFolder(root, name);
  }

  backing(collectionName: string): CollectionBacking {
    let b = this.collections.get(collectionName);
    if (!b) {
      b = new CollectionBacking(`${this.name}.${collectionName}`, this.folder?.collection(collectionName));
      this.collections.set(collectionName, b);
    }
    return b;
  }

  /** Names of the collections that exist, sorted (on disk for a persisted store). */
  listCollectionNames(): string[] {
    if (this.folder) return this.folder.listCollectionNames();
    return [...this.collections.entries()]
      .filter(([, b]) => b.data.exists)
      .map(([n]) => n)
      .sort();
  }

  drop(): void {
    for (const b of this.collections.values()) b.data.clear();
    this.folder?.drop();
    // Other processes notice the missing files; our caches must forget what they saw of them.
    for (const b of this.collections.values()) b.sync();
  }
}

/** The server's database name rules (no empty name, no `/\. "$`, at most 63 bytes). */
export function checkDatabaseName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument('Database name cannot be empty');
  if (/[/\\. "$\0]/.test(name)) throw invalidArgument(`Invalid database name: '${name}' (cannot contain /\\. "$ or null)`);
  if (Buffer.byteLength(name) > 63) throw invalidArgument(`Invalid database name: '${name}' (longer than 63 bytes)`);
}

/** The driver's collection name rules. */
export function checkCollectionName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument('Collection names cannot be empty');
  if (name.includes('$')) throw invalidArgument("Collection names must not contain '$'");
  if (name.includes('\0')) throw invalidArgument('Collection names cannot contain a null character');
  if (name.startsWith('.') || name.endsWith('.')) throw invalidArgument("Collection names must not start or end with '.'");
  if (name.includes('..')) throw invalidArgument('Collection names cannot be empty');
  if (name.startsWith('system.')) throw invalidArgument(`Invalid collection name: '${name}' (system collections are reserved)`);
}

export class MemoryDatabase implements MongoDbLike {
  constructor(private readonly state: DatabaseState) {}

  get databaseName(): string {
    return this.state.name;
  }

  collection(name: string): MongoCollectionLike {
    checkCollectionName(name);
    return new MemoryCollection(name, this.state.name, this.state.backing(name));
  }

  async listCollectionNames(): Promise<string[]> {
    return this.state.listCollectionNames();
  }

  async dropDatabase(): Promise<boolean> {
    this.state.drop();
    return true;
  }
}
