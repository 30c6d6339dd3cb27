import { adminUrlOf, tenantPinsOf, type PersistenceConfig } from '../config/persistence-config.js';
import type { TenantRegistry } from '../codec/tenant-registry.js';
import { attachTenantRegistry } from '../mongo/tenant-keys.js';
import { adoptRecordedTenants, readRecordedTenants } from '../postgres/tenant-registry-store.js';
import { migrationSetsFor } from '../container/migration-sets.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConfigError } from '../interfaces/errors.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { MODULES } from '../modules/registry.js';
import { connectMongo, type MongoDataSource } from '../mongo/mongo-data-source.js';
import type { MongoCollectionLike } from '../mongo/mongo-types.js';
import { PostgresDataSource } from '../postgres/data-source.js';
import { runMigrations } from '../postgres/migrations/index.js';
import { ConversionFailedError, ConversionOptionsError } from './errors.js';
import {
  insertFinishedEmptyPass,
  insertJobIfMissing,
  insertPass,
  latestPass,
  passTotals,
  processedOf,
  readJob,
  readPass,
  type JobRow,
  type PassRow,
} from './job-store.js';
import { progressReporter, type ProgressMode } from './progress.js';
import { planRanges } from './range-planner.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import type { CollectionSummary, ConversionReport } from './summary.js';
import { effectiveTier, TIER_OPTIONS, type EffectiveTier, type TierOption } from './tiers.js';
import { runWorkerProcesses } from './worker-processes.js';
import { workPass } from './worker.js';

/** Options of {@link runConversion}; the CLI's `convert` maps its flags onto these. */
export interface ConversionOptions {
  readonly config: PersistenceConfig;
  /** A registered module's name, or a module definition (tests declare their own entities). */
  readonly module: string | ModuleDefinition;
  /** One legacy collection of the module; all of them (declaration order) when absent. */
  readonly collection?: string | null;
  readonly tier?: TierOption;
  /** Documents per batch (one transaction each); default `Conversion.BatchSize`. */
  readonly batchSize?: number;
  /** Documents per planned key range; default `Conversion.RangeSize`. */
  readonly rangeSize?: number;
  /** Worker processes; 1 (default) works in this process. */
  readonly workers?: number;
  /** Start a new pass over a finished job, adding only what is missing. */
  readonly rerun?: boolean;
  /** A claim not renewed for this long is taken over by another worker (default 60). */
  readonly leaseSeconds?: number;
  /** Pause between batches, to spare the legacy database (default 0). */
  readonly throttleMs?: number;
  /** The tier-B "now" of a NEW job (default: the current time); an existing job keeps its own. */
  readonly referenceTime?: Date;
  readonly progress?: ProgressMode;
  /** Diagnostics and progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** The `--config` file, handed down to worker processes. */
  readonly configFile?: string | null;
  /** Worker-process mode: join the running pass, never create or plan one, report nothing. */
  readonly worker?: boolean;
  readonly retry?: RetryPolicy;
}

const DEFAULT_LEASE_SECONDS = 60;

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ConversionOptionsError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** The module and entities a request names, or a ConversionOptionsError listing what is allowed. */
export function resolveTargets(module: string | ModuleDefinition, collection: string | null | undefined): { module: ModuleDefinition; entities: EntitySpec[] } {
  let def: ModuleDefinition | undefined;
  if (typeof module === 'string') {
    def = MODULES.find((m) => m.name === module);
    if (!def) throw new ConversionOptionsError(`unknown module ${JSON.stringify(module)}; allowed: ${MODULES.map((m) => m.name).join(', ')}`);
  } else {
    def = module;
  }
  if (collection === null || collection === undefined) return { module: def, entities: [...def.entities] };
  const spec = def.entities.find((e) => e.collection === collection);
  if (!spec) {
    throw new ConversionOptionsError(
      `unknown collection ${JSON.stringify(collection)} for module ${def.name}; allowed: ${def.entities.map((e) => e.collection).join(', ')}`,
    );
  }
  return { module: def, entities: [spec] };
}

