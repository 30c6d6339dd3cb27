import { AsyncLocalStorage } from 'node:async_hooks';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { ChangeHook, ChangeRecord, EntityRepository } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { changeToJson } from '../codec/entity-json.js';
import { qualifiedName } from '../codec/fields.js';
import type { DualWriteEvent } from './apply-pending.js';
import { PendingApplier } from './pending-applier.js';
import type { PendingEntry, PendingLog } from './pending-log.js';

/** A change hook of a store that writes several entities (the change says which by its spec). */
export type SpecChangeHook = (spec: EntitySpec, change: ChangeRecord, ctx: TenantContext, tx: unknown) => Promise<void>;

/**
 * DualWrite for custom (non-CRUD) stores such as the job queue and the delivery state machine: the
 * same contract as DualWriteRepository (docs/design.md §7), reused piece by piece. The primary store reports
 * each entity change it commits through a ChangeHook (inside its transaction on PostgreSQL); this
 * records it in the primary's pending log in that transaction and, after commit, hands it to the
 * bounded PendingApplier, which applies it to the secondary with the generic repository's
 * `applyReplica` (idempotent, never over newer data) off the caller's path. A failed secondary
 * write never fails the caller; the reconciler finds the record (the entity is declared in its
 * module, so the reconciler knows it) and retries it.
 *
 * DualWriteRepository uses it for every generic entity; custom stores (job queue, deliveries,
 * bitemporal unknowns) use it directly.
 *
 * @example
 * const replicator = ...; // built by customStore (src/container/custom-store.ts)
 * const queue = new PostgresJobQueue(deps.postgres, clock).onChange(replicator.hook(queuedJob));
 * await replicator.write(ctx, () => queue.complete(ctx, lease)); // returns after commit
 * await applier.drain(); // the secondary has it (or the record waits for the reconciler)
 */
export class ChangeReplicator {
  private readonly collected = new AsyncLocalStorage<{ spec: EntitySpec; entry: PendingEntry; hasEarlier: boolean }[]>();
  private readonly secondaries = new Map<EntitySpec, EntityRepository<Entity>>();
  /** Where committed records go; the runtime shares one across every DualWrite store. */
  readonly applier: PendingApplier;

  constructor(
    private readonly parts: {
      readonly pendingLog: PendingLog;
      /** The store the pending records are applied to. */
      readonly target: 'Mongo' | 'Postgres';
      readonly secondary: (spec: EntitySpec) => EntityRepository<Entity>;
      /** Where secondary-write failures are published. */
      readonly publish?: (event: DualWriteEvent) => void;
      /** The applier of the runtime (default: one of its own, with default bounds). */
      readonly applier?: PendingApplier;
    },
  ) {
    this.applier = parts.applier ?? new PendingApplier();
  }

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

  /**
   * Runs a primary write, then hands the changes it recorded to the applier; returns once they are
   * queued (waiting only when the applier's queue is full), never throws for the secondary.
   */
  async write<T>(ctx: TenantContext, primaryWrite: () => Promise<T>): Promise<T> {
    const bucket: { spec: EntitySpec; entry: PendingEntry; hasEarlier: boolean }[] = [];
    const result = await this.collected.run(bucket, primaryWrite);
    for (const { spec, entry, hasEarlier } of bucket) {
      const task = { log: this.parts.pendingLog, secondary: this.secondary(spec), ctx, entry, hasEarlier };
      await this.applier.submit(this.parts.publish ? { ...task, publish: this.parts.publish } : task);
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
