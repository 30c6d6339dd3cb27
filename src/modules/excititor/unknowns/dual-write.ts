import type { EntitySpec } from '../../../interfaces/entity-spec.js';
import type { ChangeHook, Page } from '../../../interfaces/repository.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { AsOf, BitemporalChange, UnknownAssertion, UnknownRecord, UnknownsPageQuery, UnknownsRepository } from '../../../interfaces/unknowns.js';
import type { ChangeReplicator } from '../../../dualwrite/change-replicator.js';

/** A bitemporal repository that reports every row it writes (both store implementations do). */
export interface ObservableBitemporalRepository extends UnknownsRepository {
  onChange(hook: ChangeHook): this;
}

/**
 * DualWrite for the bitemporal Unknowns (docs/design.md §7): an assertion runs on the primary store; each row it
 * closes or opens is recorded in the primary's pending log inside the same unit of work, then
 * replayed on the secondary after commit (by the PendingApplier) through the generic `applyReplica` (idempotent, never over newer data;
 * closing a row is an upsert of that row with its `sysTo`). A secondary failure never fails the
 * caller: the record stays for the reconciler, which finds the entity among the module's entities.
 * Reads go to the primary.
 *
 * @example
 * const unknowns = new DualWriteBitemporalRepository(unknown, pgUnknowns, replicator); // replicator: src/container/custom-store.ts
 */
export class DualWriteBitemporalRepository implements UnknownsRepository {
  constructor(
    spec: EntitySpec,
    private readonly primary: ObservableBitemporalRepository,
    private readonly replicator: ChangeReplicator,
  ) {
    primary.onChange(replicator.hook(spec));
  }

  private write(ctx: TenantContext, primaryWrite: () => Promise<BitemporalChange>): Promise<BitemporalChange> {
    return this.replicator.write(ctx, primaryWrite);
  }

  record(ctx: TenantContext, input: { subjectHash: string; kind: string; context: Record<string, unknown>; validFrom?: Date }): Promise<BitemporalChange> {
    return this.write(ctx, () => this.primary.record(ctx, input));
  }

  resolve(ctx: TenantContext, input: { subjectHash: string; kind: string; at?: Date }): Promise<BitemporalChange> {
    return this.write(ctx, () => this.primary.resolve(ctx, input));
  }

  correct(ctx: TenantContext, assertion: UnknownAssertion): Promise<BitemporalChange> {
    return this.write(ctx, () => this.primary.correct(ctx, assertion));
  }

  current(ctx: TenantContext, query?: UnknownsPageQuery): Promise<Page<UnknownRecord>> {
    return this.primary.current(ctx, query);
  }

  asOf(ctx: TenantContext, at: AsOf, query?: UnknownsPageQuery): Promise<Page<UnknownRecord>> {
    return this.primary.asOf(ctx, at, query);
  }

  subjectAsOf(ctx: TenantContext, subjectHash: string, kind: string, at: AsOf): Promise<UnknownRecord | null> {
    return this.primary.subjectAsOf(ctx, subjectHash, kind, at);
  }

  history(ctx: TenantContext, subjectHash: string, kind: string): Promise<UnknownRecord[]> {
    return this.primary.history(ctx, subjectHash, kind);
  }
}
