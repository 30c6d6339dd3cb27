import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import { adminUrlOf, type PersistenceConfig } from '../../config/persistence-config.js';
import { formatSummary, runConversion } from '../../conversion/index.js';
import { corpusDir } from '../../corpus/index.js';
import { derivedUuid } from '../../codec/ids.js';
import { ModuleDrift, type DriftLedger } from '../../demo/drift.js';
import { driftVerdict, type DriftVerdict, type QuarantinedDocument } from '../../demo/drift-verdict.js';
import { connectMongo } from '../../mongo/mongo-data-source.js';
import { loadLegacyDocuments } from '../../mongo/legacy-loader.js';
import { runVerify, summaryLine } from '../../parity/index.js';
import { cliLog, configFrom, ExitCode, lineLog, out, positiveInt, printJson, UsageError, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

const DEMO_DATABASE = 'stellaops_demo';
/** COMMENT ON DATABASE of every database the demo created: the only ones it will ever drop. */
export const DEMO_DATABASE_MARK = 'stellaops-persistence demo database (created by `demo`; dropped and recreated by each demo run)';

function databaseName(value: string): string {
  if (value.length === 0 || Buffer.byteLength(value) > 63) throw new UsageError(`--database must be 1 to 63 bytes, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Drops and recreates the demo database, unless a database of that name exists that the demo did
 * not create (no demo mark): then it refuses, so a demo can never destroy someone's data.
 */
async function recreateDemoDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = await admin.query<{ mark: string | null }>(`select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1`, [name]);
    if (found.rows.length > 0 && found.rows[0]!.mark !== DEMO_DATABASE_MARK) {
      throw new UsageError(`database ${JSON.stringify(name)} exists and was not created by demo; refusing to drop it (choose another --database, or drop it yourself)`);
    }
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    await admin.query(`comment on database ${pg.escapeIdentifier(name)} is ${pg.escapeLiteral(DEMO_DATABASE_MARK)}`);
  } finally {
    await admin.end();
  }
}

/** The same URL on another database. */
function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Every quarantined document of a module, from the demo database (admin role). */
async function quarantineOf(adminUrl: string, module: string): Promise<QuarantinedDocument[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const res = await client.query<{ collection: string; legacy_id: string; reason: string }>(
      'select collection, legacy_id, reason from core.conversion_quarantine where module = $1 order by collection, legacy_id',
      [module],
    );
    return res.rows.map((r) => ({ collection: r.collection, legacyId: r.legacy_id, reason: r.reason }));
  } finally {
    await client.end();
  }
}

/** The per-module lines of `demo --drift`: documents, converted, quarantined by reason, verdict. */
function driftLines(v: DriftVerdict, ledger: DriftLedger): string[] {
  const lines = [`${v.module}: drift: ${v.documents} documents, ${v.converted} converted, ${v.skippedByTier} skipped by tier, ${v.quarantined} quarantined`];
  const d = ledger.duplicate;
  if (d) lines.push(`  deliberate duplicate: ${d.collection} ${d.legacyId} repeats (${d.key.join(', ')}) of ${d.duplicateOf}, tenant ${d.tenant}`);
  for (const g of v.quarantine) lines.push(`  quarantined ${g.count} [${g.category}] ${g.collection}: ${g.reason}; e.g. ${g.legacyIds.join(', ')}`);
  lines.push(v.ok ? `  drift rule: ok (only duplicates of natural keys and values PostgreSQL cannot store are quarantined)` : `  drift rule: FAILED: ${v.problems.join('; ')}`);
  return lines;
}

/** A verdict's quarantine summed over collections by kind of reason: largest first. */
function reasonTotals(v: DriftVerdict): { reason: string; category: string; count: number; collections: string[] }[] {
  const totals = new Map<string, { reason: string; category: string; count: number; collections: string[] }>();
  for (const g of v.quarantine) {
    const key = `${g.category}\u0000${g.reason}`;
    const t = totals.get(key) ?? { reason: g.reason, category: g.category, count: 0, collections: [] };
    t.count += g.count;
    t.collections.push(g.collection);
    totals.set(key, t);
  }
  return [...totals.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/**
 * `demo`: one command a newcomer can run. Generates realistic legacy documents for every module
 * (and loads the shared corpus where a module takes it) into a `memory:` folder, converts them into
 * a fresh PostgreSQL database (`--database`, default `stellaops_demo`: dropped and recreated when the
 * demo created it, refused otherwise), verifies parity and prints where the reports are.
 * Deterministic for a given --seed and --now. `--json` prints one JSON document on stdout.
 * `--drift` generates the legacy data with schema drift (src/demo/drift.ts) and adds its pass rule
 * (src/demo/drift-verdict.ts): only duplicates of natural keys and values PostgreSQL cannot store
 * may be quarantined, and each module's deliberate duplicate must be.
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
      .option('--database <name>', 'PostgreSQL database of the demo (created; dropped first only if an earlier demo created it)', databaseName, DEMO_DATABASE)
      .option('--no-corpus', 'do not load the shared corpus')
      .option('--drift', 'legacy data with schema drift: undeclared fields, typed values in json payloads, named tenants, one broken unique key per module; only duplicates and values PostgreSQL cannot store may be quarantined')
      .option('--json', 'print the outcome as one JSON document on stdout (human lines go to the log)')
      .option('--no-progress', 'no progress bar or progress lines'),
  ).action(async (opts: { module?: string[]; count: number; tenants: number; seed: number; now?: string; folder: string; out: string; database: string; corpus: boolean; drift?: boolean; json?: boolean; progress?: boolean; config?: string }) => {
    // The demo brings its own legacy store (a memory: folder), so MONGO_URL is not needed.
    const base = configFrom(opts, { postgres: true }, { MONGO_URL: 'memory:' });
    const modules = selectModules(opts.module).filter((m) => m.demo);
    const now = opts.now ? new Date(opts.now) : new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now is not a date: ${opts.now}`);
    const database = opts.database;
    const log = cliLog({ database });
    // With --json, stdout holds the one JSON document: the human lines become log records.
    const say = opts.json ? lineLog(log) : out;
    const folder = resolve(opts.folder);
    const adminUrl = adminUrlOf(base)!;
    await recreateDemoDatabase(adminUrl, database);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const config: PersistenceConfig = Object.freeze({
      ...base,
      Mongo: Object.freeze({ Url: `memory:${folder}`, Database: 'stellaops' }),
      Postgres: Object.freeze({ ...base.Postgres, Url: onDatabase(base.Postgres.Url!, database), AdminUrl: onDatabase(adminUrl, database) }),
    });

    const tenants = Array.from({ length: opts.tenants }, (_, i) => derivedUuid('demo-tenant', String(opts.seed), String(i)));
    const corpus = opts.corpus ? corpusDir() : null;
    say(`demo: ${modules.length} modules, ${tenants.length} tenants, seed ${opts.seed}, now ${now.toISOString()}${corpus ? `, corpus ${corpus}` : ', no corpus'}`);
    say(`legacy data: memory:${folder}; PostgreSQL database: ${database}${opts.drift ? '; with schema drift (--drift)' : ''}`);
    const seeded = new Map<string, Record<string, number>>();
    const ledgers = new Map<string, DriftLedger>();

    const mongo = await connectMongo(config.Mongo.Url!, config.Mongo.Database);
    try {
      for (const module of modules) {
        const generated = module.demo!({ tenants, count: opts.count, seed: opts.seed, now, corpusDir: corpus });
        const drift = opts.drift ? new ModuleDrift(module, { seed: opts.seed, tenants, now }) : null;
        const loaded = await loadLegacyDocuments(mongo.db, drift ? drift.apply(generated) : generated);
        if (drift) ledgers.set(module.name, drift.ledger());
        const total = Object.values(loaded.collections).reduce((n, c) => n + c.inserted, 0);
        seeded.set(module.name, Object.fromEntries(Object.entries(loaded.collections).map(([name, c]) => [name, c.inserted])));
        say(`${module.name}: seeded ${total} legacy documents in ${Object.keys(loaded.collections).length} collections`);
      }
    } finally {
      await mongo.close();
    }

    let failed = false;
    const reports: string[] = [];
    const results: object[] = [];
    const verdicts: DriftVerdict[] = [];
    for (const module of modules) {
      const moduleLog = lineLog(log.child({ module: module.name }));
      const conversion = await runConversion({ config, module, tier: 'auto', referenceTime: now, progress: opts.progress === false ? 'none' : 'auto', log: moduleLog });
      for (const c of conversion.collections) formatSummary(c).forEach((l) => say(`  ${l}`));
      const verify = await runVerify({ config, module, outDir: join(resolve(opts.out), module.name), ...(opts.progress === false ? {} : { log: moduleLog }) });
      say(`${module.name}: ${summaryLine(verify.report)}`);
      reports.push(...verify.paths);
      if (verify.exitCode !== 0 || !conversion.ok) failed = true;
      let verdict: DriftVerdict | null = null;
      const ledger = ledgers.get(module.name);
      if (ledger) {
        const documents = Object.values(seeded.get(module.name) ?? {}).reduce((n, c) => n + c, 0);
        const sum = (pick: (c: (typeof conversion.collections)[number]) => number) => conversion.collections.reduce((n, c) => n + pick(c), 0);
        const counts = { documents, converted: sum((c) => c.converted), skippedByTier: sum((c) => c.skipped), quarantined: sum((c) => c.quarantined) };
        verdict = driftVerdict(ledger, counts, await quarantineOf(config.Postgres.AdminUrl!, module.name));
        verdicts.push(verdict);
        driftLines(verdict, ledger).forEach((l) => say(l));
        if (!verdict.ok) failed = true;
      }
      results.push({
        module: module.name,
        seeded: seeded.get(module.name) ?? {},
        conversion: { ok: conversion.ok, collections: conversion.collections },
        parity: { ok: verify.report.summary.ok, summary: verify.report.summary, digest: verify.report.digest },
        reports: verify.paths,
        ...(verdict ? { drift: { ...verdict, ledger } } : {}),
      });
    }
    if (opts.json) {
      printJson({ ok: !failed, database, legacy: `memory:${folder}`, tenants, seed: opts.seed, now: now.toISOString(), corpus, drift: Boolean(opts.drift), modules: results, reports });
    } else {
      if (verdicts.length) {
        out('drift (module: documents, converted, skipped by tier, quarantined by reason):');
        for (const v of verdicts) {
          out(`  ${v.module}: ${v.documents} documents, ${v.converted} converted, ${v.skippedByTier} skipped by tier, ${v.quarantined} quarantined${v.ok ? '' : ' (drift rule FAILED)'}`);
          for (const r of reasonTotals(v)) out(`    ${r.count} ${r.category}: ${r.reason} (${r.collections.join(', ')})`);
        }
      }
      out('reports:');
      for (const p of reports) out(`  ${p}`);
    }
    if (failed) throw new ExitCode(1);
  });
}
