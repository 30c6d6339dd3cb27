import { EXACT_DOCUMENT_READ } from '../mongo/document-codec.js';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { MongoCollectionLike, FindOptions } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { BatchBuilder, loadBatch, type BatchTarget } from './batch-loader.js';
import { classify } from './classify.js';
import { LostClaimError } from './errors.js';
import { idRangeFilter, type LowerBound } from '../mongo/id-ranges.js';
import { cursorBatches } from '../mongo/cursor-batches.js';
import { claimRange, finishPass, liveClaims, passTotals, rangePosition, readPass, releaseClaim, type ClaimedRange } from './job-store.js';
import { withRetry, type RetryPolicy } from './retry.js';
import { abandonedTokens, CLAIMER_ID } from '../postgres/range-claims.js';
import { SourceDocument } from './source-document.js';
import type { EffectiveTier } from './tiers.js';
import type { TenantRegistry } from '../codec/tenant-registry.js';

/**
 * One worker of a pass: claims ranges (SKIP LOCKED) until none is left, streams each range from the
 * source in `_id` order and loads it batch by batch, each batch with its checkpoint. Several workers
 * (processes, hosts) run this same loop against the same job; the last one to see every range done
 * finishes the pass.
 */

export interface WorkerContext {
  readonly ds: PostgresDataSource;
  readonly source: MongoCollectionLike;
  readonly spec: EntitySpec;
  readonly tier: EffectiveTier;
  readonly jobId: string;
  readonly pass: number;
  readonly referenceTime: Date;
  readonly batchSize: number;
  readonly leaseSeconds: number;
  /** Load tenant by tenant (see BatchTarget.perTenant). */
  readonly perTenant: boolean;
  /** Pause between batches (limits the load on the legacy database); 0 = none. */
  readonly throttleMs: number;
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
  /** Called once when the source hands over decoded documents instead of raw BSON. */
  readonly onInexactBytes?: () => void;
  /** Named legacy tenants -> UUIDs (README "Tenant registry"); keys met are recorded batch by batch. */
  readonly tenants?: TenantRegistry;
}

/**
 * Documents read between two turns of the event loop while a batch loads (see processRange). Each
 * reply of the load in flight waits for the next turn; at 25 (about 0.4 ms of work here) the loader
 * waits measurably less than at 100 (node idle 16-22% instead of 24-26%, profiled).
 */
const YIELD_EVERY = 25;
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `<host>:<pid>`: who holds a claim. */
export const WORKER_ID = CLAIMER_ID;

/** Claim tokens this process is working on right now (a claim of ours not in here is left over from a failed run). */
const activeTokens = new Set<string>();

/**
 * Live claims whose holder is known to be gone (see `abandonedTokens`): claimable at once.
 */
async function staleTokens(ctx: WorkerContext): Promise<string[]> {
  return abandonedTokens(await liveClaims(ctx.ds, ctx.jobId, ctx.pass), activeTokens);
}

export interface WorkerResult {
  readonly ranges: number;
  readonly finishedPass: boolean;
}

/**
 * Works on the pass until every range is done (by this worker or others). Permanent errors
 * propagate after the current claim is given back; the job stays resumable.
 *
 * @example
 * await workPass({ ds, source: db.collection('authority_users'), spec: user, tier, jobId, pass: 1, ... });
 */
export async function workPass(ctx: WorkerContext): Promise<WorkerResult> {
  let ranges = 0;
  for (;;) {
    const token = randomUUID();
    const claimed = await withRetry(
      `${ctx.jobId} claim`,
      async () => claimRange(ctx.ds, ctx.jobId, ctx.pass, { workerId: WORKER_ID, token, leaseSeconds: ctx.leaseSeconds, staleTokens: await staleTokens(ctx) }),
      ctx.retry,
      ctx.log,
    );
    if (claimed) {
      activeTokens.add(token);
      try {
        await processRange(ctx, claimed);
        ranges++;
      } catch (err) {
        if (err instanceof LostClaimError) {
          ctx.log(err.message);
          continue;
        }
        await releaseClaim(ctx.ds, claimed).catch(() => undefined);
        throw err;
      } finally {
        activeTokens.delete(token);
      }
      continue;
    }
    const totals = await withRetry(`${ctx.jobId} progress`, () => passTotals(ctx.ds, ctx.jobId, ctx.pass), ctx.retry, ctx.log);
    if (totals.done === totals.ranges) {
      const finished = await withRetry(
        `${ctx.jobId} finish`,
        () => finishPass(ctx.ds, ctx.jobId, ctx.pass, () => ctx.source.countDocuments({})),
        ctx.retry,
        ctx.log,
      );
      return { ranges, finishedPass: finished };
    }
    // Other workers hold the remaining ranges: wait for them to finish or for their leases to expire.
    const pass = await readPass(ctx.ds, ctx.jobId, ctx.pass);
    if (pass.status === 'finished') return { ranges, finishedPass: false };
    await sleep(500);
  }
}

