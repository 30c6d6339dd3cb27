import { adminUrlOf, tenantPinsOf, type PersistenceConfig } from '../config/persistence-config.js';
import { attachTenantRegistry } from '../mongo/tenant-keys.js';
import { adoptRecordedTenants, readRecordedTenants } from '../postgres/tenant-registry-store.js';
import { taskPoolSettings } from '../postgres/pool-settings.js';
import { migrationSetsFor } from '../container/migration-sets.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConfigError } from '../interfaces/errors.js';
import { connectMongo, type MongoDataSource } from '../mongo/mongo-data-source.js';
import { PostgresDataSource } from '../postgres/data-source.js';
import { runMigrations } from '../postgres/migrations/index.js';
import { DEFAULT_LEASE_SECONDS, positive, prepareJob, resolveTargets, type ConversionOptions, type RunEnv } from './conversion-plan.js';
import { ConversionFailedError, ConversionOptionsError } from './errors.js';
import { passTotals, processedOf, readPass } from './job-store.js';
import { progressReporter } from './progress.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import { completedSummary, failedSummary, finishedSummary, nothingToJoinSummary, type CollectionSummary, type ConversionReport } from './summary.js';
import { effectiveTier, TIER_OPTIONS, type EffectiveTier } from './tiers.js';
import { startWorkerProcesses, type StartedWorkers } from './worker-processes.js';
import { workPass } from './worker.js';

export { resolveTargets, type ConversionOptions } from './conversion-plan.js';

/**
 * Converts a module's legacy collections into PostgreSQL (docs/design.md §8): applies the module's startup
 * migrations, then per collection creates (or resumes, or joins) its job, plans its key ranges once,
 * and loads every document exactly once, or quarantines it, or counts it as left out by the tier.
 * Resolves with a report; rejects only on bad options or configuration (ConversionOptionsError,
 * ConfigError). A permanent error stops at that collection with `ok: false`, leaving it resumable.
 *
 * @example
 * const report = await runConversion({ config: loadConfig(), module: 'Authority', collection: 'authority_users' });
 * if (!report.ok) process.exitCode = 1;
 */
export async function runConversion(options: ConversionOptions): Promise<ConversionReport> {
  const { config } = options;
  const { module, entities } = resolveTargets(options.module, options.collection);
  const tierOption = options.tier ?? 'auto';
  if (!TIER_OPTIONS.includes(tierOption)) throw new ConversionOptionsError(`--tier ${tierOption} is not allowed; allowed: ${TIER_OPTIONS.join(', ')}`);
  const tiers = new Map(entities.map((e) => [e, effectiveTier(e, tierOption)]));
  const workers = positive('--workers', options.workers ?? 1);
  if (workers > 1 && typeof options.module !== 'string') {
    throw new ConversionOptionsError('--workers > 1 needs a registered module (worker processes find it by name)');
  }
  const adminUrl = adminUrlOf(config);
  if (!adminUrl) throw new ConfigError('Postgres.AdminUrl (POSTGRES_ADMIN_URL) and Postgres.Url (POSTGRES_URL) are missing; convert needs PostgreSQL');
  if (!config.Mongo.Url) throw new ConfigError('Mongo.Url (environment variable MONGO_URL) is missing; convert reads the legacy MongoDB (memory:/folder for the in-process store)');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const retry = options.retry ?? DEFAULT_RETRY;

  const ds = new PostgresDataSource(taskPoolSettings(config, adminUrl, { max: 4, applicationName: 'stellaops-convert', idleTimeoutMs: 10_000 }));
  // A checked-out client whose server connection dies also emits 'error'; without a listener that
  // would crash the process instead of failing the query, which the retry policy then handles.
  // Commits need not wait for the WAL flush: a batch and its checkpoint commit together, so a server
  // crash that loses the last few commits loses both, and the resumed job redoes exactly those.
  ds.pool.on('connect', (client) => {
    client.on('error', () => undefined);
    client.query('set synchronous_commit = off').catch(() => undefined);
  });
  let mongo: MongoDataSource | null = null;
  const collections: CollectionSummary[] = [];
  try {
    mongo = await withRetry('connect to MongoDB', () => connectMongo(config.Mongo.Url!, config.Mongo.Database), retry, log);
    await withRetry('migrations', () => runMigrations(ds, migrationSetsFor([module]), { categories: ['startup'], log }), retry, log);
    // The config's pins, checked against the keys earlier runs recorded (a contradiction stops here).
    const tenants = attachTenantRegistry(mongo.db, tenantPinsOf(config));
    adoptRecordedTenants(tenants, (await withRetry('tenant registry', () => readRecordedTenants(ds), retry, log)) ?? []);
    // Row-level security binds the loading role unless it is a superuser or has BYPASSRLS.
    const role = await withRetry('role', () => ds.query(`select rolsuper or rolbypassrls as bypass from pg_roles where rolname = current_user`), retry, log);
    let warned = false;
    const env: RunEnv = {
      options,
      module,
      ds,
      mongo,
      batchSize: positive('--batch-size', options.batchSize ?? config.Conversion.BatchSize),
      rangeSize: positive('--range-size', options.rangeSize ?? config.Conversion.RangeSize),
      workers,
      leaseSeconds: positive('--lease-seconds', options.leaseSeconds ?? DEFAULT_LEASE_SECONDS),
      throttleMs: Math.max(0, Math.trunc(options.throttleMs ?? 0)),
      perTenant: role.rows[0]?.bypass !== true,
      tenants,
      retry,
      log,
      warnInexact: (print) => {
        if (warned) return;
        warned = true;
        print('note: the source hands over decoded documents, not raw BSON (memory: store); quarantined document_bson is re-serialised from them');
      },
    };
    for (const spec of entities) {
      const summary = await convertCollection(env, spec, tiers.get(spec)!);
      collections.push(summary);
      if (summary.outcome === 'failed') break;
    }
  } finally {
    await mongo?.close().catch(() => undefined);
    await ds.close().catch(() => undefined);
  }
  return { module: module.name, ok: collections.every((c) => c.outcome !== 'failed'), collections };
}

