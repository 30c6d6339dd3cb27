import type { Document } from 'bson';
import type { Clock } from '../../../interfaces/clock.js';
import { systemClock } from '../../../interfaces/clock.js';
import type { Entity, EntitySpec } from '../../../interfaces/entity-spec.js';
import { NotFoundError, PersistenceError, ValidationError } from '../../../interfaces/errors.js';
import type {
  Delivery,
  DeliveryService,
  DeliveryState,
  NewDelivery,
  OutboxEvent,
  TransitionDetails,
} from '../../../interfaces/notify.js';
import type { ChangeRecord, Page } from '../../../interfaces/repository.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import { decodeDocument, encodeDocument, EXACT_DOCUMENT_READ } from '../../../mongo/document-codec.js';
import { legacyExtraOf, withLegacyExtra } from '../../../codec/legacy-extra.js';
import { mongoIdForUuid } from '../../../mongo/legacy-id.js';
import { MongoRepository } from '../../../mongo/mongo-repository.js';
import type { MongoCollectionLike, MongoDbLike } from '../../../mongo/mongo-types.js';
import type { SpecChangeHook } from '../../../dualwrite/change-replicator.js';
import { applyTransition, deliveryEvent, dispatched, dispatchFailed, newDelivery } from './rules.js';
import { delivery as deliverySpec, outboxEvent as outboxSpec } from '../entities.js';
import { tenantMatch, tenantRegistryOf } from '../../../mongo/tenant-keys.js';

/**
 * The delivery state machine on MongoDB (collections `deliveries` and `outbox`). A transition is a
 * compare-and-set: the delivery is replaced only if it still has the state and updatedAt it was
 * decided from, so two concurrent transitions cannot both succeed (the loser gets a clear error, as on
 * PostgreSQL where the row lock serialises them). The outbox event follows the delivery write: a
 * standalone MongoDB (or the memory: store) has no multi-document transaction, so a crash between the
 * two loses that event; the delivery's state is the truth a sender can re-scan.
 *
 * @example
 * const svc = new MongoDeliveryService(db);
 * await svc.transition(ctx, id, 'sent', { metadata: { providerMessageId: 'm-1' } });
 */
export class MongoDeliveryService implements DeliveryService {
  private readonly hooks: SpecChangeHook[] = [];
  private readonly deliveries: MongoCollectionLike;
  private readonly events: MongoCollectionLike;
  private readonly outbox: MongoRepository<OutboxEvent>;

  constructor(
    private readonly db: MongoDbLike,
    private readonly clock: Clock = systemClock,
  ) {
    this.deliveries = db.collection(deliverySpec.collection);
    this.events = db.collection(outboxSpec.collection);
    this.outbox = new MongoRepository<OutboxEvent>(outboxSpec, db, clock);
  }

