import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../src/config/load-config.js';
import { authorityModule } from '../src/modules/authority/index.js';
import { user } from '../src/modules/authority/entities.js';
import { runVerify } from '../src/parity/index.js';
import { openParityData } from './parity-data.js';

/**
 * `node dist/bench/profile-parity.js OUT.cpuprofile [N]`: CPU profile of one in-process `verify`
 * (one process, data and output parity, list probes capped at 70 items as in the benchmark) of N
 * generated users (default 100k) on a `memory:/folder` store (MONGO_URL when set), loaded before
 * the profile starts, with cold caches (see ColdStore) (`-` for OUT: timing only). Summarise with `node dist/bench/profile-summary.js OUT`.
 */
const [out = 'parity.cpuprofile', n = '100000'] = process.argv.slice(2);
const N = Number(n);
const data = await openParityData('parity_profile', N);
try {
  const { db, mongoDatabase } = data;
  const store = await data.coldStore();
  const config = loadConfig({ env: { POSTGRES_URL: db.adminUrl, MONGO_URL: store.mongoUrl, MONGO_DATABASE: mongoDatabase } });
  const session = new Session();
  if (out !== '-') {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const started = performance.now();
  const { report } = await runVerify({ config, module: authorityModule, collections: [user.collection], outDir: null, maxListItems: 70, workers: 1 });
  const ms = performance.now() - started;
  if (out !== '-') writeFileSync(out, JSON.stringify((await session.post('Profiler.stop')).profile));
  const dataMs = Object.values(report.timings.dataMs).reduce((a, b) => a + b, 0);
  process.stderr.write(
    `verified ${report.summary.matchedRows} of ${N} rows (ok: ${report.summary.ok}) in ${(ms / 1000).toFixed(2)} s (${Math.round((N * 1000) / ms)} rows/s): ` +
      `data ${(dataMs / 1000).toFixed(2)} s, ${report.summary.probes} output probes ${(report.timings.outputMs / 1000).toFixed(2)} s${out !== '-' ? `; profile in ${out}` : ''}\n`,
  );
  await store.close();
} finally {
  await data.close();
}
