import type { BenchLine } from './run.js';
import { loadConfig } from '../src/config/load-config.js';
import { pgSettings } from '../src/postgres/pool-settings.js';
import { authorityModule } from '../src/modules/authority/index.js';
import { user } from '../src/modules/authority/entities.js';
import { selectList, tableOf } from '../src/postgres/entity-sql.js';
import { dataParity, runVerify } from '../src/parity/index.js';
import { ReadOnlyDataSource } from '../src/parity/read-only-data-source.js';
import { round } from './bench-support.js';
import { openParityData } from './parity-data.js';

/**
 * Parity rows/s next to the raw drains of both sides (SPEC 12), on N Authority users (default 100k;
 * `BENCH_SCALE=1m` for a million, or `BENCH_PARITY_N`): the MongoDB cursor drain in `_id` order
 * (MONGO_URL, else a memory:/folder store, which worker processes can read too), the PostgreSQL row
 * drain (server-side cursor, rows parsed by pg, not decoded), and data parity of the same collection
 * (drain + decode + canonical digest on both sides + lookup). Then the whole `runVerify` (data and
 * output parity, 4 tenants, list probes capped at 70 items), with 1 and 2 worker processes, as rows/s
 * against the slower drain with the target ratio 0.8, and the bench process's peak resident memory.
 * Each whole verify runs on its own copy of the legacy store, loaded before its timer starts and
 * with cold caches, so that the second run does not find what the first decoded (see ColdStore).
 */
const N = Number(process.env.BENCH_PARITY_N ?? (process.env.BENCH_SCALE === '1m' ? 1_000_000 : 100_000));
/** The target: the whole verify at >= 80% of the slower raw drain. */
const TARGET = 0.8;
const BATCH = 1000;

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  const data = await openParityData('parity_bench', N, BATCH);
  const { db, mongo, mongoUrl, mongoDatabase } = data;
  const collection = mongo.db.collection(user.collection);
  try {
    process.stderr.write(`parity bench: ${N} users loaded (${mongo.kind})\n`);

    const mongoDrain = await time(async () => {
      let n = 0;
      for await (const _doc of collection.find({}, { sort: { _id: 1 }, batchSize: 1000 })) n++;
      return n;
    });
    const pg = new ReadOnlyDataSource(pgSettings(loadConfig({ env: { POSTGRES_URL: db.adminUrl, MONGO_URL: mongoUrl } }), db.adminUrl));
    try {
      const pgDrain = await time(() =>
        pg.transaction(async (tx) => {
          await tx.query(`declare drain no scroll cursor for select ${selectList(user)} from ${tableOf(user)} order by id`);
          let n = 0;
          for (;;) {
            const res = await tx.query('fetch forward 2000 from drain');
            n += res.rows.length;
            if (res.rows.length < 2000) return n;
          }
        }),
      );
      const parity = await time(() =>
        dataParity({ spec: user, mongo: mongo.db, postgres: pg, quarantine: new Map(), referenceTime: new Date(), referenceTimeSource: 'run', sampleSize: 20, lookupSamples: 5 }),
      );
      if (parity.value.report.counts.matched !== N || mongoDrain.value !== N || pgDrain.value !== N) {
        throw new Error(`parity bench: expected ${N} everywhere, got drain ${mongoDrain.value} / ${pgDrain.value}, matched ${parity.value.report.counts.matched}`);
      }
      const rate = (ms: number) => Math.round((N / ms) * 1000);
      emit({ name: 'parity.mongo_drain', n: N, value: rate(mongoDrain.ms), unit: 'rows/s', baseline: null, ratio: null });
      emit({ name: 'parity.postgres_drain', n: N, value: rate(pgDrain.ms), unit: 'rows/s', baseline: null, ratio: null });
      emit({ name: 'parity.data', n: N, value: rate(parity.ms), unit: 'rows/s', baseline: 'parity.mongo_drain', ratio: round(rate(parity.ms) / rate(mongoDrain.ms)) });
      emit({ name: 'parity.data_vs_postgres_drain', n: N, value: rate(parity.ms), unit: 'rows/s', baseline: 'parity.postgres_drain', ratio: round(rate(parity.ms) / rate(pgDrain.ms)) });

      // End to end: the whole verify of the collection (data + output parity on 4 tenants, no files),
      // alone and shared by 2 processes. List probes stop after 70 items: the memory: store scans the
      // collection for every page (it has no index-driven sort), which would otherwise dominate the figure.
      const slower = Math.min(rate(mongoDrain.ms), rate(pgDrain.ms));
      const slowerName = rate(mongoDrain.ms) <= rate(pgDrain.ms) ? 'parity.mongo_drain' : 'parity.postgres_drain';
      let digest: string | null = null;
      for (const workers of [1, 2]) {
        // Each run on its own copy of the legacy store, loaded beforehand and with cold caches (see ColdStore).
        const store = await data.coldStore();
        const config = loadConfig({ env: { POSTGRES_URL: db.adminUrl, MONGO_URL: store.mongoUrl, MONGO_DATABASE: mongoDatabase } });
        const verify = await time(() => runVerify({ config, module: authorityModule, collections: [user.collection], outDir: null, maxListItems: 70, workers })).finally(() => store.close());
        const summary = verify.value.report.summary;
        if (!summary.ok || summary.matchedRows !== N) throw new Error(`parity bench: verify found mismatches: ${JSON.stringify(summary)}`);
        if (digest !== null && verify.value.report.digest !== digest) throw new Error('parity bench: the 2-worker verify wrote another digest than the 1-worker one');
        digest = verify.value.report.digest;
        const whole = rate(verify.ms);
        const ratio = round(whole / slower);
        emit({ name: `parity.verify_whole_${workers}w`, n: N, value: whole, unit: 'rows/s', baseline: slowerName, ratio, target: TARGET, met: ratio >= TARGET });
        emit({ name: `parity.verify_total_${workers}w`, n: N, value: round(verify.ms / 1000), unit: 's', baseline: null, ratio: null });
        emit({ name: `parity.verify_data_${workers}w`, n: N, value: Object.values(verify.value.report.timings.dataMs).reduce((a, b) => a + b, 0), unit: 'ms', baseline: null, ratio: null });
        emit({ name: `parity.verify_output_probes_${workers}w`, n: summary.probes, value: verify.value.report.timings.outputMs, unit: 'ms', baseline: null, ratio: null });
      }
      // Peak resident set of this process (which also holds the memory: store's copy of the legacy data).
      emit({ name: 'parity.peak_rss', n: N, value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MiB', baseline: null, ratio: null });
    } finally {
      await pg.close();
    }
  } finally {
    await data.close();
  }
}