interface RunEnv {
  readonly options: ConversionOptions;
  readonly module: ModuleDefinition;
  readonly ds: PostgresDataSource;
  readonly mongo: MongoDataSource;
  readonly batchSize: number;
  readonly rangeSize: number;
  readonly workers: number;
  readonly leaseSeconds: number;
  readonly throttleMs: number;
  readonly perTenant: boolean;
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
  readonly warnInexact: (log: (line: string) => void) => void;
  readonly tenants: TenantRegistry;
}

/**
 * Converts a module's legacy collections into PostgreSQL (SPEC 8): applies the module's startup
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

  const ds = new PostgresDataSource({
    url: adminUrl,
    pool: { min: 0, max: 4, connectionTimeoutMs: config.Postgres.Pool.ConnectionTimeoutMs, idleTimeoutMs: 10_000, maxLifetimeMs: config.Postgres.Pool.MaxLifetimeMs },
    statementTimeoutMs: config.Postgres.StatementTimeoutMs,
    applicationName: 'stellaops-convert',
  });
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

type Prepared =
  | { readonly kind: 'run'; readonly job: JobRow; readonly pass: PassRow }
  | { readonly kind: 'already-finished' | 'schema-only'; readonly job: JobRow; readonly pass: PassRow | null }
  | { readonly kind: 'nothing-to-join' };

/**
 * Creates the job if needed and decides the pass to work on, planning it when it is new. Runs under
 * the job row's lock, so concurrent starters (workers, hosts) plan a pass exactly once and then join it.
 */
