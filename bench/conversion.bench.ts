import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Document } from 'bson';
import pgCopy from 'pg-copy-streams';
import type { BenchLine } from './run.js';
import { loadConfig } from '../src/config/load-config.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { runConversion } from '../src/conversion/index.js';
import { authorityModule } from '../src/modules/authority/index.js';
import { user } from '../src/modules/authority/entities.js';
import { connectMongo } from '../src/mongo/mongo-data-source.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { tableOf } from '../src/postgres/entity-sql.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../test/setup/environment.js';
import { availableParallelism } from 'node:os';
import { benchUserDoc, machineCpuSeconds, perSecond, residentUsers, round } from './bench-support.js';

/**
 * `convert` rows/s against its limit (SPEC 12), on N legacy Authority users in MONGO_URL, else the
 * memory: store (and a memory:/folder copy for worker processes). N is 100k by
 * default, `BENCH_CONVERSION_N=...` or `BENCH_SCALE=1m` (one million) for the scale run. Measured side
 * by side in one run, on the same rows:
 * - the raw drain of the source cursor in `_id` order (documents decoded by the driver, nothing else),
 *   from the same store the one-worker conversion reads;
 * - a raw COPY of the converted rows (their COPY text taken beforehand) into a scratch table with the
 *   same columns and no index, and into one with the target's indexes (primary key, unique username
 *   per tenant, newest order): the floor any loader of this table pays;
 * - the limit: min(drain, COPY into the indexed table). Drain and COPY are each measured twice,
 *   before and after the conversions, and the faster of the two counts (the limit a quiet moment of
 *   the machine gives: noise can only make the ratios look worse, never better);
 * - `convert` with one worker (in this process) and with `--workers 2` (two worker processes), each
 *   into a fresh database whose schema is already migrated (migrations are a one-off, not
 *   throughput): planning, range cursors, decode + validation, COPY, quarantine, a checkpoint per
 *   batch in the batch's transaction. Ranges of N / 8 documents, claimed by the workers as they go.
 * Each `convert` line gives its ratio to the limit and the target (0.5 with one worker, 0.8 with
 * two). `conversion.cpu_*` give the machine's CPU time per row (every process: node and PostgreSQL
 * both, from /proc/stat) and `conversion.ceiling_*` what the machine's cores could give at that cost
 * with perfect parallelism: on 2 cores, the raw COPY alone takes a share. `conversion.rss_*` give the resident memory: what the one-worker run added to this process
 * (peak minus before: the source's own documents are already resident), and the peak of a worker
 * process, whose own copy of the memory: source (`conversion.source_bytes` of BSON) is included.
 */
const SCALE = process.env.BENCH_SCALE === '1m' ? 1_000_000 : null;
const N = Number(process.env.BENCH_CONVERSION_N ?? SCALE ?? 100_000);
const BATCH = Number(process.env.BENCH_CONVERSION_BATCH ?? 1000);
const LOAD = 5000;
const TARGETS = { 1: 0.5, 2: 0.8 } as const;

const userDoc = (i: number) => benchUserDoc(i, '65c0');

