import type { DualWriteSettings } from '../config/persistence-config.js';
import type { Entity, EntityPatch, EntitySpec, NewEntity } from '../interfaces/entity-spec.js';
import type { ChangeRecord, EntityRepository, ListQuery, Page, ReplicaOutcome } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { canonicalEntity, canonicalJson } from '../codec/canonical.js';
import { qualifiedName } from '../codec/fields.js';
import { applyPending, type DualWriteEvent } from './apply-pending.js';
import { ChangeReplicator } from './change-replicator.js';
import { experiment, type ExperimentResult } from './experiment.js';
import type { PendingApplier } from './pending-applier.js';
import type { PendingLog } from './pending-log.js';

/** What DualWrite needs of each store's repository besides the contract. */
export interface ObservableRepository<E extends Entity> extends EntityRepository<E> {
  onChange(hook: (change: ChangeRecord, ctx: TenantContext, tx: unknown) => Promise<void>): this;
}

/** The MongoDB repository also tells the legacy id of what it found (for ConvertOnRead). */
export interface LegacyAwareRepository<E extends Entity> extends EntityRepository<E> {
  getWithLegacyId(ctx: TenantContext, id: string): Promise<{ entity: E; legacyId: string } | null>;
  findOneWithLegacyId(ctx: TenantContext, where: Partial<E>): Promise<{ entity: E; legacyId: string } | null>;
}

export interface DualWriteParts<E extends Entity> {
  readonly spec: EntitySpec;
  readonly postgres: ObservableRepository<E>;
  readonly mongo: ObservableRepository<E> & LegacyAwareRepository<E>;
  readonly settings: DualWriteSettings;
  /** The pending log kept in the primary store. */
  readonly pendingLog: PendingLog;
  /** Where shadow-read mismatches and secondary failures go. */
  readonly publish?: (event: DualWriteEvent) => void;
  /** Applies the secondary writes after commit (the runtime's, shared by every DualWrite store). */
  readonly applier?: PendingApplier;
}

export { applyPending, type DualWriteEvent };

/**
 * The DualWrite repository (docs/design.md §7), generic over any entity: writes go to the primary, and the
 * secondary write is recorded in the primary's pending log inside the same transaction, then
 * applied after commit by the bounded PendingApplier, off the caller's path (reads of the primary
 * see the write as soon as the call returns). A secondary failure never fails the caller; the
 * reconciler retries it.
 * Reads go to the primary; with FallbackToMongo a miss falls back to MongoDB, and with
 * ConvertOnRead what was found there is written into PostgreSQL.
 *
 * @example
 * const users = new DualWriteRepository<User>({ spec: userSpec, postgres, mongo, settings, pendingLog });
 * await users.insert(ctx, { username: 'alice', ... }); // PostgreSQL now, MongoDB right after commit
 * await applier.drain(); // MongoDB has it too (or the record waits for the reconciler)
 */
export class DualWriteRepository<E extends Entity> implements EntityRepository<E> {
  readonly spec: EntitySpec;
  private readonly primary: ObservableRepository<E>;
  private readonly secondary: ObservableRepository<E>;
  private readonly replicator: ChangeReplicator;

  constructor(private readonly parts: DualWriteParts<E>) {
    this.spec = parts.spec;
    const pgFirst = parts.settings.Primary === 'Postgres';
    this.primary = pgFirst ? parts.postgres : parts.mongo;
    this.secondary = pgFirst ? parts.mongo : parts.postgres;
    if (parts.pendingLog.store !== parts.settings.Primary) {
      throw new Error(`${qualifiedName(parts.spec)}: the pending log must live in the primary (${parts.settings.Primary})`);
    }
    this.replicator = new ChangeReplicator({
      pendingLog: parts.pendingLog,
      target: pgFirst ? 'Mongo' : 'Postgres',
      secondary: () => this.secondary as EntityRepository<Entity>,
      ...(parts.publish ? { publish: parts.publish } : {}),
      ...(parts.applier ? { applier: parts.applier } : {}),
    });
    if (parts.settings.WriteToBoth) this.primary.onChange(this.replicator.hook(parts.spec));
  }

