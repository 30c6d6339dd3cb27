import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { ExecutionLogEntry, GraphJob, ImpactSnapshot, PolicyJob, QueuedJob, Run, Schedule, SchedulerLock } from '../../interfaces/scheduler.js';
import { ACTIVE_JOB_STATUSES, JOB_STATUSES, QUEUED_JOB_STATES, RUN_STATES, RUN_TRIGGERS } from '../../interfaces/scheduler.js';
import { auditLogSpec } from '../shared/audit-log.js';

/**
 * Scheduler's entities: legacy collections (docs/design.md §2, Scheduler) -> `scheduler.*` tables.
 * Legacy documents are camelCase with a string `tenantId` and BSON Dates; field names are both the
 * domain and the legacy names unless `mongo` says otherwise.
 */
const base = { module: 'Scheduler', schema: 'scheduler' } as const;
export const DAY_MS = 86_400_000;

/** Tier B windows (docs/design.md §2) and the partition retention that keeps at least that much. */
export const RUN_WINDOW_DAYS = 180;
export const IMPACT_WINDOW_DAYS = 90;
export const EXECUTION_LOG_WINDOW_DAYS = 90;
/**
 * "Recent" for graph and policy jobs: a job is converted when it is still in flight (status pending,
 * queued or running) OR it finished (completedAt, else its last update) within the last 30 days.
 * Older finished jobs are history nobody replays; the Mongo collection keeps them until retired.
 */
export const RECENT_JOB_DAYS = 30;

/**
 * Monthly partitions dropped when wholly older than `month start of now - N months`. N calendar months
 * before a month start are always >= N*28+3 days (6 months >= 181 days, 4 months >= 120 days), so a
 * retention of 6 keeps every run of the last 180 days and 4 keeps every row of the last 90 days
 * (3 would not: three months can be 89 days).
 */
export const RUN_RETENTION_MONTHS = 6;
export const EXECUTION_LOG_RETENTION_MONTHS = 4;

const within = (days: number) => (value: unknown, now: Date) => (value as Date).getTime() >= now.getTime() - days * DAY_MS;

/** The tier B predicate of graph_job and policy_job (see RECENT_JOB_DAYS). */
export function activeOrRecentJob(job: Record<string, unknown>, now: Date): boolean {
  if (ACTIVE_JOB_STATUSES.includes(job.status as string)) return true;
  const finished = (job.completedAt as Date | null) ?? (job.updatedAt as Date);
  return within(RECENT_JOB_DAYS)(finished, now);
}

export const schedulerAuditLog = auditLogSpec('Scheduler', 'scheduler_audit', 'scheduler');