async function prepareJob(env: RunEnv, spec: EntitySpec, tier: EffectiveTier, source: MongoCollectionLike, jobId: string): Promise<Prepared> {
  const { options } = env;
  return env.ds.transaction(async (tx) => {
    // Waiting for another starter's planning must not hit the statement timeout.
    await tx.query('set local statement_timeout = 0');
    if (!options.worker) {
      const referenceTime = new Date(Math.trunc((options.referenceTime ?? new Date()).getTime()));
      await insertJobIfMissing(tx, { jobId, module: spec.module, collection: spec.collection, tier: tier.tier, referenceTime });
    }
    const job = await readJob(tx, jobId, true);
    if (!job) return { kind: 'nothing-to-join' };
    if (job.tier !== tier.tier) {
      throw new ConversionOptionsError(
        `job ${jobId} was created with tier ${job.tier}; it cannot continue as tier ${tier.tier} (use --tier ${job.tier}, or auto if that is the declared tier)`,
      );
    }
    const latest = await latestPass(tx, jobId);
    if (options.worker) return latest?.status === 'running' ? { kind: 'run', job, pass: latest } : { kind: 'nothing-to-join' };
    if (latest?.status === 'running') return { kind: 'run', job, pass: latest };
    if (latest && (!options.rerun || job.tier === 'C')) return { kind: job.tier === 'C' ? 'schema-only' : 'already-finished', job, pass: latest };
    const number = (latest?.pass ?? 0) + 1;
    if (tier.tier === 'C') {
      await insertFinishedEmptyPass(tx, jobId, number, await source.countDocuments({}));
      return { kind: 'schema-only', job: (await readJob(tx, jobId))!, pass: await readPass(tx, jobId, number) };
    }
    const plan = await planRanges(source, env.rangeSize);
    await insertPass(tx, jobId, number, plan.ranges, plan.total);
    env.log(`${jobId}: pass ${number} planned: ${plan.total} documents in ${plan.ranges.length} range(s)`);
    return { kind: 'run', job: (await readJob(tx, jobId))!, pass: await readPass(tx, jobId, number) };
  });
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
  try {
    const prepared = await withRetry(`${jobId} prepare`, () => prepareJob(env, spec, tier, source, jobId), env.retry, env.log);
    if (prepared.kind === 'nothing-to-join') {
      return { ...base, outcome: 'joined', pass: null, referenceTime: null, converted: 0, inserted: 0, alreadyPresent: 0, skipped: 0, quarantined: 0, planned: 0, sourceCount: null, processed: 0, durationMs: Date.now() - began, rowsPerSecond: 0 };
    }
    if (prepared.kind !== 'run') return finishedSummary(base, prepared.kind, prepared.job, prepared.pass, began);
    const { job, pass } = prepared;
    passNumber = pass.pass;
    referenceTime = job.referenceTime;
    const before = processedOf(await passTotals(env.ds, jobId, pass.pass));
    const reporter = progressReporter(env.options.worker ? 'none' : (env.options.progress ?? 'auto'), jobId, Number(pass.planned), Number(before), env.log);
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
      if (env.workers > 1) {
        const failures = await runWorkerProcesses(
          env.workers,
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
          ctx.log,
        );
        if (failures.length) throw new ConversionFailedError(failures.join('; '));
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
    const durationMs = Date.now() - began;
    return {
      ...base,
      outcome: env.options.worker ? 'joined' : 'completed',
      pass: pass.pass,
      referenceTime: job.referenceTime.toISOString(),
      converted: Number(totals.converted + totals.present),
      inserted: Number(totals.converted),
      alreadyPresent: Number(totals.present),
      skipped: Number(totals.skipped),
      quarantined: Number(totals.quarantined),
      planned: Number(finalPass.planned),
      sourceCount: finalPass.sourceCount === null ? null : Number(finalPass.sourceCount),
      processed: processedNow,
      durationMs,
      rowsPerSecond: durationMs > 0 ? Math.round((processedNow * 1000) / durationMs) : 0,
    };
  } catch (err) {
    if (err instanceof ConversionOptionsError) throw err;
    const durationMs = Date.now() - began;
    // What the pass holds so far (best effort: the database may be what failed).
    const totals = passNumber === null ? null : await passTotals(env.ds, jobId, passNumber).catch(() => null);
    return {
      ...base,
      outcome: 'failed',
      pass: passNumber,
      referenceTime: referenceTime?.toISOString() ?? null,
      converted: totals ? Number(totals.converted + totals.present) : 0,
      inserted: totals ? Number(totals.converted) : 0,
      alreadyPresent: totals ? Number(totals.present) : 0,
      skipped: totals ? Number(totals.skipped) : 0,
      quarantined: totals ? Number(totals.quarantined) : 0,
      planned: 0,
      sourceCount: null,
      processed: 0,
      durationMs,
      rowsPerSecond: 0,
      error: (err as Error).message,
    };
  }
}

function finishedSummary(
  base: Pick<CollectionSummary, 'jobId' | 'module' | 'collection' | 'entity' | 'tier' | 'tierDescription'>,
  kind: 'already-finished' | 'schema-only',
  job: JobRow,
  pass: PassRow | null,
  began: number,
): CollectionSummary {
  return {
    ...base,
    outcome: kind,
    pass: pass?.pass ?? null,
    referenceTime: job.referenceTime.toISOString(),
    converted: Number(job.converted),
    inserted: 0,
    alreadyPresent: 0,
    skipped: Number(job.skipped),
    quarantined: Number(job.quarantined),
    planned: pass ? Number(pass.planned) : 0,
    sourceCount: pass?.sourceCount === null || !pass ? null : Number(pass.sourceCount),
    processed: 0,
    durationMs: Date.now() - began,
    rowsPerSecond: 0,
  };
}

/** Connection settings for worker processes, as the environment variables of SPEC 3. */
function childEnv(config: PersistenceConfig): Record<string, string> {
  const env: Record<string, string> = { MONGO_DATABASE: config.Mongo.Database };
  if (config.Postgres.Url) env.POSTGRES_URL = config.Postgres.Url;
  const admin = adminUrlOf(config);
  if (admin) env.POSTGRES_ADMIN_URL = admin;
  if (config.Mongo.Url) env.MONGO_URL = config.Mongo.Url;
  return env;
}
