import { canonicalJson, sha256Hex } from '../codec/canonical.js';
import type { PersistenceConfig } from '../config/persistence-config.js';
import { adminUrlOf, tenantPinsOf } from '../config/persistence-config.js';
import { attachTenantRegistry } from '../mongo/tenant-keys.js';
import { pgSettings } from '../postgres/pool-settings.js';
import { systemClock, type Clock } from '../interfaces/clock.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConfigError } from '../interfaces/errors.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import type { ModuleName } from '../interfaces/modules.js';
import { connectMongo } from '../mongo/mongo-data-source.js';
import { moduleByName, unknownModuleMessage } from '../modules/registry.js';
import { maskUrl, PostgresDataSource } from '../postgres/data-source.js';
import { ordinalForm, processFingerprinter, Redactor, sensitiveFields, valuesDigest, type Fingerprinter } from '../codec/sensitive.js';
import { cliEntryPoint, runCliProcesses } from '../conversion/worker-processes.js';
import { conversionRecords } from './conversion-records.js';
import { dataParity, mergeRanges, type DataParityInput, type LookupSample, type RangePartial } from './data-parity.js';
import { legacyView } from './legacy-view.js';
import { outputParity } from './output-parity.js';
import { assertTable, countRows } from './postgres-rows.js';
import { ReadOnlyDataSource } from './read-only-data-source.js';
import { dropRun, planEntities, planRun, readPlan, runResults, workRun, type RunPlan } from './shared-verify.js';
import { reportDigest } from './report-digest.js';
import { SETTLE_DEFAULTS, type SettleOptions } from './settle.js';
import { type EntityDataReport, type ReferenceTimeSource, type VerifyReport } from './report-types.js';
import { writeReports, type ReportFormat, REPORT_FORMATS } from './report-writer.js';

/** At most this many processes share one verification. */
export const MAX_WORKERS = 64;

/** Defaults of {@link VerifyOptions}. */
export const VERIFY_DEFAULTS = Object.freeze({
  outDir: 'reports',
  formats: REPORT_FORMATS,
  sampleSize: 20,
  maxTenants: 20,
  maxListItems: 500,
  pageSize: 7,
  lookupSamples: 5,
});

export interface VerifyOptions {
  /** Mongo.Url / Mongo.Database and the admin URL (Postgres.AdminUrl, else Postgres.Url) are used. */
  readonly config: PersistenceConfig;
  /** A registered module name, or a module definition (tests, tools). */
  readonly module: ModuleName | ModuleDefinition;
  /** Entity names or legacy collection names; all the module's entities when absent or empty. */
  readonly collections?: readonly string[] | null;
  /** Folder of the report files (default `reports`); null writes nothing. */
  readonly outDir?: string | null;
  readonly formats?: readonly ReportFormat[];
  /** Samples per kind (missing, extra, differing...) per entity. Default 20. */
  readonly sampleSize?: number;
  /** Tenants probed by output parity (the first, sorted). Default 20. */
  readonly maxTenants?: number;
  /** Items compared per list probe. Default 500. */
  readonly maxListItems?: number;
  /** Page size of list probes. Default 7. */
  readonly pageSize?: number;
  /** Legacy entities per tenant and entity used by lookup probes. Default 5. */
  readonly lookupSamples?: number;
  /** Evaluate tier-B windows at this time instead of the conversion job's reference time. */
  readonly referenceTime?: Date | null;
  /**
   * Processes sharing data parity (default 1): this one and `workers - 1` worker processes of the CLI
   * (`verify --join RUN`), claiming id ranges through PostgreSQL. Same report, same digest.
   */
  readonly workers?: number;
  readonly clock?: Clock;
  /** Makes the `sensitive:<fingerprint>` shown for sensitive values (default: this process's, random key). */
  readonly fingerprinter?: Fingerprinter;
  /** Progress lines (the CLI sends them to stderr). */
  readonly log?: (line: string) => void;
  /**
   * How differences found while writes continue are re-checked (default `SETTLE_DEFAULTS`: 4 rounds,
   * pauses of 50, 100, 150, 200 ms); `rounds: 0` reports every difference seen as a mismatch.
   */
  readonly settle?: Partial<SettleOptions>;
}

export interface VerifyResult {
  readonly report: VerifyReport;
  /** Files written, in the order of `formats`. */
  readonly paths: readonly string[];
  /** 0 with zero mismatches, 1 otherwise (SPEC 10). */
  readonly exitCode: 0 | 1;
}

/** A module or collection that does not exist; the CLI answers it with exit code 2. */
export class VerifySelectionError extends Error {}

