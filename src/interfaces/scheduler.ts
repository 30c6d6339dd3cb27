import type { Entity } from './entity-spec.js';
import { PersistenceError } from './errors.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository, Page } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Scheduler (schema `scheduler`): schedules and their runs, graph and policy jobs, impact snapshots,
 * distributed locks, the per-run execution log and the SKIP LOCKED job queue.
 * Each entity repository is the generic contract; the queue is its own interface ({@link JobQueue}).
 *
 * @example
 * const schedules = container.get<ScheduleRepository>(SchedulerTokens.schedule);
 * const nightly = await schedules.findOne(ctx, { name: 'nightly-rescan' });
 * const runs = container.get<RunRepository>(SchedulerTokens.run);
 * const page = await runs.list(ctx, { where: { scheduleId: nightly!.id }, range: { field: 'createdAt', gte: from, lt: to } });
 */

/** A recurring rescan (cron) of a selection of images. */
export interface Schedule extends Entity {
  name: string;
  description: string | null;
  cronExpression: string;
  timezone: string;
  enabled: boolean;
  mode: 'analysis-only' | 'content-refresh';
  /** What to scan: `{ scope: 'all-images' | 'by-namespace' | 'by-repository' | 'by-digest', namespaces?, repositories?, digests?, labels? }`. */
  selection: Record<string, unknown>;
  /** Skip conditions, e.g. `{ lastReportOlderThanDays: 7, policyRevision: 'r42' }`. */
  onlyIf: Record<string, unknown> | null;
  /** Notification settings, e.g. `{ onNewFindings: true, minSeverity: 'high', includeKev: true }`. */
  notify: Record<string, unknown> | null;
  /** Throughput limits, e.g. `{ maxJobs: 500, ratePerSecond: 10, parallelism: 4 }`. */
  limits: Record<string, unknown> | null;
  lastRunAt: Date | null;
  nextRunAt: Date | null;
  createdBy: string;
  updatedBy: string;
}

export const RUN_STATES = ['planning', 'queued', 'running', 'completed', 'error', 'cancelled'] as const;
export const RUN_TRIGGERS = ['cron', 'conselier', 'excititor', 'manual'] as const;

/** One execution of a schedule (or an ad-hoc run). Partitioned monthly on `createdAt`. */
export interface Run extends Entity {
  scheduleId: string | null;
  trigger: (typeof RUN_TRIGGERS)[number];
  state: (typeof RUN_STATES)[number];
  /** Why it ran: `{ manualReason?, conselierExportId?, excititorExportId?, cursor?, impactWindowFrom?, impactWindowTo? }`. */
  reason: Record<string, unknown> | null;
  /** `{ candidates, deduped, queued, completed, deltas, newCriticals, newHigh, newMedium, newLow }`. */
  stats: Record<string, unknown>;
  deltaCount: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}

