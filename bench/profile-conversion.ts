import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import type { Document } from 'bson';
import { loadConfig } from '../src/config/load-config.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { runConversion } from '../src/conversion/index.js';
import { authorityModule } from '../src/modules/authority/index.js';
import { user } from '../src/modules/authority/entities.js';
import { connectMongo } from '../src/mongo/mongo-data-source.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { createTestDatabase } from '../test/setup/environment.js';
import { benchUserDoc } from './bench-support.js';

/**
 * `node dist/bench/profile-conversion.js OUT.cpuprofile [N]`: CPU profile of one in-process `convert`
 * (one worker) of N generated users (default 100k) from the `memory:` store, seeding and migrations
 * left out of the profile (`-` for OUT: no profile, timing and memory only). Open OUT in Chrome
 * DevTools, or summarise the top self times with `node dist/bench/profile-summary.js OUT`. Also
 * prints this process's CPU time per document (steadier than the wall time on a busy machine) and the
 * resident memory the conversion added (peak minus before: the source is already resident).
 */
const [out = 'conversion.cpuprofile', n = '100000'] = process.argv.slice(2);
const N = Number(n);
const mongoDatabase = `conversion_profile_${process.pid}`;
const mongo = await connectMongo('memory:', mongoDatabase);
const db = await createTestDatabase('conversion_profile');
try {
  const collection = mongo.db.collection(user.collection);
  for (let start = 0; start < N; start += 5000) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(N, start + 5000); i++) docs.push(benchUserDoc(i, '65c0'));
    await collection.insertMany(docs);
  }
  const ds = new PostgresDataSource({ url: db.adminUrl, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  await runMigrations(ds, migrationSetsFor([authorityModule]), { categories: ['startup'], log: () => undefined });
  await ds.close();
  const config = loadConfig({ env: { POSTGRES_ADMIN_URL: db.adminUrl, POSTGRES_URL: db.adminUrl, MONGO_URL: 'memory:', MONGO_DATABASE: mongoDatabase } });
  const profiling = out !== '-';
  const session = new Session();
  if (profiling) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  // With --expose-gc: the live heap before and after (what the conversion kept), next to the RSS peak
  // (which also follows the garbage collector's heap sizing, proportional to everything resident).
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await runConversion({ config, module: 'Authority', collection: user.collection, batchSize: Number(process.env.BATCH ?? 1000), rangeSize: Number(process.env.RANGE ?? N), workers: 1, progress: 'none', log: () => undefined });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  gc?.();
  const heapKept = process.memoryUsage().heapUsed - heapBefore;
  if (profiling) writeFileSync(out, JSON.stringify((await session.post('Profiler.stop')).profile));
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  process.stderr.write(
    `converted ${report.collections[0]?.converted} of ${N} in ${(ms / 1000).toFixed(2)} s (${Math.round((N * 1000) / ms)} rows/s), ` +
      `this process's CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs per document; ` +
      `resident memory ${mib(rssBefore)} MiB before, +${mib(rssPeak - rssBefore)} MiB at the peak${gc ? `, live heap kept after the run ${mib(heapKept)} MiB` : ''}${profiling ? `; profile in ${out}` : ''}\n`,
  );
} finally {
  await mongo.db.dropDatabase();
  await mongo.close();
  await db.drop();
}
