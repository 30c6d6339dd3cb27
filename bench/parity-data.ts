import type { Document } from 'bson';
import { user } from '../src/modules/authority/entities.js';
import { decodeDocument } from '../src/mongo/document-codec.js';
import type { MongoCollectionLike } from '../src/mongo/mongo-types.js';
import type { PostgresDataSource } from '../src/postgres/data-source.js';
import { tableOf } from '../src/postgres/entity-sql.js';
import { toParams } from '../src/postgres/row-codec.js';
import { benchUserDoc } from './bench-support.js';

/**
 * Loads N generated Authority users on both sides, converted exactly as conversion would (the
 * parity benchmark and its profiler start from the same data): `collection` gets the legacy
 * documents, the table behind `loader` their rows, and is analysed.
 *
 * @example
 * await loadParityData(mongo.db.collection(user.collection), adminDataSource, 100_000);
 */
export async function loadParityData(collection: MongoCollectionLike, loader: PostgresDataSource, n: number, batch = 1000): Promise<void> {
  for (let start = 0; start < n; start += batch) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) docs.push(benchUserDoc(i, '65b0'));
    await collection.insertMany(docs);
    const params: unknown[] = [];
    const values: string[] = [];
    let columns: string[] = [];
    for (const { entity, legacyId } of docs.map((d) => decodeDocument(user, d))) {
      const p = toParams(user, entity);
      columns = p.columns;
      const base = params.length;
      values.push(`(${[...p.params, legacyId].map((_, k) => `$${base + k + 1}`).join(', ')})`);
      params.push(...p.params, legacyId);
    }
    await loader.query(`insert into ${tableOf(user)} (${[...columns, 'legacy_id'].map((c) => `"${c}"`).join(', ')}) values ${values.join(', ')}`, params);
  }
  await loader.query(`analyze ${tableOf(user)}`);
}