export const JOB_STATUSES = ['pending', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
/** Statuses of a graph or policy job that is still in flight. */
export const ACTIVE_JOB_STATUSES: readonly string[] = ['pending', 'queued', 'running'];

/** A graph build or overlay job for an SBOM version. */
export interface GraphJob extends Entity {
  type: 'build' | 'overlay';
  sbomId: string;
  artifactDigest: string;
  graphSnapshotId: string | null;
  status: (typeof JOB_STATUSES)[number];
  trigger: 'sbom-version' | 'backfill' | 'policy' | 'manual';
  attempts: number;
  correlationId: string | null;
  error: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  metadata: Record<string, unknown>;
}

/** A policy evaluation job (incremental or full re-evaluation of a policy version). */
export interface PolicyJob extends Entity {
  policyId: string;
  policyVersion: number | null;
  mode: 'incremental' | 'full';
  priority: 'normal' | 'high' | 'emergency';
  status: (typeof JOB_STATUSES)[number];
  policyRunId: string | null;
  requestedBy: string | null;
  attempts: number;
  availableAt: Date;
  submittedAt: Date;
  completedAt: Date | null;
  lastError: string | null;
  /** `{ sbomSet?, advisoryCursor?, vexCursor?, env? }`. */
  inputs: Record<string, unknown>;
}

/** Which images a change (new advisory, VEX, policy) impacts, computed for a run. */
export interface ImpactSnapshot extends Entity {
  snapshotId: string;
  runId: string | null;
  selector: Record<string, unknown>;
  impactedImages: number;
  /** `[{ imageDigest, namespaces, repositories, usedByEntrypoint }]` */
  impacts: unknown[];
  generatedAt: Date;
}

/** A distributed lock (tier C: never converted, the holders are gone after the switch). */
export interface SchedulerLock extends Entity {
  resource: string;
  holder: string;
  acquiredAt: Date;
  expiresAt: Date;
}

/** One line of a run's execution log. Partitioned monthly on `createdAt`. */
export interface ExecutionLogEntry extends Entity {
  runId: string;
  jobId: string | null;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  data: Record<string, unknown> | null;
}

export const QUEUED_JOB_STATES = ['ready', 'running', 'done', 'dead'] as const;
export type QueuedJobState = (typeof QUEUED_JOB_STATES)[number];

/**
 * A row of the job queue (docs/postgres-patterns.md §3.3). `lockedAt` is null exactly when the job is `ready` (waiting for
 * `runAfter`); `running` jobs hold a lease until `leaseUntil`; `done` and `dead` jobs are kept.
 */
export interface QueuedJob extends Entity {
  kind: string;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  state: QueuedJobState;
  runAfter: Date;
  attempts: number;
  maxAttempts: number;
  lockedAt: Date | null;
  lockedBy: string | null;
  leaseId: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  finishedAt: Date | null;
}

export interface EnqueueRequest {
  readonly kind: string;
  readonly payload: Record<string, unknown>;
  /** Enqueuing the same (kind, key) again returns the existing job: a job is never doubled. */
  readonly idempotencyKey?: string | null;
  /** Not claimable before this time (default: now). */
  readonly runAfter?: Date;
  /** Claims before the job is dead (default from the queue options). */
  readonly maxAttempts?: number;
}

export interface EnqueueResult {
  readonly job: QueuedJob;
  /** False when the idempotency key already named a job (which is returned). */
  readonly created: boolean;
}

/**
 * What a worker holds after a claim and presents on every later call: the claimed job itself will do
 * (`{ id, leaseId }`).
 */
export interface JobLease {
  readonly id: string;
  readonly leaseId: string | null;
}

export interface ClaimOptions {
  /** Jobs to claim at most (default 1). */
  readonly limit?: number;
  /** Lease length (default from the queue options); after it the job is visible to others again. */
  readonly leaseMs?: number;
}

export interface JobQueueOptions {
  /** First retry delay; doubles with every attempt (default 1 s). */
  readonly baseDelayMs: number;
  /** Retry delay cap (default 1 h). */
  readonly maxDelayMs: number;
  readonly defaultLeaseMs: number;
  readonly defaultMaxAttempts: number;
}

export const DEFAULT_JOB_QUEUE_OPTIONS: JobQueueOptions = Object.freeze({
  baseDelayMs: 1000,
  maxDelayMs: 3_600_000,
  defaultLeaseMs: 30_000,
  defaultMaxAttempts: 5,
});

/** Delay before retry number `attempts` (the attempt that just failed): base * 2^(attempts-1), capped. */
export function retryDelay(options: JobQueueOptions, attempts: number): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, Math.min(attempts - 1, 40)));
}

/** The lease presented to complete / fail / extend is not held any more (expired and reclaimed, or finished). */
export class LeaseLostError extends PersistenceError {
  constructor(readonly jobId: string, readonly leaseId: string | null) {
    super(`Scheduler.job ${jobId}: lease ${leaseId ?? '(none)'} is no longer held (it expired and the job was reclaimed, or the job finished)`);
  }
}

