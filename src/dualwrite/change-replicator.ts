import { AsyncLocalStorage } from 'node:async_hooks';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { ChangeHook, ChangeRecord, EntityRepository } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { changeToJson } from '../codec/entity-json.js';
import { qualifiedName } from '../codec/fields.js';
import { applyPending, type DualWriteEvent } from './apply-pending.js';
import type { PendingEntry, PendingLog } from './pending-log.js';

/** A change hook of a store that writes several entities (the change says which by its spec). */
export type SpecChangeHook = (spec: EntitySpec, change: ChangeRecord, ctx: TenantContext, tx: unknown) => Promise<void>;

/**
 * DualWrite for custom (non-CRUD) stores such as the job queue and the delivery state machine: the
 * same contract as DualWriteRepository (SPEC 7), reused piece by piece. The primary store reports
 * each entity change it commits through a ChangeHook (inside its transaction on PostgreSQL); this
 * records it in the primary's pending log in that transaction and, after commit, applies it to the
 * secondary with the generic repository's `applyReplica` (idempotent, never over newer data). A failed
 * secondary write never fails the caller; the reconciler finds the record (the entity is declared in
 * its module, so the reconciler knows it) and retries it.
 *
 * DualWriteRepository uses it for every generic entity; custom stores (job queue, deliveries,
 * bitemporal unknowns) use it directly.
 *
 * @example
 * const replicator = changeReplicatorFor('Scheduler', deps, settings); // src/container/custom-dual-write.ts
 * const queue = new PostgresJobQueue(deps.postgres, clock).onChange(replicator.hook(queuedJob));
 * await replicator.write(ctx, () => queue.complete(ctx, lease));
 */
export class ChangeReplicator {
  private readonly collected = new AsyncLocalStorage<{ spec: EntitySpec; entry: PendingEntry; hasEarlier: boolean }[]>();
  private readonly secondaries = new Map<EntitySpec, EntityRepository<Entity>>();

  constructor(
    private readonly parts: {
      readonly pendingLog: PendingLog;
      /** The store the pending records are applied to. */
      readonly target: 'Mongo' | 'Postgres';
      readonly secondary: (spec: EntitySpec) => EntityRepository<Entity>;
      /** Where secondary-write failures are published. */
      readonly publish?: (event: DualWriteEvent) => void;
    },
  ) {}

  /** The hook a primary store calls with each change of `spec`'s entities, inside its write. */
  hook(spec: EntitySpec): ChangeHook {
    return async (change: ChangeRecord, ctx: TenantContext, tx: unknown) => {
      const bucket = this.collected.getStore();
      if (!bucket) throw new Error(`${qualifiedName(spec)}: a replicated change was written outside ChangeReplicator.write`);
      const entry = {
        module: spec.module,
        entity: qualifiedName(spec),
        tenantId: ctx.tenantId,
        entityId: change.id,
        target: this.parts.target,
        op: change.op,
        change: changeToJson(spec, change),
      };
      const { seq, hasEarlier } = await this.parts.pendingLog.record(tx, ctx, entry);
      bucket.push({ spec, entry: { ...entry, seq, attempts: 0, lastError: null }, hasEarlier });
    };
  }

  /** One hook for stores that change several entities: it is told which one each change is of. */
  anyHook(): SpecChangeHook {
    return (spec, change, ctx, tx) => this.hook(spec)(change, ctx, tx);
  }

  /** Runs a primary write, then applies the changes it recorded to the secondary; never throws for those. */
  async write<T>(ctx: TenantContext, primaryWrite: () => Promise<T>): Promise<T> {
    const bucket: { spec: EntitySpec; entry: PendingEntry; hasEarlier: boolean }[] = [];
    const result = await this.collected.run(bucket, primaryWrite);
    for (const { spec, entry, hasEarlier } of bucket) {
      // An older record of this entity still waits: the reconciler applies both, in order.
      if (hasEarlier) continue;
      await applyPending(this.parts.pendingLog, this.secondary(spec), ctx, entry, this.parts.publish, { checkEarlier: false });
    }
    return result;
  }

  private secondary(spec: EntitySpec): EntityRepository<Entity> {
    let repo = this.secondaries.get(spec);
    if (!repo) {
      repo = this.parts.secondary(spec);
      this.secondaries.set(spec, repo);
    }
    return repo;
  }
}