/** Streams one range from its committed checkpoint to its end, a batch per transaction. */
async function processRange(ctx: WorkerContext, range: ClaimedRange): Promise<void> {
  const target: BatchTarget = { spec: ctx.spec, jobId: ctx.jobId, pass: ctx.pass, leaseSeconds: ctx.leaseSeconds, perTenant: ctx.perTenant, ...(ctx.tenants ? { tenants: ctx.tenants } : {}) };
  const what = `${ctx.jobId} range ${range.seq}`;
  await withRetry(
    what,
    async () => {
      // The committed checkpoint, not a local variable, says where to start: after an ambiguous commit
      // (connection lost during COMMIT) the batch is either in it or not, never twice.
      const position = await rangePosition(ctx.ds, range);
      if (position.done) return;
      if (!position.owned) throw new LostClaimError(range.jobId, range.seq);
      const lower: LowerBound | null = position.hasCheckpoint
        ? { value: position.checkpoint, inclusive: false }
        : range.lower !== null
          ? { value: range.lower, inclusive: true }
          : null;
      // raw: the stored bytes (a real MongoDB); a source without raw support returns type-exact documents.
      const options = { sort: { _id: 1 }, batchSize: ctx.batchSize, raw: true, ...EXACT_DOCUMENT_READ } as FindOptions;
      const cursor = ctx.source.find(idRangeFilter(lower, range.upper), options);
      // Each document is classified and encoded as it is read (see BatchBuilder); `last` is the
      // batch's last document, whose `_id` becomes the checkpoint.
      const builder = new BatchBuilder(ctx.spec);
      let last: SourceDocument | null = null;
      // One batch loads while the next is read, classified and encoded; commits stay strictly in
      // order. (Two loads at once could deadlock where PostgreSQL cannot see it: the later batch
      // would hold row or partition locks the earlier one needs while it waits for it here.)
      let loading: Promise<unknown> | null = null;
      const flush = async (done: boolean) => {
        const tenantKeys = ctx.tenants?.unrecorded() ?? [];
        const prepared = { ...builder.build(), tenantKeys };
        const checkpoint = last ? { value: last.id() } : null;
        last = null;
        if (loading) await loading;
        loading = loadBatch(ctx.ds, target, range, prepared, checkpoint, done).then((counts) => {
          ctx.tenants?.markRecorded(tenantKeys.map((k) => k.key));
          return counts;
        });
        // Observed here, awaited (and its error raised) by the next flush or at the end.
        loading.catch(() => undefined);
        if (!done && ctx.throttleMs > 0) await sleep(ctx.throttleMs);
      };
      try {
        for await (const items of cursorBatches(cursor)) {
          for (const item of items) {
            const source = SourceDocument.fromCursorItem(item);
            if (!source.exactBytes) ctx.onInexactBytes?.();
            builder.add(classify(ctx.spec, ctx.tier, source, ctx.referenceTime, ctx.tenants));
            last = source;
            if (builder.size >= ctx.batchSize) await flush(false);
            // The documents of a server batch are at hand at once (and a source that answers from
            // memory settles every read as a microtask): without a turn of the event loop now and
            // then, the batch loading meanwhile would not see its replies until this batch is read,
            // and the two would take turns instead of overlapping.
            else if (loading && builder.size % YIELD_EVERY === 0) await yieldToIo();
          }
        }
        await flush(true);
        await loading;
      } catch (err) {
        // Never leave a load in flight behind us: the retry re-reads the committed checkpoint,
        // which must already include it (or not) for good.
        await (loading as Promise<unknown> | null)?.catch(() => undefined);
        throw err;
      } finally {
        await cursor.close().catch(() => undefined);
      }
    },
    ctx.retry,
    ctx.log,
  );
}