  onChange(hook: SpecChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  async create(ctx: TenantContext, input: NewDelivery): Promise<Delivery> {
    const d = newDelivery(ctx, input, this.clock);
    await this.deliveries.insertOne(encodeDocument(deliverySpec, d as unknown as Record<string, unknown>, null));
    await this.changed(ctx, deliverySpec, d);
    await this.emit(ctx, deliveryEvent(d, null, this.clock));
    return d;
  }

  async transition(ctx: TenantContext, id: string, to: DeliveryState, details: TransitionDetails = {}): Promise<Delivery> {
    const filter = { tenantId: await tenantMatch(this.db, deliverySpec.collection, ctx), _id: mongoIdForUuid(id) };
    const doc = await this.deliveries.findOne(filter, EXACT_DOCUMENT_READ);
    if (!doc) throw new NotFoundError('Notify.delivery', id);
    const current = this.decode<Delivery>(deliverySpec, doc);
    const next = applyTransition(current, to, details, this.clock.now());
    const res = await this.deliveries.replaceOne(
      { ...filter, state: current.state, updatedAt: current.updatedAt },
      encodeDocument(deliverySpec, withLegacyExtra({ ...next }, legacyExtraOf(current)) as unknown as Record<string, unknown>, null),
    );
    if (res.matchedCount === 0) throw new PersistenceError(`Notify.delivery ${id} changed concurrently while going from ${current.state} to ${to}; read it again`);
    await this.changed(ctx, deliverySpec, next);
    await this.emit(ctx, deliveryEvent(next, current.state, this.clock));
    return next;
  }

  async get(ctx: TenantContext, id: string): Promise<Delivery | null> {
    const doc = await this.deliveries.findOne({ tenantId: await tenantMatch(this.db, deliverySpec.collection, ctx), _id: mongoIdForUuid(id) }, EXACT_DOCUMENT_READ);
    return doc ? this.decode<Delivery>(deliverySpec, doc) : null;
  }

  undispatched(ctx: TenantContext, options: { after?: string | null; limit?: number } = {}): Promise<Page<OutboxEvent>> {
    return this.outbox.list(ctx, { where: { dispatchedAt: null }, order: 'default', after: options.after ?? null, limit: options.limit ?? 100 });
  }

  async markDispatched(ctx: TenantContext, eventId: string): Promise<boolean> {
    const current = await this.event(ctx, eventId);
    if (current.dispatchedAt) return false;
    const next = dispatched(current, this.clock.now());
    // Only the sender that still sees it undispatched wins.
    const res = await this.events.replaceOne({ tenantId: await tenantMatch(this.db, outboxSpec.collection, ctx), _id: mongoIdForUuid(eventId), dispatchedAt: null, updatedAt: current.updatedAt }, this.encodeEvent(withLegacyExtra({ ...next }, legacyExtraOf(current))));
    if (res.matchedCount === 0) return false;
    await this.changed(ctx, outboxSpec, next);
    return true;
  }

  async markDispatchFailed(ctx: TenantContext, eventId: string, error: string): Promise<OutboxEvent> {
    const current = await this.event(ctx, eventId);
    if (current.dispatchedAt) throw new ValidationError('Notify.outbox_event', 'dispatchedAt', `event ${eventId} was already dispatched`);
    const next = dispatchFailed(current, error, this.clock.now());
    const res = await this.events.replaceOne({ tenantId: await tenantMatch(this.db, outboxSpec.collection, ctx), _id: mongoIdForUuid(eventId), dispatchedAt: null, updatedAt: current.updatedAt }, this.encodeEvent(withLegacyExtra({ ...next }, legacyExtraOf(current))));
    if (res.matchedCount === 0) throw new PersistenceError(`Notify.outbox_event ${eventId} changed concurrently; read it again`);
    await this.changed(ctx, outboxSpec, next);
    return next;
  }

  private async event(ctx: TenantContext, eventId: string): Promise<OutboxEvent> {
    const doc = await this.events.findOne({ tenantId: await tenantMatch(this.db, outboxSpec.collection, ctx), _id: mongoIdForUuid(eventId) }, EXACT_DOCUMENT_READ);
    if (!doc) throw new NotFoundError('Notify.outbox_event', eventId);
    return this.decode<OutboxEvent>(outboxSpec, doc);
  }

  private encodeEvent(event: OutboxEvent): Document {
    return encodeDocument(outboxSpec, event as unknown as Record<string, unknown>, null);
  }

  private async emit(ctx: TenantContext, event: OutboxEvent): Promise<void> {
    await this.events.insertOne(this.encodeEvent(event));
    await this.changed(ctx, outboxSpec, event);
  }

  private decode<E>(spec: EntitySpec, doc: Document): E {
    return decodeDocument(spec, doc, undefined, tenantRegistryOf(this.db)).entity as unknown as E;
  }

  private async changed(ctx: TenantContext, spec: EntitySpec, entity: Entity): Promise<void> {
    const change: ChangeRecord = { op: 'upsert', id: entity.id, entity, at: entity.updatedAt, legacyId: null, audit: null };
    for (const hook of this.hooks) await hook(spec, change, ctx, null);
  }
}
