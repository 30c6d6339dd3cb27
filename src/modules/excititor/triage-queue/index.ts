import { ExcititorCustomTokens, type TriageQueueRepository } from '../../../interfaces/excititor.js';
import type { Backend } from '../../../interfaces/modules.js';
import { customStore, type CustomStoreDeps } from '../../../container/custom-store.js';
import { DualWriteTriageQueue } from './dual-write.js';
import { MongoTriageQueue } from './mongo.js';
import { PostgresTriageQueue } from './postgres.js';

/**
 * The triage queue on each backend. A read model: under DualWrite nothing is replicated (its sources
 * are generic entities), reads go to the primary and a refresh refreshes the PostgreSQL view.
 */
export const triageQueueStore = customStore<PostgresTriageQueue | MongoTriageQueue, DualWriteTriageQueue>({
  module: 'Excititor',
  token: ExcititorCustomTokens.triage_queue,
  what: 'Excititor triage queue',
  postgres: (ds) => new PostgresTriageQueue(ds),
  mongo: (db) => new MongoTriageQueue(db),
  dualWrite: ({ primary, build }) => new DualWriteTriageQueue(primary, build('Postgres')),
  wrapAlways: true,
});

/**
 * The triage queue for the module's backend.
 *
 * @example
 * const queue = createTriageQueue('Postgres', { postgres: ds, mongo: null, clock: systemClock });
 */
export function createTriageQueue(backend: Backend, deps: CustomStoreDeps): TriageQueueRepository {
  return triageQueueStore.create(backend, deps);
}
