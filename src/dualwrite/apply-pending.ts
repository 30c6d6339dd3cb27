import type { Entity } from '../interfaces/entity-spec.js';
import type { ChangeRecord, EntityRepository } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { changeFromJson } from '../codec/entity-json.js';
import type { ExperimentResult } from './experiment.js';
import { retryDelayMs, type PendingEntry, type PendingLog } from './pending-log.js';

/** What DualWrite publishes: shadow-read comparisons and mismatches, secondary-write failures. */
export type DualWriteEvent =
  | { kind: 'shadow-mismatch'; result: ExperimentResult<unknown> }
  | { kind: 'shadow-compared'; entity: string; operation: string; matched: boolean }
  | { kind: 'secondary-failed'; entity: string; id: string; error: string; tenantId?: string };

/**
 * Applies one pending record to the secondary, unless an older record of the same entity is still
 * waiting (then the reconciler applies both in order). Resolves it on success; on failure keeps it
 * with the error and a backoff. Never throws: the caller's write already succeeded.
 */
export async function applyPending<E extends Entity>(
  log: PendingLog,
  secondary: EntityRepository<E>,
  ctx: TenantContext,
  entry: PendingEntry,
  publish?: (event: DualWriteEvent) => void,
  options: { checkEarlier?: boolean } = {},
): Promise<'applied' | 'deferred' | 'failed'> {
  try {
    if (options.checkEarlier !== false && (await log.hasEarlier(ctx, entry))) return 'deferred';
    await secondary.applyReplica(ctx, changeFromJson(secondary.spec, entry.change) as ChangeRecord<E>);
    await log.resolve(ctx, entry.seq);
    return 'applied';
  } catch (err) {
    const error = (err as Error).message;
    publish?.({ kind: 'secondary-failed', entity: entry.entity, id: entry.entityId, tenantId: entry.tenantId, error });
    try {
      await log.fail(ctx, entry.seq, error, new Date(Date.now() + retryDelayMs(entry.attempts)));
    } catch {
      // The record stays as it was; the reconciler picks it up.
    }
    return 'failed';
  }
}
