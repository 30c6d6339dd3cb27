import { DELIVERY_SERVICE_TOKEN, type DeliveryService } from '../../../interfaces/notify.js';
import type { Backend } from '../../../interfaces/modules.js';
import { customStore, type CustomStoreDeps } from '../../../container/custom-store.js';
import { DualWriteDeliveryService } from './dual-write.js';
import { MongoDeliveryService } from './mongo.js';
import { PostgresDeliveryService } from './postgres.js';

/** Notify's deliveries (state machine and outbox) on each backend (bound under DELIVERY_SERVICE_TOKEN). */
export const deliveryStore = customStore<PostgresDeliveryService | MongoDeliveryService, DualWriteDeliveryService>({
  module: 'Notify',
  token: DELIVERY_SERVICE_TOKEN,
  what: 'Notify deliveries',
  postgres: (ds, clock) => new PostgresDeliveryService(ds, clock),
  mongo: (db, clock) => new MongoDeliveryService(db, clock),
  dualWrite: ({ primary, replicator }) => new DualWriteDeliveryService(primary.onChange(replicator.anyHook()), replicator),
});

/**
 * The delivery service for Notify's backend (bound under DELIVERY_SERVICE_TOKEN).
 *
 * @example
 * const svc = createDeliveryService('Postgres', { postgres: ds, mongo: null, clock: systemClock });
 */
export function createDeliveryService(backend: Backend, deps: CustomStoreDeps): DeliveryService {
  return deliveryStore.create(backend, deps);
}
