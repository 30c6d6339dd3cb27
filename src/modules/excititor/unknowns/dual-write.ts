import type { DualWriteSettings } from '../../../config/persistence-config.js';
import type { Entity, EntitySpec } from '../../../interfaces/entity-spec.js';
import type { ChangeHook, EntityRepository, Page } from '../../../interfaces/repository.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { AsOf, BitemporalChange, UnknownAssertion, UnknownRecord, UnknownsPageQuery, UnknownsRepository } from '../../../interfaces/unknowns.js';
import { qualifiedName } from '../../../codec/fields.js';
import type { DualWriteEvent } from '../../../dualwrite/apply-pending.js';
import { ChangeReplicator } from '../../../dualwrite/change-replicator.js';
import type { PendingApplier } from '../../../dualwrite/pending-applier.js';
import type { PendingLog } from '../../../dualwrite/pending-log.js';

/** A bitemporal repository that reports every row it writes (both store implementations do). */
export interface ObservableBitemporalRepository extends UnknownsRepository {
  onChange(hook: ChangeHook): this;
}

export interface DualWriteBitemporalParts {
  readonly spec: EntitySpec;
  /** The bitemporal repository of the primary store. */
  readonly primary: ObservableBitemporalRepository;
  /** The generic entity repository of the secondary store: it replays each written row. */
  readonly secondary: EntityRepository<Entity>;
  readonly settings: Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'>;
  /** The pending log kept in the primary store. */
  readonly pendingLog: PendingLog;
  readonly publish?: (event: DualWriteEvent) => void;
  /** Applies the secondary writes after commit (the runtime's, shared by every DualWrite store). */
  readonly applier?: PendingApplier;
}

/**
 * DualWrite for the bitemporal Unknowns (SPEC 7): an assertion runs on the primary store; each row it
 * closes or opens is recorded in the primary's pending log inside the same unit of work, then
 * replayed on the secondary after commit (by the PendingApplier) through the generic `applyReplica` (idempotent, never over newer data;
 * closing a row is an upsert of that row with its `sysTo`). A secondary failure never fails the
 * caller: the record stays for the reconciler, which finds the entity among the module's entities.
 * Reads go to the primary.
 *
 * @example
 * const unknowns = new DualWriteBitemporalRepository({ spec, primary: pgUnknowns, secondary: mongoEntityRepo, settings, pendingLog });
 */
export class DualWriteBitemporalRepository implements UnknownsRepository {
  private readonly replicator: ChangeReplicator;

  constructor(private readonly parts: DualWriteBitemporalParts) {
    if (parts.pendingLog.store !== parts.settings.Primary) {
      throw new Error(`${qualifiedName(parts.spec)}: the pending log must live in the primary (${parts.settings.Primary})`);
    }
    // The same record-then-apply mechanism as every generic entity (src/dualwrite/change-replicator.ts).
    this.replicator = new ChangeReplicator({
      pendingLog: parts.pendingLog,
      target: parts.settings.Primary === 'Postgres' ? 'Mongo' : 'Postgres',
      secondary: () => parts.secondary,
      ...(parts.publish ? { publish: parts.publish } : {}),
      ...(parts.applier ? { applier: parts.applier } : {}),
    });
    if (parts.settings.WriteToBoth) parts.primary.onChange(this.replicator.hook(parts.spec));
  }

  private write(ctx: TenantContext, primaryWrite: () => Promise<BitemporalChange>): Promise<BitemporalChange> {
    return this.parts.settings.WriteToBoth ? this.replicator.write(ctx, primaryWrite) : primaryWrite();
  }

  record(ctx: TenantContext, input: { subjectHash: string; kind: string; context: Record<string, unknown>; validFrom?: Date }): Promise<BitemporalChange> {
    return this.write(ctx, () => this.parts.primary.record(ctx, input));
  }

  resolve(ctx: TenantContext, input: { subjectHash: string; kind: string; at?: Date }): Promise<BitemporalChange> {
    return this.write(ctx, () => this.parts.primary.resolve(ctx, input));
  }

  correct(ctx: TenantContext, assertion: UnknownAssertion): Promise<BitemporalChange> {
    return this.write(ctx, () => this.parts.primary.correct(ctx, assertion));
  }

  current(ctx: TenantContext, query?: UnknownsPageQuery): Promise<Page<UnknownRecord>> {
    return this.parts.primary.current(ctx, query);
  }

  asOf(ctx: TenantContext, at: AsOf, query?: UnknownsPageQuery): Promise<Page<UnknownRecord>> {
    return this.parts.primary.asOf(ctx, at, query);
  }

  subjectAsOf(ctx: TenantContext, subjectHash: string, kind: string, at: AsOf): Promise<UnknownRecord | null> {
    return this.parts.primary.subjectAsOf(ctx, subjectHash, kind, at);
  }

  history(ctx: TenantContext, subjectHash: string, kind: string): Promise<UnknownRecord[]> {
    return this.parts.primary.history(ctx, subjectHash, kind);
  }
}
