import { AsyncLocalStorage } from 'node:async_hooks';
import type { DualWriteSettings } from '../config/persistence-config.js';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { ChangeHook, ChangeRecord, EntityRepository, Page } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import type { AsOf, BitemporalChange, UnknownAssertion, UnknownRecord, UnknownsPageQuery, UnknownsRepository } from '../interfaces/unknowns.js';
import { changeToJson } from '../codec/entity-json.js';
import { qualifiedName } from '../codec/fields.js';
import { applyPending, type DualWriteEvent } from './dual-write-repository.js';
import type { PendingEntry, PendingLog } from './pending-log.js';

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
}

/**
 * DualWrite for the bitemporal Unknowns (SPEC 7): an assertion runs on the primary store; each row it
 * closes or opens is recorded in the primary's pending log inside the same unit of work, then
 * replayed on the secondary through the generic `applyReplica` (idempotent, never over newer data;
 * closing a row is an upsert of that row with its `sysTo`). A secondary failure never fails the
 * caller: the record stays for the reconciler, which finds the entity among the module's entities.
 * Reads go to the primary.
 *
 * @example
 * const unknowns = new DualWriteBitemporalRepository({ spec, primary: pgUnknowns, secondary: mongoEntityRepo, settings, pendingLog });
 */
export class DualWriteBitemporalRepository implements UnknownsRepository {
  private readonly collected = new AsyncLocalStorage<{ entry: PendingEntry; hasEarlier: boolean }[]>();

  constructor(private readonly parts: DualWriteBitemporalParts) {
    if (parts.pendingLog.store !== parts.settings.Primary) {
      throw new Error(`${qualifiedName(parts.spec)}: the pending log must live in the primary (${parts.settings.Primary})`);
    }
    if (parts.settings.WriteToBoth) parts.primary.onChange((change, ctx, tx) => this.recordPending(change, ctx, tx));
  }

  private async recordPending(change: ChangeRecord, ctx: TenantContext, tx: unknown): Promise<void> {
    const entry = {
      module: this.parts.spec.module,
      entity: qualifiedName(this.parts.spec),
      tenantId: ctx.tenantId,
      entityId: change.id,
      target: this.parts.settings.Primary === 'Postgres' ? ('Mongo' as const) : ('Postgres' as const),
      op: change.op,
      change: changeToJson(this.parts.spec, change),
    };
    const { seq, hasEarlier } = await this.parts.pendingLog.record(tx, ctx, entry);
    this.collected.getStore()?.push({ entry: { ...entry, seq, attempts: 0, lastError: null }, hasEarlier });
  }

  private async write(ctx: TenantContext, primaryWrite: () => Promise<BitemporalChange>): Promise<BitemporalChange> {
    const bucket: { entry: PendingEntry; hasEarlier: boolean }[] = [];
    const result = await this.collected.run(bucket, primaryWrite);
    for (const { entry, hasEarlier } of bucket) {
      // An older record of the same row is still waiting: the reconciler replays both, in order.
      if (hasEarlier) continue;
      await applyPending(this.parts.pendingLog, this.parts.secondary, ctx, entry, this.parts.publish, { checkEarlier: false });
    }
    return result;
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
