import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Document } from 'bson';
import pgCopy from 'pg-copy-streams';
import type { BenchLine } from './run.js';
import { loadConfig } from '../src/config/load-config.js';
import { runConversion } from '../src/conversion/index.js';
import { user } from '../src/modules/authority/entities.js';
import { connectMongo } from '../src/mongo/mongo-data-source.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { tableOf } from '../src/postgres/entity-sql.js';
import { createTestDatabase } from '../test/setup/environment.js';
import { benchUserDoc, perSecond } from './bench-support.js';

/**
 * Conversion rows/s next to its two raw limits (SPEC 12), on N legacy Authority users (default 100k,
 * `BENCH_CONVERSION_N`) in MONGO_URL, else the in-process memory: store:
 * - the raw drain of the source cursor in `_id` order (documents decoded by the driver, nothing else);
 * - `convert` itself (planning, range cursors, decode + validation, COPY into staging, INSERT ... ON
 *   CONFLICT per tenant, quarantine, checkpoint per batch of 1000), one worker;
 * - a raw COPY of the same, already converted rows (their COPY text taken beforehand) into a scratch
 *   table with the same columns and no index, and into one with the target's indexes (primary key,
 *   unique username per tenant, newest order): the floor any loader of this table pays.
 */
const N = Number(process.env.BENCH_CONVERSION_N ?? 100_000);
const LOAD = 5000;

const userDoc = (i: number) => benchUserDoc(i, '65c0');

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  const db = await createTestDatabase('conversion_bench');
  const mongoUrl = process.env.MONGO_URL ?? 'memory:';
  const mongoDatabase = `conversion_bench_${process.pid}`;
  const mongo = await connectMongo(mongoUrl, mongoDatabase);
  const ds = new PostgresDataSource({ url: db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  try {
    const collection = mongo.db.collection(user.collection);
    for (let start = 0; start < N; start += LOAD) {
      const docs: Document[] = [];
      for (let i = start; i < Math.min(N, start + LOAD); i++) docs.push(userDoc(i));
      await collection.insertMany(docs);
    }

    // 1. Raw drain of the source cursor.
    let drained = 0;
    let started = performance.now();
    for await (const doc of collection.find({}, { sort: { _id: 1 }, batchSize: 1000 })) if (doc) drained++;
    const drainMs = performance.now() - started;
    if (drained !== N) throw new Error(`drained ${drained} of ${N}`);

    // 2. The conversion.
    const config = loadConfig({ env: { POSTGRES_ADMIN_URL: db.adminUrl, POSTGRES_URL: db.adminUrl, MONGO_URL: mongoUrl, MONGO_DATABASE: mongoDatabase } });
    started = performance.now();
    const report = await runConversion({ config, module: 'Authority', collection: user.collection, batchSize: 1000, progress: 'none', log: () => undefined });
    const convertMs = performance.now() - started;
    const summary = report.collections[0]!;
    if (!report.ok || summary.converted !== N) throw new Error(`conversion did not convert ${N} rows: ${JSON.stringify(summary)}`);

    // 3. Raw COPY of the same rows into a scratch table (same columns, no index, no constraint).
    const columns = `id, tenant_id, created_at, updated_at, username, email, display_name, password_hash, status, mfa_enabled, last_login_at, legacy_id`;
    await ds.query(`create table public.conversion_scratch as select ${columns} from ${tableOf(user)} with no data`);
    const chunks: Buffer[] = [];
    await ds.transaction(async (tx) => {
      const out = tx.client.query(pgCopy.to(`copy (select ${columns} from ${tableOf(user)}) to stdout`));
      for await (const chunk of out) chunks.push(chunk as Buffer);
    });
    started = performance.now();
    await ds.transaction(async (tx) => {
      await pipeline(Readable.from(chunks), tx.client.query(pgCopy.from(`copy public.conversion_scratch (${columns}) from stdin`)));
    });
    const copyMs = performance.now() - started;
    const copied = Number((await ds.query<{ n: string }>('select count(*) as n from public.conversion_scratch')).rows[0]!.n);
    if (copied !== N) throw new Error(`copied ${copied} of ${N}`);
    await ds.query(`create table public.conversion_scratch_indexed (like ${tableOf(user)} including indexes)`);
    started = performance.now();
    await ds.transaction(async (tx) => {
      await pipeline(Readable.from(chunks), tx.client.query(pgCopy.from(`copy public.conversion_scratch_indexed (${columns}) from stdin`)));
    });
    const copyIndexedMs = performance.now() - started;

    const drain = perSecond(N, drainMs);
    const copy = perSecond(N, copyMs);
    const copyIndexed = perSecond(N, copyIndexedMs);
    const convert = perSecond(N, convertMs);
    emit({ name: 'conversion.source_drain', n: N, value: drain, unit: 'rows/s', baseline: null, ratio: null });
    emit({ name: 'conversion.raw_copy', n: N, value: copy, unit: 'rows/s', baseline: null, ratio: null });
    emit({ name: 'conversion.raw_copy_indexed', n: N, value: copyIndexed, unit: 'rows/s', baseline: null, ratio: null });
    emit({ name: 'conversion.convert', n: N, value: convert, unit: 'rows/s', baseline: 'conversion.source_drain', ratio: Math.round((convert / drain) * 1000) / 1000 });
    emit({ name: 'conversion.convert_vs_copy', n: N, value: convert, unit: 'rows/s', baseline: 'conversion.raw_copy', ratio: Math.round((convert / copy) * 1000) / 1000 });
    emit({ name: 'conversion.convert_vs_copy_indexed', n: N, value: convert, unit: 'rows/s', baseline: 'conversion.raw_copy_indexed', ratio: Math.round((convert / copyIndexed) * 1000) / 1000 });
  } finally {
    await ds.close().catch(() => undefined);
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    await db.drop();
  }
}