  /** Runs a primary write, then hands its recorded secondary writes to the applier; never throws for those. */
  private write<T>(ctx: TenantContext, primaryWrite: () => Promise<T>): Promise<T> {
    return this.parts.settings.WriteToBoth ? this.replicator.write(ctx, primaryWrite) : primaryWrite();
  }

  insert(ctx: TenantContext, entity: NewEntity<E>): Promise<E> {
    return this.write(ctx, () => this.primary.insert(ctx, entity));
  }

  update(ctx: TenantContext, id: string, patch: EntityPatch<E>): Promise<E> {
    return this.write(ctx, () => this.primary.update(ctx, id, patch));
  }

  delete(ctx: TenantContext, id: string): Promise<boolean> {
    return this.write(ctx, () => this.primary.delete(ctx, id));
  }

  async get(ctx: TenantContext, id: string): Promise<E | null> {
    const found = await this.shadow(`get`, () => this.primary.get(ctx, id), () => this.secondary.get(ctx, id));
    if (found || !this.fallsBack) return found;
    return this.fallback(ctx, () => this.parts.mongo.getWithLegacyId(ctx, id));
  }

  async findOne(ctx: TenantContext, where: Partial<E>): Promise<E | null> {
    const found = await this.shadow(`findOne`, () => this.primary.findOne(ctx, where), () => this.secondary.findOne(ctx, where));
    if (found || !this.fallsBack) return found;
    return this.fallback(ctx, () => this.parts.mongo.findOneWithLegacyId(ctx, where));
  }

  list(ctx: TenantContext, query?: ListQuery<E>): Promise<Page<E>> {
    // Lists come from the primary only: a page cannot be merged across stores with one cursor.
    return this.shadow(`list`, () => this.primary.list(ctx, query), () => this.secondary.list(ctx, query), (p) => p.items);
  }

  applyReplica(ctx: TenantContext, change: ChangeRecord<E>): Promise<ReplicaOutcome> {
    return this.primary.applyReplica(ctx, change);
  }

  private get fallsBack(): boolean {
    return this.parts.settings.Primary === 'Postgres' && this.parts.settings.FallbackToMongo;
  }

  /**
   * A primary miss found in MongoDB. If PostgreSQL has a change of that entity still pending for
   * MongoDB (a delete, or an update that moved it out of the filter), the MongoDB copy is stale and
   * the primary's miss is the answer: read-your-writes holds while the applier catches up.
   */
  private async fallback(ctx: TenantContext, lookup: () => Promise<{ entity: E; legacyId: string } | null>): Promise<E | null> {
    const first = await lookup();
    if (!first) return null;
    if (await this.parts.pendingLog.hasPending(ctx, qualifiedName(this.spec), first.entity.id, 'Mongo')) return null;
    // Nothing pending: read again, so a change applied between the first read and the check is seen.
    const hit = await lookup();
    if (!hit) return null;
    if (this.parts.settings.ConvertOnRead) {
      await this.parts.postgres.applyReplica(ctx, { op: 'upsert', id: hit.entity.id, entity: hit.entity, at: hit.entity.updatedAt, legacyId: hit.legacyId, audit: null });
    }
    return hit.entity;
  }

  private shadow<T>(op: string, control: () => Promise<T>, candidate: () => Promise<T>, project: (v: T) => unknown = (v) => v): Promise<T> {
    const digest = (v: T) => {
      const p = project(v);
      const one = (x: unknown) => (x ? canonicalEntity(this.spec, x as Record<string, unknown>) : null);
      return canonicalJson(Array.isArray(p) ? p.map(one) : one(p));
    };
    return experiment({
      name: `${qualifiedName(this.spec)}.${op}`,
      control,
      candidate,
      compare: (a, b) => digest(a) === digest(b),
      publish: (result) => this.parts.publish?.({ kind: 'shadow-mismatch', result: result as ExperimentResult<unknown> }),
      observe: (matched) => this.parts.publish?.({ kind: 'shadow-compared', entity: qualifiedName(this.spec), operation: op, matched }),
      sample: this.parts.settings.ShadowReadSampleRate,
    });
  }
}
