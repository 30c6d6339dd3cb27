import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import { adminUrlOf, type PersistenceConfig } from '../../config/persistence-config.js';
import { formatSummary, runConversion } from '../../conversion/index.js';
import { corpusDir } from '../../corpus/index.js';
import { derivedUuid } from '../../codec/ids.js';
import { connectMongo } from '../../mongo/mongo-data-source.js';
import { loadLegacyDocuments } from '../../mongo/legacy-loader.js';
import { runVerify, summaryLine } from '../../parity/index.js';
import { configFrom, err, ExitCode, out, positiveInt, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

const DEMO_DATABASE = 'stellaops_demo';

/** The same URL on another database. */
function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * `demo`: one command a newcomer can run. Generates realistic legacy documents for every module
 * (and loads the shared corpus where a module takes it) into a `memory:` folder, converts them into
 * a fresh PostgreSQL database `stellaops_demo` (dropped and recreated: it belongs to the demo), verifies
 * parity and prints where the reports are. Deterministic for a given --seed and --now.
 */
export function registerDemo(program: Command): void {
  withConfigOption(
    program
      .command('demo')
      .description('Seed generated and corpus data into memory:, convert, verify, print the report path')
      .option('--module <names...>', 'only these modules (default: every module with demo data)')
      .option('--count <n>', 'documents per collection per tenant (roughly)', positiveInt('--count'), 40)
      .option('--tenants <n>', 'number of tenants', positiveInt('--tenants'), 3)
      .option('--seed <n>', 'generator seed', positiveInt('--seed'), 42)
      .option('--now <iso>', 'reference time of the generated data (default: today 00:00 UTC)')
      .option('--folder <dir>', 'memory: folder of the legacy data (default: .demo/legacy, emptied first)', '.demo/legacy')
      .option('--out <dir>', 'report folder', '.demo/reports')
      .option('--no-corpus', 'do not load the shared corpus'),
  ).action(async (opts: { module?: string[]; count: number; tenants: number; seed: number; now?: string; folder: string; out: string; corpus: boolean; config?: string }) => {
    // The demo brings its own legacy store (a memory: folder), so MONGO_URL is not needed.
    const base = configFrom(opts, { postgres: true }, { MONGO_URL: 'memory:' });
    const modules = selectModules(opts.module).filter((m) => m.demo);
    const now = opts.now ? new Date(opts.now) : new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');
    if (Number.isNaN(now.getTime())) throw new ExitCode(2, `--now is not a date: ${opts.now}`);
    const folder = resolve(opts.folder);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });

    const adminUrl = adminUrlOf(base)!;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(DEMO_DATABASE)} with (force)`);
      await admin.query(`create database ${pg.escapeIdentifier(DEMO_DATABASE)}`);
    } finally {
      await admin.end();
    }
    const config: PersistenceConfig = Object.freeze({
      ...base,
      Mongo: Object.freeze({ Url: `memory:${folder}`, Database: 'stellaops' }),
      Postgres: Object.freeze({ ...base.Postgres, Url: onDatabase(base.Postgres.Url!, DEMO_DATABASE), AdminUrl: onDatabase(adminUrl, DEMO_DATABASE) }),
    });

    const tenants = Array.from({ length: opts.tenants }, (_, i) => derivedUuid('demo-tenant', String(opts.seed), String(i)));
    const corpus = opts.corpus ? corpusDir() : null;
    out(`demo: ${modules.length} modules, ${tenants.length} tenants, seed ${opts.seed}, now ${now.toISOString()}${corpus ? `, corpus ${corpus}` : ', no corpus'}`);
    out(`legacy data: memory:${folder}; PostgreSQL database: ${DEMO_DATABASE}`);

    const mongo = await connectMongo(config.Mongo.Url!, config.Mongo.Database);
    try {
      for (const module of modules) {
        const loaded = await loadLegacyDocuments(mongo.db, module.demo!({ tenants, count: opts.count, seed: opts.seed, now, corpusDir: corpus }));
        const total = Object.values(loaded.collections).reduce((n, c) => n + c.inserted, 0);
        out(`${module.name}: seeded ${total} legacy documents in ${Object.keys(loaded.collections).length} collections`);
      }
    } finally {
      await mongo.close();
    }

    let failed = false;
    const reports: string[] = [];
    for (const module of modules) {
      const conversion = await runConversion({ config, module, tier: 'auto', referenceTime: now, progress: 'auto', log: err });
      for (const c of conversion.collections) formatSummary(c).forEach((l) => out(`  ${l}`));
      const verify = await runVerify({ config, module, outDir: join(resolve(opts.out), module.name), log: err });
      out(`${module.name}: ${summaryLine(verify.report)}`);
      reports.push(...verify.paths);
      if (verify.exitCode !== 0) failed = true;
    }
    out('reports:');
    for (const p of reports) out(`  ${p}`);
    if (failed) throw new ExitCode(1);
  });
}
