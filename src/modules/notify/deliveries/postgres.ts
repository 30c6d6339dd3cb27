import type { DatabaseError } from 'pg';
import type { Clock } from '../../../interfaces/clock.js';
import { systemClock } from '../../../interfaces/clock.js';
import type { Entity, EntitySpec } from '../../../interfaces/entity-spec.js';
import { DuplicateKeyError, NotFoundError, ValidationError } from '../../../interfaces/errors.js';
import type {
  Delivery,
  DeliveryService,
  DeliveryState,
  NewDelivery,
  OutboxEvent,
  TransitionDetails,
} from '../../../interfaces/notify.js';
import type { ChangeRecord, Page } from '../../../interfaces/repository.js';
import { checkTenantContext, type TenantContext } from '../../../interfaces/tenant-context.js';
import type { PostgresDataSource, Tx } from '../../../postgres/data-source.js';
import { getSql, idParams, insertSql, updateSql } from '../../../postgres/entity-sql.js';
import { PostgresRepository } from '../../../postgres/postgres-repository.js';
import { fromRow, toParams } from '../../../postgres/row-codec.js';
import type { SpecChangeHook } from '../../../dualwrite/change-replicator.js';
import { applyTransition, deliveryEvent, dispatched, dispatchFailed, newDelivery } from './rules.js';
import { delivery as deliverySpec, outboxEvent as outboxSpec } from '../entities.js';

/**
 * The delivery state machine on PostgreSQL: each call one transaction with the tenant set; the
 * delivery row is locked (`for update`) while the transition is decided, and its outbox event is
 * inserted into `core.outbox` in the same transaction, so an event exists exactly when the change
 * committed (docs/postgres-patterns.md §3.6).
 *
 * @example
 * const svc = new PostgresDeliveryService(dataSource);
 * const d = await svc.create(ctx, { channelId, eventId: 'evt-1', eventKind: 'scan.completed' });
 */
export class PostgresDeliveryService implements DeliveryService {
  private readonly hooks: SpecChangeHook[] = [];
  private readonly outbox: PostgresRepository<OutboxEvent>;

  constructor(
    private readonly ds: PostgresDataSource,
    private readonly clock: Clock = systemClock,
  ) {
    this.outbox = new PostgresRepository<OutboxEvent>(outboxSpec, ds, clock);
  }

  onChange(hook: SpecChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  async create(ctx: TenantContext, input: NewDelivery): Promise<Delivery> {
    const d = newDelivery(ctx, input, this.clock);
    return this.ds.withTenant(ctx, async (tx) => {
      const stored = await this.insert<Delivery>(tx, deliverySpec, d);
      await this.changed(tx, ctx, deliverySpec, stored);
      await this.emit(tx, ctx, deliveryEvent(stored, null, this.clock));
      return stored;
    });
  }

  async transition(ctx: TenantContext, id: string, to: DeliveryState, details: TransitionDetails = {}): Promise<Delivery> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(getSql(deliverySpec, true), idParams(deliverySpec, id, checkTenantContext(ctx)));
      if (!res.rows[0]) throw new NotFoundError('Notify.delivery', id);
      const current = fromRow<Delivery>(deliverySpec, res.rows[0]);
      const next = applyTransition(current, to, details, this.clock.now());
      const { columns, params } = toParams(deliverySpec, next as unknown as Record<string, unknown>);
      const written = await this.run(tx, deliverySpec, updateSql(deliverySpec, columns).sql, [...idParams(deliverySpec, id, checkTenantContext(ctx)), ...params]);
      const stored = fromRow<Delivery>(deliverySpec, written.rows[0]!);
      await this.changed(tx, ctx, deliverySpec, stored);
      await this.emit(tx, ctx, deliveryEvent(stored, current.state, this.clock));
      return stored;
    });
  }

  async get(ctx: TenantContext, id: string): Promise<Delivery | null> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(getSql(deliverySpec), idParams(deliverySpec, id, checkTenantContext(ctx)));
      return res.rows[0] ? fromRow<Delivery>(deliverySpec, res.rows[0]) : null;
    });
  }

  undispatched(ctx: TenantContext, options: { after?: string | null; limit?: number } = {}): Promise<Page<OutboxEvent>> {
    return this.outbox.list(ctx, { where: { dispatchedAt: null }, order: 'default', after: options.after ?? null, limit: options.limit ?? 100 });
  }

  async markDispatched(ctx: TenantContext, eventId: string): Promise<boolean> {
    return this.ds.withTenant(ctx, async (tx) => {
      const current = await this.lockEvent(tx, ctx, eventId);
      if (current.dispatchedAt) return false;
      await this.writeEvent(tx, ctx, dispatched(current, this.clock.now()));
      return true;
    });
  }

  async markDispatchFailed(ctx: TenantContext, eventId: string, error: string): Promise<OutboxEvent> {
    return this.ds.withTenant(ctx, async (tx) => {
      const current = await this.lockEvent(tx, ctx, eventId);
      if (current.dispatchedAt) throw new ValidationError('Notify.outbox_event', 'dispatchedAt', `event ${eventId} was already dispatched`);
      return this.writeEvent(tx, ctx, dispatchFailed(current, error, this.clock.now()));
    });
  }

  private async lockEvent(tx: Tx, ctx: TenantContext, eventId: string): Promise<OutboxEvent> {
    const res = await tx.query(getSql(outboxSpec, true), idParams(outboxSpec, eventId, checkTenantContext(ctx)));
    if (!res.rows[0]) throw new NotFoundError('Notify.outbox_event', eventId);
    return fromRow<OutboxEvent>(outboxSpec, res.rows[0]);
  }

  private async writeEvent(tx: Tx, ctx: TenantContext, next: OutboxEvent): Promise<OutboxEvent> {
    const { columns, params } = toParams(outboxSpec, next as unknown as Record<string, unknown>);
    const res = await this.run(tx, outboxSpec, updateSql(outboxSpec, columns).sql, [...idParams(outboxSpec, next.id, checkTenantContext(ctx)), ...params]);
    const stored = fromRow<OutboxEvent>(outboxSpec, res.rows[0]!);
    await this.changed(tx, ctx, outboxSpec, stored);
    return stored;
  }

  private async emit(tx: Tx, ctx: TenantContext, event: OutboxEvent): Promise<void> {
    const stored = await this.insert<OutboxEvent>(tx, outboxSpec, event);
    await this.changed(tx, ctx, outboxSpec, stored);
  }

  private async insert<E extends Entity>(tx: Tx, spec: EntitySpec, entity: E): Promise<E> {
    const { columns, params } = toParams(spec, entity as unknown as Record<string, unknown>);
    const res = await this.run(tx, spec, insertSql(spec, columns), [...params, null]);
    return fromRow<E>(spec, res.rows[0]!);
  }

  private async changed(tx: Tx, ctx: TenantContext, spec: EntitySpec, entity: Entity): Promise<void> {
    const change: ChangeRecord = { op: 'upsert', id: entity.id, entity, at: entity.updatedAt, legacyId: null, audit: null };
    for (const hook of this.hooks) await hook(spec, change, ctx, tx);
  }

  private async run(tx: Tx, spec: EntitySpec, sql: string, params: unknown[]) {
    try {
      return await tx.query(sql, params);
    } catch (err) {
      const e = err as DatabaseError;
      if (e.code === '23505') throw new DuplicateKeyError(`${spec.module}.${spec.name}`, 'id', { cause: err });
      if (e.code === '23514') throw new ValidationError(`${spec.module}.${spec.name}`, e.constraint ?? 'row', e.message);
      throw err;
    }
  }
}