/**
 * Resolves `module` and `collections` to the definition and the entities to verify.
 *
 * @example
 * resolveSelection('authority', ['authority_users', 'role']).entities.map((s) => s.name); // ['user', 'role']
 */
export function resolveSelection(module: ModuleName | ModuleDefinition | string, collections?: readonly string[] | null): { module: ModuleDefinition; entities: EntitySpec[] } {
  const def = typeof module === 'string' ? moduleByName(module) : module;
  if (!def) throw new VerifySelectionError(unknownModuleMessage(module as string));
  const wanted = (collections ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
  if (wanted.length === 0) return { module: def, entities: [...def.entities] };
  const entities = wanted.map((name) => {
    const spec = def.entities.find((s) => s.collection === name || s.name === name);
    if (!spec) {
      const allowed = def.entities.map((s) => `${s.collection} (${s.name})`).join(', ');
      throw new VerifySelectionError(`${def.name} has no collection ${JSON.stringify(name)}; allowed: ${allowed}`);
    }
    return spec;
  });
  // Declaration order, once each: reports do not depend on how the option was spelled.
  return { module: def, entities: def.entities.filter((s) => entities.includes(s)) };
}

/**
 * Verifies one module (SPEC 9): data parity of every selected legacy collection against its table,
 * then output parity of the repositories, then the JSON / HTML / JUnit reports. Reads only: the
 * PostgreSQL side runs in read-only transactions, the MongoDB side through a read-only view.
 *
 * @example
 * const { report, paths, exitCode } = await runVerify({ config: loadConfig(), module: 'Authority' });
 * console.log(report.summary.mismatches, paths);
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyResult> {
  const { module, entities } = resolveSelection(options.module, options.collections);
  const o = {
    sampleSize: options.sampleSize ?? VERIFY_DEFAULTS.sampleSize,
    maxTenants: options.maxTenants ?? VERIFY_DEFAULTS.maxTenants,
    maxListItems: options.maxListItems ?? VERIFY_DEFAULTS.maxListItems,
    pageSize: options.pageSize ?? VERIFY_DEFAULTS.pageSize,
    lookupSamples: options.lookupSamples ?? VERIFY_DEFAULTS.lookupSamples,
  };
  for (const [name, value] of Object.entries(o)) {
    if (!Number.isInteger(value) || value < (name === 'sampleSize' || name === 'lookupSamples' ? 0 : 1)) throw new VerifySelectionError(`${name} must be a positive integer, got ${value}`);
  }
  if (o.pageSize > 1000) throw new VerifySelectionError(`pageSize must be at most 1000, got ${o.pageSize}`);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new VerifySelectionError(`workers must be an integer from 1 to ${MAX_WORKERS}, got ${workers}`);
  const config = options.config;
  const mongoUrl = config.Mongo.Url;
  const adminUrl = adminUrlOf(config);
  if (!mongoUrl) throw new ConfigError('Mongo.Url (environment variable MONGO_URL) is missing; verify reads the legacy MongoDB');
  if (!adminUrl) throw new ConfigError('Postgres.AdminUrl / Postgres.Url (POSTGRES_ADMIN_URL / POSTGRES_URL) is missing; verify reads PostgreSQL');
  if (workers > 1 && mongoUrl === 'memory:') {
    throw new ConfigError('verify --workers needs a legacy store that other processes can read: a MongoDB URL or memory:/folder, not the ephemeral memory:');
  }
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => {});
  const settle: SettleOptions = { ...SETTLE_DEFAULTS, ...(options.settle ?? {}) };
  const started = clock.now();
  const startMs = performance.now();

  const postgres = new ReadOnlyDataSource(pgSettings(config, adminUrl));
  let mongo;
  try {
    mongo = await connectMongo(mongoUrl, config.Mongo.Database);
    // Legacy documents decode with the config's tenant pins, as conversion decoded them.
    attachTenantRegistry(mongo.db, tenantPinsOf(config));
  } catch (err) {
    await postgres.close();
    throw err;
  }
  try {
    const records = await conversionRecords(postgres);
    const fingerprinter = options.fingerprinter ?? processFingerprinter;
    const redactor = Redactor.of(module.entities, fingerprinter);
    const data: EntityDataReport[] = [];
    const dataMs: Record<string, number> = {};
    const tenants = new Set<string>();
    const samples = new Map<string, Map<string, readonly LookupSample[]>>();
    const referenceTimes = new Map<string, Date>();
    const excluded = new Map<string, ReadonlySet<string>>();
    const jobTimes: Date[] = [];

    // Each compared entity's input first (reference time, quarantine), then its data parity: in this
    // process alone, or shared by `workers` processes through id ranges claimed in PostgreSQL.
    const inputs = new Map<string, DataParityInput>();
    const tierCReports = new Map<string, EntityDataReport>();
    for (const spec of entities) {
      const t0 = performance.now();
      await assertTable(postgres, spec);
      const recorded = await records.referenceTime(module.name, spec.collection);
      // Only a tier-B job's time means anything (its window); when a tier-A job ran does not.
      if (recorded && spec.tier.tier === 'B') jobTimes.push(recorded);
      const [referenceTime, source]: [Date, ReferenceTimeSource] = options.referenceTime
        ? [options.referenceTime, 'option']
        : recorded
          ? [recorded, 'conversion_job']
          : [started, 'run'];
      if (spec.tier.tier === 'B') referenceTimes.set(spec.name, referenceTime);
      if (spec.tier.tier === 'C') {
        log(`data parity: ${module.name}.${spec.name} is tier C: counting only`);
        tierCReports.set(spec.name, tierC(spec, await mongo.db.collection(spec.collection).countDocuments({}), await countRows(postgres, spec)));
      } else {
        const quarantine = await records.quarantine(module.name, spec.collection);
        excluded.set(spec.collection, new Set(quarantine.keys()));
        inputs.set(spec.name, { spec, mongo: mongo.db, postgres, quarantine, referenceTime, referenceTimeSource: source, sampleSize: o.sampleSize, lookupSamples: o.lookupSamples, redactor, settle });
      }
      dataMs[spec.name] = Math.round(performance.now() - t0);
    }
    const tShared = performance.now();
    const shared = workers > 1 && inputs.size > 0 ? await sharedDataParity(config, adminUrl, module, [...inputs.values()], workers, log) : null;
    // The shared phase verifies every collection at once: its time goes to the first compared entity.
    if (shared) dataMs[inputs.values().next().value!.spec.name]! += Math.round(performance.now() - tShared);
    for (const spec of entities) {
      const t0 = performance.now();
      const input = inputs.get(spec.name);
      if (!input) {
        data.push(tierCReports.get(spec.name)!);
        continue;
      }
      log(`data parity: ${module.name}.${spec.name} (${spec.collection} -> ${spec.schema}.${spec.table})`);
      const result = shared ? await mergeRanges(input, shared.get(spec.collection) ?? []) : await dataParity(input);
      data.push(result.report);
      for (const t of result.tenants) tenants.add(t);
      samples.set(spec.name, result.samples as Map<string, readonly LookupSample[]>);
      log(`  ${result.report.counts.matched} matched, ${result.report.mismatches} mismatch(es)`);
      dataMs[spec.name] = (dataMs[spec.name] ?? 0) + Math.round(performance.now() - t0);
    }

    const t1 = performance.now();
    const sortedTenants = [...tenants].sort();
    const probed = sortedTenants.slice(0, o.maxTenants);
    const now = options.referenceTime ?? (jobTimes.length ? new Date(Math.max(...jobTimes.map((d) => d.getTime()))) : (latestSampled(samples) ?? started));
    const output = await outputParity({
      module,
      entities: entities.filter((s) => s.tier.tier !== 'C'),
      mongo: legacyView(mongo.db, excluded),
      postgres,
      tenants: probed,
      samples,
      referenceTimes,
      now,
      pageSize: o.pageSize,
      maxListItems: o.maxListItems,
      log,
      redactor,
      settle,
    });
    const notes = [...output.notes];
    if (probed.length < sortedTenants.length) notes.push(`output parity probed the first ${probed.length} of ${sortedTenants.length} tenants (sorted); raise maxTenants (--max-tenants) to probe more`);
    const outputMs = Math.round(performance.now() - t1);

    const dataMismatches = data.reduce((n, d) => n + d.mismatches, 0);
    const outputMismatches = output.probes.filter((p) => p.status === 'mismatch' || p.status === 'error').length;
    const inFlightRows = data.reduce((n, d) => n + (d.inFlight?.count ?? 0), 0);
    const inFlightProbes = output.probes.filter((p) => p.status === 'inFlight').length;
    const mismatches = dataMismatches + outputMismatches;
    const targets = {
      mongo: { kind: mongo.kind, url: maskUrl(mongoUrl), database: config.Mongo.Database },
      postgres: { url: maskUrl(adminUrl) },
    };
    const reportOptions = { ...o, referenceTime: options.referenceTime ? options.referenceTime.toISOString() : null };
    const finished = clock.now();
    const content: Omit<VerifyReport, 'digest'> & { redaction: VerifyReport['redaction'] } = {
      format: 'stellaops-parity-report',
      version: 1,
      module: module.name,
      collections: entities.map((s) => s.collection),
      config: {
        fingerprint: `sha256:${sha256Hex(canonicalJson({ module: module.name, collections: entities.map((s) => s.collection), ...targets, options: reportOptions }))}`,
        ...targets,
        options: reportOptions,
      },
      summary: {
        ok: mismatches === 0,
        mismatches,
        dataMismatches,
        outputMismatches,
        entities: data.length,
        comparedEntities: data.filter((d) => d.compared).length,
        matchedRows: data.reduce((n, d) => n + d.counts.matched, 0),
        accountedRows: data.reduce((n, d) => n + d.counts.quarantined + d.counts.outsideWindow, 0),
        probes: output.probes.length,
        matchedProbes: output.probes.filter((p) => p.status === 'match').length,
        ...(inFlightRows + inFlightProbes > 0 ? { inFlight: { rows: inFlightRows, probes: inFlightProbes } } : {}),
      },
      data,
      output: { tenantsFound: sortedTenants.length, tenants: probed, probes: output.probes, notes },
      redaction: { fields: [], fingerprints: 0, valuesDigest: '' },
      timings: {
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: Math.round(performance.now() - startMs),
        dataMs,
        outputMs,
      },
    };
    content.redaction = redactionOf(entities, content, fingerprinter);
    const report: VerifyReport = { ...content, digest: reportDigest(content) };
    const outDir = options.outDir === undefined ? VERIFY_DEFAULTS.outDir : options.outDir;
    const selected = (options.collections ?? []).some((c) => c.trim() !== '');
    const paths = outDir === null ? [] : writeReports(report, outDir, options.formats ?? VERIFY_DEFAULTS.formats, selected);
    return { report, paths, exitCode: mismatches === 0 ? 0 : 1 };
  } finally {
    await postgres.close();
    await mongo.close();
  }
}

/**
 * The anchor of time-dependent probes when no tier-B window fixes one: the latest `updatedAt` among
 * the sampled legacy entities, a property of the data, so a tier-A verification does not depend
 * on when it or its conversion ran.
 */
function latestSampled(samples: ReadonlyMap<string, ReadonlyMap<string, readonly LookupSample[]>>): Date | null {
  let latest = -Infinity;
  for (const byTenant of samples.values()) for (const list of byTenant.values()) for (const s of list) if (s.entity.updatedAt instanceof Date) latest = Math.max(latest, s.entity.updatedAt.getTime());
  return Number.isFinite(latest) ? new Date(latest) : null;
}

/** The report's redaction block: which fields are hidden, and the digest of the real values behind the fingerprints shown. */
function redactionOf(entities: readonly EntitySpec[], content: Omit<VerifyReport, 'digest'>, fingerprinter: Fingerprinter): VerifyReport['redaction'] {
  const { timings: _timings, redaction: _redaction, ...shown } = content;
  const { fingerprints } = ordinalForm(canonicalJson(shown));
  return {
    fields: entities.flatMap((spec) => sensitiveFields(spec).map((f) => `${spec.name}.${f.name}`)),
    fingerprints: fingerprints.length,
    valuesDigest: valuesDigest(fingerprints, fingerprinter),
  };
}

function tierC(spec: EntitySpec, mongoDocuments: number, postgresRows: number): EntityDataReport {
  const description = spec.tier.tier === 'C' ? spec.tier.description : '';
  const empty = Object.fromEntries(['missingInPostgres', 'missingInMongo', 'differing', 'undecodable', 'quarantined', 'outsideWindow'].map((k) => [k, []]));
  return {
    entity: spec.name,
    collection: spec.collection,
    table: `${spec.schema}.${spec.table}`,
    tier: 'C',
    tierDescription: description,
    compared: false,
    note: `tier C (${description}): fresh start, nothing is converted, so nothing is compared`,
    referenceTime: null,
    referenceTimeSource: null,
    counts: { mongoDocuments, postgresRows, matched: 0, missingInPostgres: 0, missingInMongo: 0, differing: 0, undecodable: 0, quarantined: 0, outsideWindow: 0 },
    mismatches: 0,
    samples: empty as unknown as EntityDataReport['samples'],
  };
}


/**
 * Data parity of `inputs` shared by `workers` processes: plans a run (one id range per worker and
 * collection), starts `workers - 1` worker processes of the CLI, works on the run itself until every
 * range is done (taking over the ranges of a worker that died), and returns the ranges' results.
 */
async function sharedDataParity(
  config: PersistenceConfig,
  adminUrl: string,
  module: ModuleDefinition,
  inputs: readonly DataParityInput[],
  workers: number,
  log: (line: string) => void,
): Promise<Map<string, RangePartial[]>> {
  // Claims are writes: a data source of its own, used for core.parity_* only (the data is read read-only).
  const coordinator = new PostgresDataSource(pgSettings(config, adminUrl));
  try {
    const plan: RunPlan = {
      module: module.name,
      sampleSize: inputs[0]!.sampleSize,
      lookupSamples: inputs[0]!.lookupSamples,
      collections: inputs.map((i) => ({ collection: i.spec.collection, referenceTime: i.referenceTime.toISOString(), source: i.referenceTimeSource })),
    };
    const runId = await planRun(coordinator, plan, workers);
    log(`data parity shared by ${workers} processes: run ${runId}`);
    const byCollection = new Map(inputs.map((i) => [i.spec.collection, i]));
    const env: Record<string, string> = {
      POSTGRES_ADMIN_URL: adminUrl,
      ...(config.Postgres.Url ? { POSTGRES_URL: config.Postgres.Url } : {}),
      MONGO_URL: config.Mongo.Url!,
      MONGO_DATABASE: config.Mongo.Database,
    };
    const children = runCliProcesses(workers - 1, [cliEntryPoint(), 'verify', '--module', module.name, '--join', runId], env, log);
    await workRun(coordinator, runId, async (collection) => byCollection.get(collection)!, { untilDone: true, log });
    const failures = await children;
    // Every range is done (this process took over what a failed worker left): a failure is only news.
    for (const f of failures) log(`note: ${f}`);
    const results = await runResults(coordinator, runId);
    await dropRun(coordinator, runId);
    return results;
  } finally {
    await coordinator.close();
  }
}

/**
 * `verify --join RUN`: one worker of a shared verification another process planned (on this host or
 * another): claims ranges of the run until none is left and stores their results; writes no report.
 *
 * @example
 * const ranges = await runVerifyWorker({ config: loadConfig(), runId });
 */
export async function runVerifyWorker(options: { readonly config: PersistenceConfig; readonly runId: string; readonly log?: (line: string) => void }): Promise<number> {
  const { config } = options;
  const log = options.log ?? (() => {});
  const mongoUrl = config.Mongo.Url;
  const adminUrl = adminUrlOf(config);
  if (!mongoUrl) throw new ConfigError('Mongo.Url (environment variable MONGO_URL) is missing; verify reads the legacy MongoDB');
  if (!adminUrl) throw new ConfigError('Postgres.AdminUrl / Postgres.Url (POSTGRES_ADMIN_URL / POSTGRES_URL) is missing; verify reads PostgreSQL');
  const coordinator = new PostgresDataSource(pgSettings(config, adminUrl));
  const postgres = new ReadOnlyDataSource(pgSettings(config, adminUrl));
  let mongo;
  try {
    mongo = await connectMongo(mongoUrl, config.Mongo.Database);
    // Legacy documents decode with the config's tenant pins, as conversion decoded them.
    attachTenantRegistry(mongo.db, tenantPinsOf(config));
  } catch (err) {
    await Promise.all([coordinator.close(), postgres.close()]);
    throw err;
  }
  try {
    const plan = await readPlan(coordinator, options.runId);
    const { module } = resolveSelection(plan.module);
    const specs = new Map(planEntities(module, plan).map((s) => [s.collection, s]));
    const records = await conversionRecords(postgres);
    const inputs = new Map<string, DataParityInput>();
    const inputOf = async (collection: string): Promise<DataParityInput> => {
      let input = inputs.get(collection);
      if (!input) {
        const entry = plan.collections.find((c) => c.collection === collection)!;
        input = {
          spec: specs.get(collection)!,
          mongo: mongo.db,
          postgres,
          quarantine: await records.quarantine(module.name, collection),
          referenceTime: new Date(entry.referenceTime),
          referenceTimeSource: entry.source,
          sampleSize: plan.sampleSize,
          lookupSamples: plan.lookupSamples,
        };
        inputs.set(collection, input);
      }
      return input;
    };
    return await workRun(coordinator, options.runId, inputOf, { untilDone: false, log });
  } finally {
    await Promise.all([coordinator.close(), postgres.close(), mongo.close()]);
  }
}
