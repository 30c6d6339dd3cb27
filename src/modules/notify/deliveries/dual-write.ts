import type { Clock } from '../../../interfaces/clock.js';
import type { CustomBinding } from '../../../interfaces/module-definition.js';
import {
  DELIVERY_SERVICE_TOKEN,
  type Delivery,
  type DeliveryService,
  type DeliveryState,
  type NewDelivery,
  type OutboxEvent,
  type TransitionDetails,
} from '../../../interfaces/notify.js';
import type { Page } from '../../../interfaces/repository.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { MongoDbLike } from '../../../mongo/mongo-types.js';
import type { PostgresDataSource } from '../../../postgres/data-source.js';
import { changeReplicatorFor, customDualWriteSettings } from '../../../container/custom-dual-write.js';
import type { ChangeReplicator } from '../../../dualwrite/change-replicator.js';
import { MongoDeliveryService } from './mongo.js';
import { PostgresDeliveryService } from './postgres.js';

/**
 * Deliveries under DualWrite: every change (the delivery and its outbox event, and a sender's
 * dispatch marks) is made on the primary, recorded in the primary's pending log in the same
 * transaction, and applied to the secondary after commit, exactly like DualWriteRepository. The state
 * machine is decided once, on the primary; the secondary receives its results.
 */
export class DualWriteDeliveryService implements DeliveryService {
  constructor(
    private readonly primary: DeliveryService,
    private readonly replicator: ChangeReplicator,
  ) {}

  create(ctx: TenantContext, delivery: NewDelivery): Promise<Delivery> {
    return this.replicator.write(ctx, () => this.primary.create(ctx, delivery));
  }

  transition(ctx: TenantContext, id: string, to: DeliveryState, details?: TransitionDetails): Promise<Delivery> {
    return this.replicator.write(ctx, () => this.primary.transition(ctx, id, to, details));
  }

  get(ctx: TenantContext, id: string): Promise<Delivery | null> {
    return this.primary.get(ctx, id);
  }

  undispatched(ctx: TenantContext, options?: { after?: string | null; limit?: number }): Promise<Page<OutboxEvent>> {
    return this.primary.undispatched(ctx, options);
  }

  markDispatched(ctx: TenantContext, eventId: string): Promise<boolean> {
    return this.replicator.write(ctx, () => this.primary.markDispatched(ctx, eventId));
  }

  markDispatchFailed(ctx: TenantContext, eventId: string, error: string): Promise<OutboxEvent> {
    return this.replicator.write(ctx, () => this.primary.markDispatchFailed(ctx, eventId, error));
  }
}

interface Deps {
  readonly postgres: unknown;
  readonly mongo: unknown;
  readonly clock: unknown;
  readonly config?: unknown;
  readonly applier?: unknown;
}

function need<T>(value: unknown, what: string): T {
  if (!value) throw new Error(`Notify deliveries need ${what}, which is not configured`);
  return value as T;
}

/**
 * The delivery service for Notify's backend (bound under DELIVERY_SERVICE_TOKEN).
 *
 * @example
 * const svc = createDeliveryService('Postgres', { postgres: ds, mongo: null, clock: systemClock });
 */
export function createDeliveryService(backend: 'Mongo' | 'Postgres' | 'DualWrite', deps: Deps): DeliveryService {
  const clock = deps.clock as Clock;
  switch (backend) {
    case 'Postgres':
      return new PostgresDeliveryService(need<PostgresDataSource>(deps.postgres, 'PostgreSQL'), clock);
    case 'Mongo':
      return new MongoDeliveryService(need<MongoDbLike>(deps.mongo, 'MongoDB'), clock);
    case 'DualWrite': {
      const postgres = need<PostgresDataSource>(deps.postgres, 'PostgreSQL');
      const mongo = need<MongoDbLike>(deps.mongo, 'MongoDB');
      const settings = customDualWriteSettings('Notify', deps);
      const primary = settings.Primary === 'Postgres' ? new PostgresDeliveryService(postgres, clock) : new MongoDeliveryService(mongo, clock);
      if (!settings.WriteToBoth) return primary;
      const replicator = changeReplicatorFor('Notify', { postgres, mongo, clock, applier: deps.applier }, settings);
      primary.onChange(replicator.anyHook());
      return new DualWriteDeliveryService(primary, replicator);
    }
  }
}

export const deliveryServiceBinding: CustomBinding = Object.freeze({
  token: DELIVERY_SERVICE_TOKEN,
  create: (backend: 'Mongo' | 'Postgres' | 'DualWrite', deps: Deps) => createDeliveryService(backend, deps),
});