export const schedule: EntitySpec<Schedule> = {
  ...base,
  name: 'schedule',
  collection: 'schedules',
  table: 'schedule',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'cronExpression', type: 'text' },
    { name: 'timezone', type: 'text' },
    { name: 'enabled', type: 'bool' },
    { name: 'mode', type: 'text', enum: ['analysis-only', 'content-refresh'] },
    { name: 'selection', type: 'json' },
    { name: 'onlyIf', type: 'json', nullable: true },
    { name: 'notify', type: 'json', nullable: true },
    { name: 'limits', type: 'json', nullable: true },
    { name: 'lastRunAt', type: 'timestamp', nullable: true },
    { name: 'nextRunAt', type: 'timestamp', nullable: true },
    { name: 'createdBy', type: 'text' },
    { name: 'updatedBy', type: 'text' },
  ],
  uniqueKeys: [['name']],
  orders: {
    default: { fields: [{ field: 'name', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: schedulerAuditLog,
};

export const run: EntitySpec<Run> = {
  ...base,
  name: 'run',
  collection: 'runs',
  table: 'run',
  fields: [
    { name: 'scheduleId', type: 'uuid', nullable: true },
    { name: 'trigger', type: 'text', enum: RUN_TRIGGERS },
    { name: 'state', type: 'text', enum: RUN_STATES },
    { name: 'reason', type: 'json', nullable: true },
    { name: 'stats', type: 'json' },
    { name: 'deltaCount', type: 'int' },
    { name: 'startedAt', type: 'timestamp', nullable: true },
    { name: 'finishedAt', type: 'timestamp', nullable: true },
    { name: 'error', type: 'text', nullable: true },
  ],
  orders: {
    default: { fields: [{ field: 'createdAt', dir: 'desc' }] },
    byState: { fields: [{ field: 'state', dir: 'asc' }, { field: 'createdAt', dir: 'desc' }] },
  },
  partitionedBy: 'createdAt',
  tier: {
    tier: 'B',
    description: `runs of the last ${RUN_WINDOW_DAYS} days: createdAt >= now - ${RUN_WINDOW_DAYS} days`,
    keep: (r, now) => within(RUN_WINDOW_DAYS)(r.createdAt, now),
  },
};

const jobTier = {
  tier: 'B',
  description:
    `active or recent: status in (${ACTIVE_JOB_STATUSES.join(', ')}), or finished ` +
    `(completedAt, else updatedAt) >= now - ${RECENT_JOB_DAYS} days`,
  keep: activeOrRecentJob,
} as const;

export const graphJob: EntitySpec<GraphJob> = {
  ...base,
  name: 'graph_job',
  collection: 'graph_jobs',
  table: 'graph_job',
  fields: [
    { name: 'type', type: 'text', enum: ['build', 'overlay'] },
    { name: 'sbomId', type: 'text' },
    { name: 'artifactDigest', type: 'text' },
    { name: 'graphSnapshotId', type: 'text', nullable: true },
    { name: 'status', type: 'text', enum: JOB_STATUSES },
    { name: 'trigger', type: 'text', enum: ['sbom-version', 'backfill', 'policy', 'manual'] },
    { name: 'attempts', type: 'int' },
    { name: 'correlationId', type: 'text', nullable: true },
    { name: 'error', type: 'text', nullable: true },
    { name: 'startedAt', type: 'timestamp', nullable: true },
    { name: 'completedAt', type: 'timestamp', nullable: true },
    { name: 'metadata', type: 'json' },
  ],
  orders: {
    default: { fields: [{ field: 'createdAt', dir: 'desc' }] },
    byStatus: { fields: [{ field: 'status', dir: 'asc' }, { field: 'createdAt', dir: 'asc' }] },
    bySbom: { fields: [{ field: 'sbomId', dir: 'asc' }, { field: 'createdAt', dir: 'desc' }] },
  },
  tier: jobTier,
};

export const policyJob: EntitySpec<PolicyJob> = {
  ...base,
  name: 'policy_job',
  collection: 'policy_jobs',
  table: 'policy_job',
  fields: [
    { name: 'policyId', type: 'text' },
    { name: 'policyVersion', type: 'int', nullable: true },
    { name: 'mode', type: 'text', enum: ['incremental', 'full'] },
    { name: 'priority', type: 'text', enum: ['normal', 'high', 'emergency'] },
    { name: 'status', type: 'text', enum: JOB_STATUSES },
    { name: 'policyRunId', type: 'text', nullable: true },
    { name: 'requestedBy', type: 'text', nullable: true },
    { name: 'attempts', type: 'int' },
    { name: 'availableAt', type: 'timestamp' },
    { name: 'submittedAt', type: 'timestamp' },
    { name: 'completedAt', type: 'timestamp', nullable: true },
    { name: 'lastError', type: 'text', nullable: true },
    { name: 'inputs', type: 'json' },
  ],
  orders: {
    default: { fields: [{ field: 'submittedAt', dir: 'desc' }] },
    byStatus: { fields: [{ field: 'status', dir: 'asc' }, { field: 'availableAt', dir: 'asc' }] },
    byPolicy: { fields: [{ field: 'policyId', dir: 'asc' }, { field: 'submittedAt', dir: 'desc' }] },
  },
  tier: jobTier,
};

export const impactSnapshot: EntitySpec<ImpactSnapshot> = {
  ...base,
  name: 'impact_snapshot',
  collection: 'impact_snapshots',
  table: 'impact_snapshot',
  fields: [
    { name: 'snapshotId', type: 'text' },
    { name: 'runId', type: 'uuid', nullable: true },
    { name: 'selector', type: 'json' },
    { name: 'impactedImages', type: 'int' },
    { name: 'impacts', type: 'json' },
    { name: 'generatedAt', type: 'timestamp' },
  ],
  uniqueKeys: [['snapshotId']],
  orders: { default: { fields: [{ field: 'generatedAt', dir: 'desc' }] } },
  tier: {
    tier: 'B',
    description: `snapshots of the last ${IMPACT_WINDOW_DAYS} days: generatedAt >= now - ${IMPACT_WINDOW_DAYS} days`,
    keep: (s, now) => within(IMPACT_WINDOW_DAYS)(s.generatedAt, now),
  },
};

export const lock: EntitySpec<SchedulerLock> = {
  ...base,
  name: 'lock',
  collection: 'locks',
  table: 'lock',
  fields: [
    { name: 'resource', type: 'text' },
    { name: 'holder', type: 'text' },
    { name: 'acquiredAt', type: 'timestamp' },
    { name: 'expiresAt', type: 'timestamp' },
  ],
  uniqueKeys: [['resource']],
  orders: {
    default: { fields: [{ field: 'resource', dir: 'asc' }] },
    byExpiry: { fields: [{ field: 'expiresAt', dir: 'asc' }] },
  },
  tier: { tier: 'C', description: 'fresh start: locks are held by running processes and expire; nothing is converted' },
};

export const executionLog: EntitySpec<ExecutionLogEntry> = {
  ...base,
  name: 'execution_log',
  collection: 'execution_logs',
  table: 'execution_log',
  fields: [
    { name: 'runId', type: 'uuid' },
    { name: 'jobId', type: 'uuid', nullable: true },
    { name: 'level', type: 'text', enum: ['debug', 'info', 'warn', 'error'] },
    { name: 'message', type: 'text' },
    { name: 'data', type: 'json', nullable: true },
  ],
  orders: {
    default: { fields: [{ field: 'createdAt', dir: 'desc' }] },
    byRun: { fields: [{ field: 'runId', dir: 'asc' }, { field: 'createdAt', dir: 'asc' }] },
  },
  partitionedBy: 'createdAt',
  tier: {
    tier: 'B',
    description: `log lines of the last ${EXECUTION_LOG_WINDOW_DAYS} days: createdAt >= now - ${EXECUTION_LOG_WINDOW_DAYS} days`,
    keep: (l, now) => within(EXECUTION_LOG_WINDOW_DAYS)(l.createdAt, now),
  },
};

/**
 * The job queue's rows (docs/postgres-patterns.md §3.3). Workers go through the JobQueue binding (claim / complete / fail);
 * the entity gives listing, replication and the contract. The idempotency key is unique per (tenant,
 * kind) among jobs that have one: a partial unique index each queue implementation creates, which is
 * why it is not a declared unique key (a declared key is total, and MongoDB would then treat every
 * job without a key as a duplicate of the others).
 */
export const queuedJob: EntitySpec<QueuedJob> = {
  ...base,
  name: 'job',
  collection: 'job_queue',
  table: 'job_queue',
  fields: [
    { name: 'kind', type: 'text' },
    { name: 'payload', type: 'json' },
    { name: 'idempotencyKey', type: 'text', nullable: true },
    { name: 'state', type: 'text', enum: QUEUED_JOB_STATES },
    { name: 'runAfter', type: 'timestamp' },
    { name: 'attempts', type: 'int' },
    { name: 'maxAttempts', type: 'int' },
    { name: 'lockedAt', type: 'timestamp', nullable: true },
    { name: 'lockedBy', type: 'text', nullable: true },
    { name: 'leaseId', type: 'uuid', nullable: true },
    { name: 'leaseUntil', type: 'timestamp', nullable: true },
    { name: 'lastError', type: 'text', nullable: true },
    { name: 'finishedAt', type: 'timestamp', nullable: true },
  ],
  orders: {
    default: { fields: [{ field: 'runAfter', dir: 'asc' }] },
    byState: { fields: [{ field: 'state', dir: 'asc' }, { field: 'runAfter', dir: 'asc' }] },
  },
  tier: { tier: 'C', description: 'fresh start: queue contents are transient work, not converted' },
};

export const schedulerEntities: readonly EntitySpec[] = [
  schedule, run, graphJob, policyJob, impactSnapshot, lock, executionLog, queuedJob, schedulerAuditLog,
];
