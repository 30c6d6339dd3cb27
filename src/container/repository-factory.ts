import 'reflect-metadata';
import { inject, injectable, optional } from 'inversify';
import type { PersistenceConfig } from '../config/persistence-config.js';
import { dualWriteFor } from '../config/persistence-config.js';
import type { DualWriteEvent } from '../dualwrite/dual-write-repository.js';
import { DualWriteRepository } from '../dualwrite/dual-write-repository.js';
import type { PendingApplier } from '../dualwrite/pending-applier.js';
import type { PendingLog } from '../dualwrite/pending-log.js';
import type { Clock } from '../interfaces/clock.js';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { EntityRepository } from '../interfaces/repository.js';
import type { MongoDataSource } from '../mongo/mongo-data-source.js';
import { MongoRepository } from '../mongo/mongo-repository.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { PostgresRepository } from '../postgres/postgres-repository.js';
import { CoreTokens } from './tokens.js';

/**
 * Builds the repository of a declared entity for the backend its module's `Persistence` key
 * selects: what the container binds under each entity token, and what the reconciler replays into.
 * Services ask the container. Custom stores are built by `customStore` (custom-store.ts); tools that
 * must talk to one backend on purpose (conversion, parity, follow, the deliveries' outbox) build the
 * generic repositories themselves.
 */
@injectable()
export class RepositoryFactory {
  constructor(
    @inject(CoreTokens.Config) private readonly config: PersistenceConfig,
    @inject(CoreTokens.Clock) private readonly clock: Clock,
    @inject(CoreTokens.Postgres) @optional() private readonly postgres: PostgresDataSource | undefined,
    @inject(CoreTokens.Mongo) @optional() private readonly mongo: MongoDataSource | undefined,
    @inject(CoreTokens.PostgresPendingLog) @optional() private readonly pgPending: PendingLog | undefined,
    @inject(CoreTokens.MongoPendingLog) @optional() private readonly mongoPending: PendingLog | undefined,
    @inject(CoreTokens.Publisher) @optional() private readonly publish: ((e: DualWriteEvent) => void) | undefined,
    @inject(CoreTokens.DualWriteApplier) @optional() private readonly applier: PendingApplier | undefined,
  ) {}

  create<E extends Entity>(spec: EntitySpec): EntityRepository<E> {
    const backend = this.config.Persistence[spec.module];
    switch (backend) {
      case 'Mongo':
        return this.mongoRepo<E>(spec);
      case 'Postgres':
        return this.pgRepo<E>(spec);
      case 'DualWrite': {
        const settings = dualWriteFor(this.config, spec.module);
        const pendingLog = settings.Primary === 'Postgres' ? this.pgPending : this.mongoPending;
        if (!pendingLog) throw new Error(`DualWrite of ${spec.module} needs its pending log in ${settings.Primary}`);
        return new DualWriteRepository<E>({
          spec,
          postgres: this.pgRepo<E>(spec),
          mongo: this.mongoRepo<E>(spec),
          settings,
          pendingLog,
          ...(this.publish ? { publish: this.publish } : {}),
          ...(this.applier ? { applier: this.applier } : {}),
        });
      }
    }
  }

  pgRepo<E extends Entity>(spec: EntitySpec): PostgresRepository<E> {
    if (!this.postgres) throw new Error(`${spec.module} needs PostgreSQL, which is not configured`);
    return new PostgresRepository<E>(spec, this.postgres, this.clock);
  }

  mongoRepo<E extends Entity>(spec: EntitySpec): MongoRepository<E> {
    if (!this.mongo) throw new Error(`${spec.module} needs MongoDB, which is not configured`);
    return new MongoRepository<E>(spec, this.mongo.db, this.clock);
  }
}
