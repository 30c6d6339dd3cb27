import { randomUUID } from 'node:crypto';
import type { Document } from 'bson';
import type { Clock } from '../../../interfaces/clock.js';
import { systemClock } from '../../../interfaces/clock.js';
import { PersistenceError } from '../../../interfaces/errors.js';
import type { ChangeHook, ChangeRecord, Page } from '../../../interfaces/repository.js';
import {
  DEFAULT_JOB_QUEUE_OPTIONS,
  QUEUED_JOB_STATES,
  type ClaimOptions,
  type EnqueueRequest,
  type EnqueueResult,
  type JobLease,
  type JobQueue,
  type JobQueueOptions,
  type QueuedJob,
  type QueuedJobState,
} from '../../../interfaces/scheduler.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import { decodeCursor, encodeCursor } from '../../../codec/cursor.js';
import { queuedJob } from '../entities.js';
import {
  assertLease,
  checkKind,
  checkLeaseMs,
  checkLimit,
  checkWorker,
  completed,
  extended,
  failed,
  newJob,
  reaped,
  DEAD_JOBS_CURSOR,
} from './rules.js';
import { decodeDocument, encodeDocument, EXACT_DOCUMENT_READ } from '../../../mongo/document-codec.js';
import { legacyExtraOf, withLegacyExtra } from '../../../codec/legacy-extra.js';
import { mongoIdForUuid } from '../../../mongo/legacy-id.js';
import { isDuplicateKeyError, type MongoCollectionLike, type MongoDbLike } from '../../../mongo/mongo-types.js';
import { tenantMatch, tenantRegistryOf } from '../../../mongo/tenant-keys.js';

/**
 * The job queue on MongoDB (collection `job_queue`, the same document shape as every entity of the
 * Scheduler). A claim is one `findOneAndUpdate` per job: MongoDB applies it atomically to one document,
 * so two workers never get the same job (the memory: store serialises them the same way). Every other
 * change is a compare-and-set on the lease (`leaseId`) with a `replaceOne`, so a worker whose lease was
 * reclaimed cannot overwrite the new holder's state.
 *
 * @example
 * const queue = new MongoJobQueue(db);
 * await queue.enqueue(ctx, { kind: 'policy-eval', payload: { policyId }, idempotencyKey: `${policyId}@7` });
 */
export class MongoJobQueue implements JobQueue {
  private readonly coll: MongoCollectionLike;
  private readonly hooks: ChangeHook[] = [];
  private readonly options: JobQueueOptions;
  private indexes: Promise<void> | null = null;

  constructor(
    private readonly db: MongoDbLike,
    private readonly clock: Clock = systemClock,
    options: Partial<JobQueueOptions> = {},
  ) {
    this.coll = db.collection(queuedJob.collection);
    this.options = { ...DEFAULT_JOB_QUEUE_OPTIONS, ...options };
  }

  onChange(hook: ChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  /** The queue's indexes, created once per instance, idempotently. */
  ensureIndexes(): Promise<void> {
    this.indexes ??= (async () => {
      // Idempotency among jobs that carry a key (a total unique index would make every key-less job a duplicate).
      await this.coll.createIndex(
        { tenantId: 1, kind: 1, idempotencyKey: 1 },
        { unique: true, name: 'ux_job_idempotency', partialFilterExpression: { idempotencyKey: { $type: 'string' } } },
      );
      // Readiness (claims) and expired leases (reaping); `state` stands for the PostgreSQL `locked_at is null`.
      await this.coll.createIndex({ tenantId: 1, kind: 1, state: 1, runAfter: 1, _id: 1 }, { name: 'ix_job_ready' });
      await this.coll.createIndex({ tenantId: 1, kind: 1, state: 1, leaseUntil: 1 }, { name: 'ix_job_leases' });
      await this.coll.createIndex({ tenantId: 1, state: 1, finishedAt: -1, _id: 1 }, { name: 'ix_job_dead' });
    })().catch((err) => {
      this.indexes = null;
      throw err;
    });
    return this.indexes;
  }

  private decode(doc: Document): QueuedJob {
    return decodeDocument(queuedJob, doc, undefined, tenantRegistryOf(this.db)).entity as unknown as QueuedJob;
  }

  /** `from`: the stored job this one replaces, whose undeclared legacy fields the replacement keeps. */
  private encode(job: QueuedJob, from?: QueuedJob): Document {
    return encodeDocument(queuedJob, withLegacyExtra({ ...job }, legacyExtraOf(from ?? job)) as unknown as Record<string, unknown>, null);
  }

  async enqueue(ctx: TenantContext, request: EnqueueRequest): Promise<EnqueueResult> {
    await this.ensureIndexes();
    const job = newJob(ctx, request, this.options, this.clock);
    try {
      await this.coll.insertOne(this.encode(job));
    } catch (err) {
      if (!isDuplicateKeyError(err) || job.idempotencyKey === null) throw err;
      const existing = await this.coll.findOne({ tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), kind: job.kind, idempotencyKey: job.idempotencyKey }, EXACT_DOCUMENT_READ);
      if (!existing) throw new PersistenceError(`Scheduler.job: idempotency key ${JSON.stringify(job.idempotencyKey)} clashed but no job holds it`, { cause: err });
      return { job: this.decode(existing), created: false };
    }
    await this.changed(ctx, job);
    return { job, created: true };
  }

