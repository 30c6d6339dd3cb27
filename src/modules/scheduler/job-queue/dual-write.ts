import type { Page } from '../../../interfaces/repository.js';
import type {
  ClaimOptions,
  EnqueueRequest,
  EnqueueResult,
  JobLease,
  JobQueue,
  QueuedJob,
  QueuedJobState,
} from '../../../interfaces/scheduler.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { ChangeReplicator } from '../../../dualwrite/change-replicator.js';

/**
 * The job queue under DualWrite. Workers claim from the PRIMARY only: a claim is a lease held by a
 * live process, not state worth replicating, and claiming in two stores would let two workers run the
 * same job. Everything that outlives a worker is replicated through the module's pending log, exactly
 * like DualWriteRepository (lease extensions are not replicated either): enqueues (idempotency included), completions, failures with their backoff,
 * dead jobs and jobs released from an expired lease. The secondary therefore holds every job with its
 * last durable state; after a rollback (switching the key back) a job that was running on the old
 * primary shows there as `ready` with its earlier attempt count and runs again: at-least-once, never lost.
 *
 * @example
 * const queue = new DualWriteJobQueue(pgQueue.onChange(replicator.hook(queuedJob)), replicator);
 */
export class DualWriteJobQueue implements JobQueue {
  constructor(
    private readonly primary: JobQueue,
    private readonly replicator: ChangeReplicator,
  ) {}

  enqueue(ctx: TenantContext, request: EnqueueRequest): Promise<EnqueueResult> {
    return this.replicator.write(ctx, () => this.primary.enqueue(ctx, request));
  }

  /** Primary only; the jobs the claim released from expired leases are replicated. */
  claim(ctx: TenantContext, kind: string, workerId: string, options?: ClaimOptions): Promise<QueuedJob[]> {
    return this.replicator.write(ctx, () => this.primary.claim(ctx, kind, workerId, options));
  }

  complete(ctx: TenantContext, lease: JobLease): Promise<QueuedJob> {
    return this.replicator.write(ctx, () => this.primary.complete(ctx, lease));
  }

  fail(ctx: TenantContext, lease: JobLease, error: string, options?: { retry?: boolean }): Promise<QueuedJob> {
    return this.replicator.write(ctx, () => this.primary.fail(ctx, lease, error, options));
  }

  /** Primary only, like the claim it extends. */
  extendLease(ctx: TenantContext, lease: JobLease, leaseMs: number): Promise<QueuedJob> {
    return this.primary.extendLease(ctx, lease, leaseMs);
  }

  get(ctx: TenantContext, id: string): Promise<QueuedJob | null> {
    return this.primary.get(ctx, id);
  }

  listDead(ctx: TenantContext, options?: { kind?: string; after?: string | null; limit?: number }): Promise<Page<QueuedJob>> {
    return this.primary.listDead(ctx, options);
  }

  counts(ctx: TenantContext, kind?: string): Promise<Record<QueuedJobState, number>> {
    return this.primary.counts(ctx, kind);
  }
}
