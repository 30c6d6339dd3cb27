import type { Clock } from '../../../interfaces/clock.js';
import type { CustomBinding } from '../../../interfaces/module-definition.js';
import { JOB_QUEUE_TOKEN, type JobQueue, type JobQueueOptions } from '../../../interfaces/scheduler.js';
import { MongoJobQueue } from './mongo.js';
import type { MongoDbLike } from '../../../mongo/mongo-types.js';
import { PostgresJobQueue } from './postgres.js';
import type { PostgresDataSource } from '../../../postgres/data-source.js';
import { changeReplicatorFor, customDualWriteSettings } from '../../../container/custom-dual-write.js';
import { queuedJob } from '../entities.js';
import { DualWriteJobQueue } from './dual-write.js';

interface Deps {
  readonly postgres: unknown;
  readonly mongo: unknown;
  readonly clock: unknown;
  readonly config?: unknown;
  readonly applier?: unknown;
}

function need<T>(value: unknown, what: string): T {
  if (!value) throw new Error(`Scheduler job queue needs ${what}, which is not configured`);
  return value as T;
}

/**
 * Builds the queue for the Scheduler's backend (what the container binds under JOB_QUEUE_TOKEN).
 *
 * @example
 * const queue = createJobQueue('Postgres', { postgres: ds, mongo: null, clock: systemClock }, { baseDelayMs: 500 });
 */
export function createJobQueue(backend: 'Mongo' | 'Postgres' | 'DualWrite', deps: Deps, options: Partial<JobQueueOptions> = {}): JobQueue {
  const clock = deps.clock as Clock;
  switch (backend) {
    case 'Postgres':
      return new PostgresJobQueue(need<PostgresDataSource>(deps.postgres, 'PostgreSQL'), clock, options);
    case 'Mongo':
      return new MongoJobQueue(need<MongoDbLike>(deps.mongo, 'MongoDB'), clock, options);
    case 'DualWrite': {
      const postgres = need<PostgresDataSource>(deps.postgres, 'PostgreSQL');
      const mongo = need<MongoDbLike>(deps.mongo, 'MongoDB');
      const settings = customDualWriteSettings('Scheduler', deps);
      const primary = settings.Primary === 'Postgres' ? new PostgresJobQueue(postgres, clock, options) : new MongoJobQueue(mongo, clock, options);
      if (!settings.WriteToBoth) return primary;
      const replicator = changeReplicatorFor('Scheduler', { postgres, mongo, clock, applier: deps.applier }, settings);
      primary.onChange(replicator.hook(queuedJob));
      return new DualWriteJobQueue(primary, replicator);
    }
  }
}

/** The queue's container binding (`ModuleDefinition.custom`). */
export const jobQueueBinding: CustomBinding = Object.freeze({ token: JOB_QUEUE_TOKEN, create: (backend: 'Mongo' | 'Postgres' | 'DualWrite', deps: Deps) => createJobQueue(backend, deps) });
