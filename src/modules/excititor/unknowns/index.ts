import type { DualWriteSettings, PersistenceConfig } from '../../../config/persistence-config.js';
import { customDualWriteSettings } from '../../../container/custom-dual-write.js';
import { DualWriteBitemporalRepository } from './dual-write.js';
import type { PendingApplier } from '../../../dualwrite/pending-applier.js';
import type { Clock } from '../../../interfaces/clock.js';
import { ExcititorCustomTokens, type TriageQueueRepository } from '../../../interfaces/excititor.js';
import type { CustomBinding } from '../../../interfaces/module-definition.js';
import type { Backend } from '../../../interfaces/modules.js';
import type { UnknownsRepository } from '../../../interfaces/unknowns.js';
import { MongoBitemporalRepository } from './mongo.js';
import { MongoPendingLog } from '../../../mongo/mongo-pending-log.js';
import { MongoRepository } from '../../../mongo/mongo-repository.js';
import type { MongoDbLike } from '../../../mongo/mongo-types.js';
import { PostgresBitemporalRepository } from './postgres.js';
import type { PostgresDataSource } from '../../../postgres/data-source.js';
import { PostgresPendingLog } from '../../../postgres/pg-pending-log.js';
import { PostgresRepository } from '../../../postgres/postgres-repository.js';
import { unknown } from '../entities.js';
import { DualWriteTriageQueue, MongoTriageQueue, PostgresTriageQueue } from '../triage-queue/postgres.js';

/** What the container hands a custom binding (module-definition.ts types it loosely). */
export interface ExcititorDeps {
  readonly postgres: PostgresDataSource | null;
  readonly mongo: MongoDbLike | null;
  readonly clock: Clock;
  /** The module's DualWrite block (tests), else taken from `config`, which the container passes. */
  readonly dualWrite?: Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'>;
  readonly config?: PersistenceConfig;
  /** The runtime's DualWrite applier (the container passes it). */
  readonly applier?: unknown;
}

/** The DualWrite settings of Excititor: given explicitly (tests), else the module's block of the config. */
export function excititorDualWrite(deps: ExcititorDeps): Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'> {
  return deps.dualWrite ?? customDualWriteSettings('Excititor', deps);
}

function need<T>(value: T | null | undefined, what: string): T {
  if (!value) throw new Error(`Excititor needs ${what}, which is not configured`);
  return value;
}

/**
 * The bitemporal Unknowns repository for the module's backend.
 *
 * @example
 * const unknowns = createUnknownsRepository('Postgres', { postgres, mongo: null, clock: systemClock });
 */
export function createUnknownsRepository(backend: Backend, deps: ExcititorDeps): UnknownsRepository {
  const pg = () => new PostgresBitemporalRepository(unknown, need(deps.postgres, 'PostgreSQL'), deps.clock);
  const mongo = () => new MongoBitemporalRepository(unknown, need(deps.mongo, 'MongoDB'), deps.clock);
  switch (backend) {
    case 'Postgres':
      return pg();
    case 'Mongo':
      return mongo();
    case 'DualWrite': {
      const settings = excititorDualWrite(deps);
      const postgres = need(deps.postgres, 'PostgreSQL');
      const db = need(deps.mongo, 'MongoDB');
      const applier = deps.applier ? { applier: deps.applier as PendingApplier } : {};
      return settings.Primary === 'Postgres'
        ? new DualWriteBitemporalRepository({ spec: unknown, primary: pg(), secondary: new MongoRepository(unknown, db, deps.clock), settings, pendingLog: new PostgresPendingLog(postgres), ...applier })
        : new DualWriteBitemporalRepository({ spec: unknown, primary: mongo(), secondary: new PostgresRepository(unknown, postgres, deps.clock), settings, pendingLog: new MongoPendingLog(db), ...applier });
    }
  }
}

/** The triage queue for the module's backend. */
export function createTriageQueue(backend: Backend, deps: ExcititorDeps): TriageQueueRepository {
  switch (backend) {
    case 'Postgres':
      return new PostgresTriageQueue(need(deps.postgres, 'PostgreSQL'));
    case 'Mongo':
      return new MongoTriageQueue(need(deps.mongo, 'MongoDB'));
    case 'DualWrite': {
      const postgres = new PostgresTriageQueue(need(deps.postgres, 'PostgreSQL'));
      const primary = excititorDualWrite(deps).Primary === 'Postgres' ? postgres : new MongoTriageQueue(need(deps.mongo, 'MongoDB'));
      return new DualWriteTriageQueue(primary, postgres);
    }
  }
}

export const excititorCustomBindings: readonly CustomBinding[] = [
  { token: ExcititorCustomTokens.unknowns, create: (backend, deps) => createUnknownsRepository(backend, deps as ExcititorDeps) },
  { token: ExcititorCustomTokens.triage_queue, create: (backend, deps) => createTriageQueue(backend, deps as ExcititorDeps) },
];
