import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { moduleByName, unknownModuleMessage } from '../modules/registry.js';
import type { MongoDataSource } from '../mongo/mongo-data-source.js';
import type { MongoCollectionLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { ConversionOptionsError } from './errors.js';
import { insertFinishedEmptyPass, insertJobIfMissing, insertPass, latestPass, readJob, readPass, type JobRow, type PassRow } from './job-store.js';
import type { ProgressMode } from './progress.js';
import { planRanges } from './range-planner.js';
import type { RetryPolicy } from './retry.js';
import type { EffectiveTier, TierOption } from './tiers.js';
import type { PersistenceConfig } from '../config/persistence-config.js';
import type { TenantRegistry } from '../codec/tenant-registry.js';

/**
 * Planning a conversion: what a request names (module, collections), its settled options, and each
 * collection's job and pass, planned exactly once however many workers start it.
 */

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
  /**
   * A worker process started before its parent planned the pass waits for this (true: join the pass;
   * false: nothing to join), after warming up (see startWorkerProcesses).
   */
  readonly startSignal?: () => Promise<boolean>;
  readonly retry?: RetryPolicy;
}

export const DEFAULT_LEASE_SECONDS = 60;

export function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ConversionOptionsError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** The module and entities a request names, or a ConversionOptionsError listing what is allowed. */
export function resolveTargets(module: string | ModuleDefinition, collection: string | null | undefined): { module: ModuleDefinition; entities: EntitySpec[] } {
  let def: ModuleDefinition | undefined;
  if (typeof module === 'string') {
    def = moduleByName(module);
    if (!def) throw new ConversionOptionsError(unknownModuleMessage(module));
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

/** A run's settled options and connections, shared by planning and running. */
export interface RunEnv {
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

/** What a collection's job needs next: work a pass, report it finished, or nothing (a worker with no pass to join). */
export type Prepared =
  | { readonly kind: 'run'; readonly job: JobRow; readonly pass: PassRow }
  | { readonly kind: 'already-finished' | 'schema-only'; readonly job: JobRow; readonly pass: PassRow | null }
  | { readonly kind: 'nothing-to-join' };

/**
 * Creates the job if needed and decides the pass to work on, planning it when it is new. Runs under
 * the job row's lock, so concurrent starters (workers, hosts) plan a pass exactly once and then join it.
 */
export async function prepareJob(env: RunEnv, spec: EntitySpec, tier: EffectiveTier, source: MongoCollectionLike, jobId: string): Promise<Prepared> {
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
