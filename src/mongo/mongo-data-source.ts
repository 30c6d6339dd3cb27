import { MongoClient, type Db } from 'mongodb';
import type { MongoCollectionLike, MongoDbLike } from './mongo-types.js';

/** A connected legacy database: a real MongoDB through the official driver, or the memory: store. */
export interface MongoDataSource {
  readonly db: MongoDbLike;
  readonly kind: 'mongodb' | 'memory';
  health(): Promise<{ ok: boolean; latencyMs: number; error?: string }>;
  close(): Promise<void>;
}

/** Adapts a driver `Db` to the narrow interface (the driver lists collections differently). */
function adaptDb(db: Db): MongoDbLike {
  return {
    databaseName: db.databaseName,
    collection: (name: string) => db.collection(name) as unknown as MongoCollectionLike,
    listCollectionNames: async () => (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort(),
    dropDatabase: () => db.dropDatabase(),
  };
}

/**
 * Connects to `url`: `mongodb://...` / `mongodb+srv://...` through the official driver, or
 * `memory:` / `memory:/folder` for the in-process store (development, demos and tests only; it is
 * never the production answer).
 *
 * @example
 * const mongo = await connectMongo('memory:/tmp/legacy', 'stellaops');
 * await mongo.db.collection('authority_users').countDocuments();
 */
export async function connectMongo(url: string, database: string): Promise<MongoDataSource> {
  if (url.startsWith('memory:')) {
    // Loaded on demand: services on a real MongoDB never load the memory store.
    const { MemoryMongoClient } = await import('./memory/memory-store.js');
    const client = await MemoryMongoClient.connect(url);
    const db = client.db(database);
    return {
      db,
      kind: 'memory',
      health: async () => ({ ok: true, latencyMs: 0 }),
      close: () => client.close(),
    };
  }
  // No eager connect(): the driver connects on first use, so a service whose MongoDB is only the
  // DualWrite secondary still starts during a MongoDB outage (health reports it down).
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  const driverDb = client.db(database);
  return {
    db: adaptDb(driverDb),
    kind: 'mongodb',
    async health() {
      const start = performance.now();
      try {
        await driverDb.command({ ping: 1 });
        return { ok: true, latencyMs: Math.round((performance.now() - start) * 100) / 100 };
      } catch (err) {
        return { ok: false, latencyMs: Math.round((performance.now() - start) * 100) / 100, error: (err as Error).message };
      }
    },
    close: () => client.close(),
  };
}