/**
 * The SKIP LOCKED job queue (docs/postgres-patterns.md §3.3), per tenant. Delivery is at-least-once: a claimed job whose
 * worker dies becomes claimable again when its lease expires; the attempt counts, so a job that keeps
 * crashing its workers ends `dead` instead of looping. Dead jobs are kept and listable, never lost.
 *
 * @example
 * const queue = container.get<JobQueue>(SchedulerTokens.job_queue);
 * await queue.enqueue(ctx, { kind: 'rescan', payload: { digest }, idempotencyKey: `rescan:${digest}` });
 * for (const job of await queue.claim(ctx, 'rescan', 'worker-1', { limit: 10 })) {
 *   try { await work(job); await queue.complete(ctx, job); } // the claimed job is its own lease
 *   catch (e) { await queue.fail(ctx, job, String(e)); } // retried with backoff, dead after maxAttempts
 * }
 */
export interface JobQueue {
  enqueue(ctx: TenantContext, request: EnqueueRequest): Promise<EnqueueResult>;
  /** Claims up to `limit` ready jobs of `kind` (oldest `runAfter` first), after releasing expired leases of that kind. */
  claim(ctx: TenantContext, kind: string, workerId: string, options?: ClaimOptions): Promise<QueuedJob[]>;
  /** Marks the job done. Throws LeaseLostError if the lease is not held. */
  complete(ctx: TenantContext, lease: JobLease): Promise<QueuedJob>;
  /**
   * Records a failure: the job is ready again after an exponential backoff, or dead once it used
   * `maxAttempts` claims (or at once with `retry: false`). Throws LeaseLostError if the lease is not held.
   */
  fail(ctx: TenantContext, lease: JobLease, error: string, options?: { retry?: boolean }): Promise<QueuedJob>;
  /** Extends a held lease to now + leaseMs (long jobs heartbeat with it). */
  extendLease(ctx: TenantContext, lease: JobLease, leaseMs: number): Promise<QueuedJob>;
  get(ctx: TenantContext, id: string): Promise<QueuedJob | null>;
  /** Dead jobs, newest failure first (finishedAt desc, id), keyset-paged. */
  listDead(ctx: TenantContext, options?: { kind?: string; after?: string | null; limit?: number }): Promise<Page<QueuedJob>>;
  /** Jobs per state (every state present, 0 when none). */
  counts(ctx: TenantContext, kind?: string): Promise<Record<QueuedJobState, number>>;
}

export type ScheduleRepository = EntityRepository<Schedule>;
export type RunRepository = EntityRepository<Run>;
export type GraphJobRepository = EntityRepository<GraphJob>;
export type PolicyJobRepository = EntityRepository<PolicyJob>;
export type ImpactSnapshotRepository = EntityRepository<ImpactSnapshot>;
export type SchedulerLockRepository = EntityRepository<SchedulerLock>;
export type ExecutionLogRepository = EntityRepository<ExecutionLogEntry>;
/** The queue's rows through the generic contract (listing, replication, conversion); workers use {@link JobQueue}. */
export type QueuedJobRepository = EntityRepository<QueuedJob>;
export type SchedulerAuditLogRepository = EntityRepository<AuditRecord & Entity>;

export const SchedulerTokens = Object.freeze({
  schedule: repositoryToken('Scheduler', 'schedule'),
  run: repositoryToken('Scheduler', 'run'),
  graph_job: repositoryToken('Scheduler', 'graph_job'),
  policy_job: repositoryToken('Scheduler', 'policy_job'),
  impact_snapshot: repositoryToken('Scheduler', 'impact_snapshot'),
  lock: repositoryToken('Scheduler', 'lock'),
  execution_log: repositoryToken('Scheduler', 'execution_log'),
  job: repositoryToken('Scheduler', 'job'),
  audit_log: repositoryToken('Scheduler', 'audit_log'),
});

/** The queue is a custom binding (not one of the entity tokens above). */
export const JOB_QUEUE_TOKEN = repositoryToken('Scheduler', 'job_queue');