/** Resident set sizes (bytes) of this process and its child processes (worker processes), sampled until stopped. */
function rssSampler(): { stop(): { self: number; children: number } } {
  const peak = { self: 0, children: 0 };
  const childRss = () => {
    let total = 0;
    try {
      for (const pid of readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) total = Math.max(total, Number(m[1]) * 1024);
      }
    } catch {
      // Not Linux, or the child just ended.
    }
    return total;
  };
  const sample = () => {
    peak.self = Math.max(peak.self, process.memoryUsage.rss());
    peak.children = Math.max(peak.children, childRss());
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Size of the memory:/folder journals (the source's BSON). */
function sourceBytes(folder: string): number {
  let total = 0;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.bson')) total += statSync(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).size;
  }
  return total;
}

async function migratedDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix);
  const ds = new PostgresDataSource({ url: db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  try {
    await runMigrations(ds, migrationSetsFor([authorityModule]), { categories: ['startup'], log: () => undefined });
  } finally {
    await ds.close();
  }
  return db;
}

interface ConvertRun {
  readonly rowsPerSecond: number;
  readonly ms: number;
  /** Machine-wide CPU seconds the run took (every process), or null off Linux. */
  readonly cpuSeconds: number | null;
  readonly rssBefore: number;
  readonly rssPeak: { self: number; children: number };
}

async function convert(db: TestDatabase, mongoUrl: string, mongoDatabase: string, workers: 1 | 2): Promise<ConvertRun> {
  const config = loadConfig({ env: { POSTGRES_ADMIN_URL: db.adminUrl, POSTGRES_URL: db.adminUrl, MONGO_URL: mongoUrl, MONGO_DATABASE: mongoDatabase } });
  const rssBefore = process.memoryUsage.rss();
  const rss = rssSampler();
  const cpuBefore = machineCpuSeconds();
  const started = performance.now();
  const report = await runConversion({
    config,
    module: 'Authority',
    collection: user.collection,
    batchSize: BATCH,
    rangeSize: Math.ceil(N / 8),
    workers,
    progress: 'none',
    log: () => undefined,
  });
  const ms = performance.now() - started;
  const cpuAfter = machineCpuSeconds();
  const rssPeak = rss.stop();
  const summary = report.collections[0]!;
  if (!report.ok || summary.converted !== N) throw new Error(`conversion (${workers} worker(s)) did not convert ${N} rows: ${JSON.stringify(summary)}`);
  return { rowsPerSecond: perSecond(N, ms), ms, cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore, rssBefore, rssPeak };
}

async function seed(url: string, database: string): Promise<void> {
  const mongo = await connectMongo(url, database);
  try {
    const collection = mongo.db.collection(user.collection);
    for (let start = 0; start < N; start += LOAD) {
      const docs: Document[] = [];
      for (let i = start; i < Math.min(N, start + LOAD); i++) docs.push(userDoc(i));
      await collection.insertMany(docs);
    }
  } finally {
    await mongo.close();
  }
}

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  // Without MONGO_URL: the process-wide memory: store for the drain and the one-worker run (the
  // source is resident, as a server's is), and a memory:/folder copy for `--workers 2`, resident in
  // this process too (a client holds it loaded, which the in-process worker shares) while the worker
  // process loads its own from disk when it starts (no server to share).
  const folder = process.env.MONGO_URL ? null : mkdtempSync(join(tmpdir(), 'conversion-bench-'));
  const mongoUrl = process.env.MONGO_URL ?? 'memory:';
  const workersUrl = folder ? `memory:${folder}` : mongoUrl;
  const mongoDatabase = `conversion_bench_${process.pid}`;
  await seed(mongoUrl, mongoDatabase);
  if (workersUrl !== mongoUrl) await seed(workersUrl, mongoDatabase);
  const mongo = await connectMongo(mongoUrl, mongoDatabase);
  const dbs: TestDatabase[] = [];
  try {
    const collection = mongo.db.collection(user.collection);
    const one = await migratedDatabase('conversion_bench_w1');
    dbs.push(one);
    const two = await migratedDatabase('conversion_bench_w2');
    dbs.push(two);

    const drainOnce = async () => {
      let drained = 0;
      const started = performance.now();
      for await (const doc of collection.find({}, { sort: { _id: 1 }, batchSize: 1000 })) if (doc) drained++;
      if (drained !== N) throw new Error(`drained ${drained} of ${N}`);
      return performance.now() - started;
    };
    // 1. Raw drain of the source cursor.
    let drainMs = await drainOnce();

    // 2. The conversion, one worker.
    const w1 = await convert(one, mongoUrl, mongoDatabase, 1);

    // 3. Raw COPY of the same rows into a scratch table (same columns, no index, no constraint), then
    //    into one with the target's indexes.
    const ds = new PostgresDataSource({ url: one.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
    let copyMs = Infinity;
    let copyIndexedMs = Infinity;
    let copyIndexedCpu: number | null = null;
    const columns = `id, tenant_id, created_at, updated_at, username, email, display_name, password_hash, status, mfa_enabled, last_login_at, legacy_id, legacy_extra`;
    const chunks: Buffer[] = [];
    const copyInto = async (table: string) => {
      await ds.query(`truncate ${table}`);
      const cpuBefore = machineCpuSeconds();
      const started = performance.now();
      await ds.transaction(async (tx) => {
        await pipeline(Readable.from(chunks), tx.client.query(pgCopy.from(`copy ${table} (${columns}) from stdin`)));
      });
      const ms = performance.now() - started;
      const cpuAfter = machineCpuSeconds();
      if (table.endsWith('_indexed') && cpuBefore !== null && cpuAfter !== null) copyIndexedCpu = Math.min(copyIndexedCpu ?? Infinity, cpuAfter - cpuBefore);
      const copied = Number((await ds.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);
      if (copied !== N) throw new Error(`copied ${copied} of ${N}`);
      return ms;
    };
    let w2: ConvertRun;
    try {
      await ds.query(`create table public.conversion_scratch as select ${columns} from ${tableOf(user)} with no data`);
      await ds.query(`create table public.conversion_scratch_indexed (like ${tableOf(user)} including indexes)`);
      await ds.transaction(async (tx) => {
        const out = tx.client.query(pgCopy.to(`copy (select ${columns} from ${tableOf(user)}) to stdout`));
        for await (const chunk of out) chunks.push(chunk as Buffer);
      });
      copyMs = await copyInto('public.conversion_scratch');
      copyIndexedMs = await copyInto('public.conversion_scratch_indexed');

      // 4. The conversion, two worker processes.
      const resident = await residentUsers(workersUrl, mongoDatabase);
      try {
        w2 = await convert(two, workersUrl, mongoDatabase, 2);
      } finally {
        await resident.close();
      }

      // 5. The limits once more, after the conversions: the faster measurement counts.
      drainMs = Math.min(drainMs, await drainOnce());
      copyMs = Math.min(copyMs, await copyInto('public.conversion_scratch'));
      copyIndexedMs = Math.min(copyIndexedMs, await copyInto('public.conversion_scratch_indexed'));
    } finally {
      await ds.close().catch(() => undefined);
    }

    const drain = perSecond(N, drainMs);
    const copy = perSecond(N, copyMs);
    const copyIndexed = perSecond(N, copyIndexedMs);
    const limit = Math.min(drain, copyIndexed);
    emit({ name: 'conversion.source_drain', n: N, value: drain, unit: 'rows/s', baseline: null, ratio: null });
    emit({ name: 'conversion.raw_copy', n: N, value: copy, unit: 'rows/s', baseline: null, ratio: null });
    emit({ name: 'conversion.raw_copy_indexed', n: N, value: copyIndexed, unit: 'rows/s', baseline: null, ratio: null });
    emit({ name: 'conversion.limit', n: N, value: limit, unit: 'rows/s', baseline: drain <= copyIndexed ? 'conversion.source_drain' : 'conversion.raw_copy_indexed', ratio: null });
    const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
    const usPerRow = (cpu: number) => round((cpu * 1e6) / N, 1);
    const cores = availableParallelism();
    const report = (workers: 1 | 2, r: ConvertRun) => {
      const ratio = round(r.rowsPerSecond / limit);
      emit({ name: `conversion.convert_w${workers}`, n: N, value: r.rowsPerSecond, unit: 'rows/s', baseline: 'conversion.limit', ratio, target: TARGETS[workers], met: ratio >= TARGETS[workers] });
      emit({ name: `conversion.time_w${workers}`, n: N, value: round(r.ms / 1000, 2), unit: 's', baseline: null, ratio: null });
      if (r.cpuSeconds === null) return;
      emit({ name: `conversion.cpu_w${workers}`, n: N, value: usPerRow(r.cpuSeconds), unit: 'µs CPU per row, machine-wide (node and PostgreSQL)', baseline: null, ratio: null });
      // The most any number of workers could reach at this CPU cost per row on this machine's cores.
      const ceiling = Math.round((cores * N) / r.cpuSeconds);
      emit({ name: `conversion.ceiling_w${workers}`, n: N, value: ceiling, unit: `rows/s (${cores} cores / CPU per row)`, baseline: 'conversion.limit', ratio: round(ceiling / limit) });
    };
    if (copyIndexedCpu !== null) emit({ name: 'conversion.cpu_copy_indexed', n: N, value: usPerRow(copyIndexedCpu), unit: 'µs CPU per row, machine-wide (the raw COPY: the floor)', baseline: null, ratio: null });
    report(1, w1);
    emit({ name: 'conversion.rss_w1', n: N, value: mb(w1.rssPeak.self - w1.rssBefore), unit: 'MiB added (peak - before)', baseline: null, ratio: null });
    report(2, w2);
    emit({ name: 'conversion.rss_w2_worker', n: N, value: mb(w2.rssPeak.children), unit: 'MiB peak per worker process (its own copy of the memory: source included)', baseline: null, ratio: null });
    if (folder) emit({ name: 'conversion.source_bytes', n: N, value: mb(sourceBytes(folder)), unit: 'MiB of BSON in the memory: source (each worker process holds a copy)', baseline: null, ratio: null });
  } finally {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    for (const db of dbs) await db.drop().catch(() => undefined);
    if (folder) rmSync(folder, { recursive: true, force: true });
  }
}
