import type { CursorShape } from '../../../codec/cursor.js';
import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../../interfaces/clock.js';
import { ValidationError } from '../../../interfaces/errors.js';
import {
  LeaseLostError,
  retryDelay,
  type EnqueueRequest,
  type JobLease,
  type JobQueueOptions,
  type QueuedJob,
} from '../../../interfaces/scheduler.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import { pageSize, prepareInsert } from '../../../codec/entity-lifecycle.js';
import { validateEntity } from '../../../codec/validate.js';
import { queuedJob } from '../entities.js';

/**
 * The job queue's state machine, as pure functions shared by every backend, so MongoDB and
 * PostgreSQL make the same decisions (backoff, dead after maxAttempts, lease checks). The PostgreSQL
 * claim and lease reaping run the same rules as set-based SQL (job-queue-postgres.ts); the contract
 * tests hold both to these.
 *
 *   ready --claim--> running --complete--> done
 *                    running --fail (attempts < max)--> ready (runAfter = now + backoff)
 *                    running --fail (attempts = max, or retry: false)--> dead
 *                    running --lease expired, reclaimed--> ready (now) | dead (attempts = max)
 */

/** updatedAt after a change at `now`: never earlier than 1 ms after the previous one (replicas compare it). */
export function nextUpdatedAt(now: Date, previous: Date): Date {
  return new Date(Math.max(now.getTime(), previous.getTime() + 1));
}

function check(job: QueuedJob): QueuedJob {
  return validateEntity<QueuedJob & Record<string, unknown>>(queuedJob, job as QueuedJob & Record<string, unknown>);
}

export function checkKind(kind: string): void {
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > 200) {
    throw new ValidationError('Scheduler.job', 'kind', `must be a non-empty string of at most 200 characters, got ${JSON.stringify(kind)}`);
  }
}

export function checkWorker(workerId: string): void {
  if (typeof workerId !== 'string' || workerId.length === 0 || workerId.length > 200 || workerId.includes('\u0000')) {
    throw new ValidationError('Scheduler.job', 'lockedBy', `worker id must be a non-empty string of at most 200 characters, got ${JSON.stringify(workerId)}`);
  }
}

export function checkLeaseMs(leaseMs: number): void {
  if (!Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > 86_400_000) {
    throw new ValidationError('Scheduler.job', 'leaseMs', `must be an integer number of milliseconds from 1 to 86400000, got ${String(leaseMs).slice(0, 40)}`);
  }
}

export function checkLimit(limit: number): void {
  pageSize({ limit }, 'Scheduler.job');
}

/** A new ready job. Ids are UUIDv7 (time-ordered), so `runAfter, id` is FIFO among equal run times. */
export function newJob(ctx: TenantContext, request: EnqueueRequest, options: JobQueueOptions, clock: Clock): QueuedJob {
  checkKind(request.kind);
  const now = clock.now();
  const maxAttempts = request.maxAttempts ?? options.defaultMaxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
    throw new ValidationError('Scheduler.job', 'maxAttempts', `must be an integer from 1 to 1000, got ${maxAttempts}`);
  }
  const key = request.idempotencyKey ?? null;
  if (key !== null && (typeof key !== 'string' || key.length === 0)) {
    throw new ValidationError('Scheduler.job', 'idempotencyKey', 'must be a non-empty string or null');
  }
  return prepareInsert<QueuedJob>(
    queuedJob,
    ctx,
    {
      id: uuidv7({ msecs: now.getTime() }),
      kind: request.kind,
      payload: request.payload,
      idempotencyKey: key,
      state: 'ready',
      runAfter: request.runAfter ?? now,
      attempts: 0,
      maxAttempts,
      lockedAt: null,
      lockedBy: null,
      leaseId: null,
      leaseUntil: null,
      lastError: null,
      finishedAt: null,
    },
    clock,
  );
}

/** The lease is held: the job is running under exactly this lease. */
export function assertLease(job: QueuedJob | null, lease: JobLease): QueuedJob {
  if (!job || job.state !== 'running' || lease.leaseId === null || job.leaseId !== lease.leaseId) throw new LeaseLostError(lease.id, lease.leaseId);
  return job;
}

export function claimed(job: QueuedJob, workerId: string, leaseId: string, now: Date, leaseMs: number): QueuedJob {
  return check({
    ...job,
    state: 'running',
    attempts: job.attempts + 1,
    lockedAt: now,
    lockedBy: workerId,
    leaseId,
    leaseUntil: new Date(now.getTime() + leaseMs),
    updatedAt: nextUpdatedAt(now, job.updatedAt),
  });
}

/** Whether a failure (or an expired lease) ends the job. */
function exhausted(job: QueuedJob): boolean {
  return job.attempts >= job.maxAttempts;
}

function dead(job: QueuedJob, error: string, now: Date): QueuedJob {
  // lockedAt / lockedBy stay: they say who held it last, and keep it out of the readiness index.
  return check({ ...job, state: 'dead', leaseId: null, leaseUntil: null, lastError: error, finishedAt: now, updatedAt: nextUpdatedAt(now, job.updatedAt) });
}

function ready(job: QueuedJob, error: string, runAfter: Date, now: Date): QueuedJob {
  return check({
    ...job,
    state: 'ready',
    runAfter,
    lockedAt: null,
    lockedBy: null,
    leaseId: null,
    leaseUntil: null,
    lastError: error,
    updatedAt: nextUpdatedAt(now, job.updatedAt),
  });
}

export function completed(job: QueuedJob, now: Date): QueuedJob {
  return check({ ...job, state: 'done', leaseId: null, leaseUntil: null, finishedAt: now, updatedAt: nextUpdatedAt(now, job.updatedAt) });
}

export function failed(job: QueuedJob, error: string, retry: boolean, now: Date, options: JobQueueOptions): QueuedJob {
  const message = errorText(error);
  if (!retry || exhausted(job)) return dead(job, message, now);
  return ready(job, message, new Date(now.getTime() + retryDelay(options, job.attempts)), now);
}

/** A running job whose lease expired (its worker crashed or stalled): claimable again at once, or dead. */
export function reaped(job: QueuedJob, now: Date): QueuedJob {
  const message = leaseExpiredMessage(job);
  return exhausted(job) ? dead(job, message, now) : ready(job, message, now, now);
}

export function extended(job: QueuedJob, now: Date, leaseMs: number): QueuedJob {
  return check({ ...job, leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: nextUpdatedAt(now, job.updatedAt) });
}

export function leaseExpiredMessage(job: Pick<QueuedJob, 'lockedBy' | 'attempts'>): string {
  return `lease expired: worker ${job.lockedBy ?? '?'} did not finish attempt ${job.attempts}`;
}

/**
 * Errors are stored whole (no truncation). A U+0000, which PostgreSQL text cannot hold, is written as
 * the six visible characters `\u0000` instead of failing the worker's fail() call.
 */
export function errorText(error: string): string {
  return String(error).replace(/\u0000/g, '\\u0000');
}

/** What a cursor of the dead-jobs list holds (finishedAt desc, id): checked by decodeCursor on every backend. */
export const DEAD_JOBS_CURSOR: CursorShape = Object.freeze({ entity: 'Scheduler.job_queue', keys: [{ type: 'timestamp' as const }], tie: 'uuid' as const });
