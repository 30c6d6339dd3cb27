import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { NotifyTokens } from '../../interfaces/notify.js';
import { deliveryStore } from './deliveries/index.js';
import { notifyDemo } from './demo.js';
import { DELIVERY_RETENTION_MONTHS, notifyEntities } from './entities.js';
import { notifyProbes } from './probes.js';

/** The Notify module (schema `notify`; its outbox is `core.outbox`). */
export const notifyModule: ModuleDefinition = Object.freeze({
  name: 'Notify',
  folder: 'notify',
  schemas: ['notify'],
  entities: notifyEntities,
  tokens: NotifyTokens,
  probes: notifyProbes,
  demo: notifyDemo,
  partitions: [{ schema: 'notify', table: 'delivery', column: 'created_at', retentionMonths: DELIVERY_RETENTION_MONTHS }],
  custom: [deliveryStore],
});
