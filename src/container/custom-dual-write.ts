import type { DualWriteSettings } from '../config/persistence-config.js';
import { dualWriteFor, type PersistenceConfig } from '../config/persistence-config.js';
import { ChangeReplicator } from '../dualwrite/change-replicator.js';
import type { PendingApplier } from '../dualwrite/pending-applier.js';
import type { Clock } from '../interfaces/clock.js';
import type { ModuleName } from '../interfaces/modules.js';
import { qualifiedName } from '../codec/fields.js';
import { MongoPendingLog } from '../mongo/mongo-pending-log.js';
import type { MongoDbLike } from '../mongo/mongo-types.js';
import { MongoRepository } from '../mongo/mongo-repository.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { PostgresPendingLog } from '../postgres/pg-pending-log.js';
import { PostgresRepository } from '../postgres/postgres-repository.js';

/**
 * The replicator of a module whose custom binding was built for DualWrite: the pending log in the
 * primary store, the generic repositories of the other store as secondary, and the runtime's
 * applier (`deps.applier`, which the container passes) so every store shares one bounded queue.
 *
 * @example
 * const replicator = changeReplicatorFor('Scheduler', deps, customDualWriteSettings('Scheduler', deps));
 */
export function changeReplicatorFor(
  module: ModuleName,
  deps: { readonly postgres: PostgresDataSource; readonly mongo: MongoDbLike; readonly clock: Clock; readonly applier?: unknown },
  settings: Pick<DualWriteSettings, 'Primary'>,
): ChangeReplicator {
  const pgPrimary = settings.Primary === 'Postgres';
  return new ChangeReplicator({
    pendingLog: pgPrimary ? new PostgresPendingLog(deps.postgres) : new MongoPendingLog(deps.mongo),
    target: pgPrimary ? 'Mongo' : 'Postgres',
    secondary: (spec) => {
      if (spec.module !== module) throw new Error(`${qualifiedName(spec)} is not an entity of ${module}`);
      return pgPrimary ? new MongoRepository(spec, deps.mongo, deps.clock) : new PostgresRepository(spec, deps.postgres, deps.clock);
    },
    ...(deps.applier ? { applier: deps.applier as PendingApplier } : {}),
  });
}

/** The DualWrite settings (global block merged with the module's override) a custom binding works with. */
export function customDualWriteSettings(module: ModuleName, deps: { readonly config?: unknown }): Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'> {
  if (!deps.config) throw new Error(`${module}: a DualWrite custom binding needs the config (deps.config)`);
  const s = dualWriteFor(deps.config as PersistenceConfig, module);
  return { Primary: s.Primary, WriteToBoth: s.WriteToBoth };
}