async function convertCollection(env: RunEnv, spec: EntitySpec, tier: EffectiveTier): Promise<CollectionSummary> {
  const jobId = `${spec.module}/${spec.collection}`;
  const began = Date.now();
  const source = env.mongo.db.collection(spec.collection);
  const base = {
    jobId,
    module: spec.module,
    collection: spec.collection,
    entity: spec.name,
    tier: tier.tier,
    tierDescription: tier.tier === 'A' ? 'all documents' : tier.description,
  };
  let passNumber: number | null = null;
  let referenceTime: Date | null = null;
  // --workers N: the N-1 worker processes start now and warm up while this process plans the pass.
  // Their lines go through the progress reporter once there is one (it keeps the bar tidy).
  let childLog = env.log;
  const children: StartedWorkers | null =
    env.workers > 1
      ? startWorkerProcesses(
          env.workers - 1,
          {
            module: spec.module,
            collection: spec.collection,
            tier: tier.tier,
            batchSize: env.batchSize,
            leaseSeconds: env.leaseSeconds,
            throttleMs: env.throttleMs,
            configFile: env.options.configFile ?? null,
            env: childEnv(env.options.config),
          },
          (line) => childLog(line),
        )
      : null;
  try {
    if (env.options.startSignal) {
      // Started ahead of the plan: read the source once (the memory: store loads its folder, a server
      // connection opens) while the parent plans, then wait for its word.
      await source.findOne({}, { projection: { _id: 1 } });
      if (!(await env.options.startSignal())) return nothingToJoinSummary(base, began);
    }
    const prepared = await withRetry(`${jobId} prepare`, () => prepareJob(env, spec, tier, source, jobId), env.retry, env.log);
    if (prepared.kind === 'nothing-to-join') {
      return nothingToJoinSummary(base, began);
    }
    if (prepared.kind !== 'run') return finishedSummary(base, prepared.kind, prepared.job, prepared.pass, began);
    children?.go();
    const { job, pass } = prepared;
    passNumber = pass.pass;
    referenceTime = job.referenceTime;
    const before = processedOf(await passTotals(env.ds, jobId, pass.pass));
    const reporter = progressReporter(env.options.worker ? 'none' : (env.options.progress ?? 'auto'), jobId, Number(pass.planned), Number(before), env.log);
    childLog = (line) => reporter.log(line);
    let polling = false;
    let seen = Number(before);
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      passTotals(env.ds, jobId, pass.pass)
        .then((t) => reporter.update((seen = Number(processedOf(t)))))
        .catch(() => undefined)
        .finally(() => (polling = false));
    }, 1000);
    try {
      const ctx = {
        ds: env.ds,
        source,
        spec,
        tier,
        jobId,
        pass: pass.pass,
        referenceTime: job.referenceTime,
        batchSize: env.batchSize,
        leaseSeconds: env.leaseSeconds,
        throttleMs: env.throttleMs,
        perTenant: env.perTenant,
        retry: env.retry,
        log: (line: string) => reporter.log(line),
        onInexactBytes: () => env.warnInexact((line) => reporter.log(line)),
        tenants: env.tenants,
      };
      if (children) {
        // This process is one of the workers: it is warm (modules loaded, source open, ranges just
        // planned) and starts at once, beside the N-1 worker processes.
        const [failures, own] = await Promise.allSettled([children.done, workPass(ctx)]);
        if (own.status === 'rejected') throw own.reason;
        if (failures.status === 'rejected') throw failures.reason;
        if (failures.value.length) throw new ConversionFailedError(failures.value.join('; '));
        // All workers ended well; should a pass still be open (a worker killed between its last range
        // and the finish), this process completes it.
        if ((await readPass(env.ds, jobId, pass.pass)).status !== 'finished') await workPass(ctx);
      } else {
        await workPass(ctx);
      }
    } catch (err) {
      // Leave the terminal tidy (the bar hides the cursor) before the failure is reported.
      reporter.stop(seen);
      throw err;
    } finally {
      clearInterval(timer);
    }
    const totals = await passTotals(env.ds, jobId, pass.pass);
    const processedNow = Number(processedOf(totals) - before);
    reporter.stop(Number(processedOf(totals)));
    const finalPass = await readPass(env.ds, jobId, pass.pass);
    return completedSummary(base, env.options.worker ? 'joined' : 'completed', job, finalPass, totals, processedNow, began);
  } catch (err) {
    if (err instanceof ConversionOptionsError) throw err;
    // What the pass holds so far (best effort: the database may be what failed).
    const totals = passNumber === null ? null : await passTotals(env.ds, jobId, passNumber).catch(() => null);
    return failedSummary(base, passNumber, referenceTime, totals, (err as Error).message, began);
  } finally {
    // Workers never told to go (nothing to run, or planning failed) stand down; none is left behind.
    children?.cancel();
    await children?.done;
  }
}

/** Connection settings for worker processes, as the environment variables of docs/design.md §3. */
function childEnv(config: PersistenceConfig): Record<string, string> {
  const env: Record<string, string> = { MONGO_DATABASE: config.Mongo.Database };
  if (config.Postgres.Url) env.POSTGRES_URL = config.Postgres.Url;
  const admin = adminUrlOf(config);
  if (admin) env.POSTGRES_ADMIN_URL = admin;
  if (config.Mongo.Url) env.MONGO_URL = config.Mongo.Url;
  return env;
}
