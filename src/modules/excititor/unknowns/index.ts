import { ExcititorCustomTokens } from '../../../interfaces/excititor.js';
import type { Backend } from '../../../interfaces/modules.js';
import type { UnknownsRepository } from '../../../interfaces/unknowns.js';
import { customStore, type CustomStoreDeps } from '../../../container/custom-store.js';
import { unknown } from '../entities.js';
import { DualWriteBitemporalRepository } from './dual-write.js';
import { MongoBitemporalRepository } from './mongo.js';
import { PostgresBitemporalRepository } from './postgres.js';

/** The bitemporal Unknowns on each backend (bound under ExcititorCustomTokens.unknowns). */
export const unknownsStore = customStore<PostgresBitemporalRepository | MongoBitemporalRepository, DualWriteBitemporalRepository>({
  module: 'Excititor',
  token: ExcititorCustomTokens.unknowns,
  what: 'Excititor unknowns',
  postgres: (ds, clock) => new PostgresBitemporalRepository(unknown, ds, clock),
  mongo: (db, clock) => new MongoBitemporalRepository(unknown, db, clock),
  dualWrite: ({ primary, replicator }) => new DualWriteBitemporalRepository(unknown, primary, replicator),
});

/**
 * The bitemporal Unknowns repository for the module's backend.
 *
 * @example
 * const unknowns = createUnknownsRepository('Postgres', { postgres, mongo: null, clock: systemClock });
 */
export function createUnknownsRepository(backend: Backend, deps: CustomStoreDeps): UnknownsRepository {
  return unknownsStore.create(backend, deps);
}