  async claim(ctx: TenantContext, kind: string, workerId: string, options: ClaimOptions = {}): Promise<QueuedJob[]> {
    checkKind(kind);
    checkWorker(workerId);
    const limit = options.limit ?? 1;
    const leaseMs = options.leaseMs ?? this.options.defaultLeaseMs;
    checkLimit(limit);
    checkLeaseMs(leaseMs);
    await this.ensureIndexes();
    const now = this.clock.now();
    await this.reap(ctx, kind, now);
    const out: QueuedJob[] = [];
    for (let i = 0; i < limit; i++) {
      const leaseId = randomUUID();
      const doc = await this.coll.findOneAndUpdate(
        { tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), kind, state: 'ready', runAfter: { $lte: now } },
        {
          // `claimed` (job-queue-rules.ts) as one atomic update; updatedAt only moves forward.
          $set: { state: 'running', lockedAt: now, lockedBy: workerId, leaseId, leaseUntil: new Date(now.getTime() + leaseMs) },
          $inc: { attempts: 1 },
          $max: { updatedAt: now },
        },
        { sort: { runAfter: 1, _id: 1 }, returnDocument: 'after' },
      );
      if (!doc) break;
      out.push(this.decode(doc));
    }
    return out;
  }

  /** Crashed workers' jobs of this tenant and kind: ready again at once, or dead when their claims are used up. */
  private async reap(ctx: TenantContext, kind: string, now: Date): Promise<void> {
    const expired = await this.coll
      .find({ tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), kind, state: 'running', leaseUntil: { $lte: now } }, { sort: { leaseUntil: 1, _id: 1 }, limit: 1000, ...EXACT_DOCUMENT_READ })
      .toArray();
    for (const doc of expired) {
      const job = this.decode(doc);
      const next = reaped(job, now);
      const res = await this.coll.replaceOne({ _id: doc._id, tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), state: 'running', leaseId: job.leaseId }, this.encode(next, job));
      if (res.matchedCount === 1) await this.changed(ctx, next);
    }
  }

  complete(ctx: TenantContext, lease: JobLease): Promise<QueuedJob> {
    return this.transition(ctx, lease, (job, now) => completed(job, now));
  }

  fail(ctx: TenantContext, lease: JobLease, error: string, options: { retry?: boolean } = {}): Promise<QueuedJob> {
    return this.transition(ctx, lease, (job, now) => failed(job, error, options.retry ?? true, now, this.options));
  }

  extendLease(ctx: TenantContext, lease: JobLease, leaseMs: number): Promise<QueuedJob> {
    checkLeaseMs(leaseMs);
    // A lease is not replicated state (like a claim): no change hook.
    return this.transition(ctx, lease, (job, now) => extended(job, now, leaseMs), false);
  }

  async get(ctx: TenantContext, id: string): Promise<QueuedJob | null> {
    const doc = await this.coll.findOne({ tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), _id: mongoIdForUuid(id) }, EXACT_DOCUMENT_READ);
    return doc ? this.decode(doc) : null;
  }

  async listDead(ctx: TenantContext, options: { kind?: string; after?: string | null; limit?: number } = {}): Promise<Page<QueuedJob>> {
    const limit = options.limit ?? 100;
    checkLimit(limit);
    const filter: Document = { tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), state: 'dead' };
    if (options.kind !== undefined) filter.kind = options.kind;
    const clauses: Document[] = [filter];
    if (options.after) {
      const cursor = decodeCursor(options.after, 'mongo', 'dead', DEAD_JOBS_CURSOR);
      const at = cursor.keys[0] as Date;
      clauses.push({ $or: [{ finishedAt: { $lt: at } }, { finishedAt: at, _id: { $gt: mongoIdForUuid(cursor.tie) } }] });
    }
    const docs = await this.coll
      .find(clauses.length > 1 ? { $and: clauses } : filter, { sort: { finishedAt: -1, _id: 1 }, limit: limit + 1, ...EXACT_DOCUMENT_READ })
      .toArray();
    const items = docs.slice(0, limit).map((d) => this.decode(d));
    const last = items[items.length - 1];
    const next = docs.length > limit && last ? encodeCursor({ backend: 'mongo', order: 'dead', keys: [last.finishedAt], tie: last.id }) : null;
    return { items, next };
  }

  async counts(ctx: TenantContext, kind?: string): Promise<Record<QueuedJobState, number>> {
    const out = {} as Record<QueuedJobState, number>;
    for (const state of QUEUED_JOB_STATES) {
      out[state] = await this.coll.countDocuments({ tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), state, ...(kind === undefined ? {} : { kind }) });
    }
    return out;
  }

  /** Reads the job, checks the lease, and writes what `next` decides only if the lease is still the same. */
  private async transition(ctx: TenantContext, lease: JobLease, next: (job: QueuedJob, now: Date) => QueuedJob, replicated = true): Promise<QueuedJob> {
    const filter = { tenantId: await tenantMatch(this.db, queuedJob.collection, ctx), _id: mongoIdForUuid(lease.id) };
    const doc = await this.coll.findOne(filter, EXACT_DOCUMENT_READ);
    const current = assertLease(doc ? this.decode(doc) : null, lease);
    const now = this.clock.now();
    const updated = next(current, now);
    const res = await this.coll.replaceOne({ ...filter, state: 'running', leaseId: lease.leaseId }, this.encode(updated, current));
    if (res.matchedCount === 0) assertLease(null, lease);
    if (replicated) await this.changed(ctx, updated);
    return updated;
  }

  private async changed(ctx: TenantContext, job: QueuedJob): Promise<void> {
    const change: ChangeRecord = { op: 'upsert', id: job.id, entity: job, at: job.updatedAt, legacyId: null, audit: null };
    for (const hook of this.hooks) await hook(change, ctx, null);
  }
}
