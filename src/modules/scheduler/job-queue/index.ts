import { JOB_QUEUE_TOKEN, type JobQueue, type JobQueueOptions } from '../../../interfaces/scheduler.js';
import type { Backend } from '../../../interfaces/modules.js';
import { customStore, type CustomStoreDeps } from '../../../container/custom-store.js';
import { queuedJob } from '../entities.js';
import { DualWriteJobQueue } from './dual-write.js';
import { MongoJobQueue } from './mongo.js';
import { PostgresJobQueue } from './postgres.js';

/** The Scheduler's job queue on each backend (bound under JOB_QUEUE_TOKEN). */
export const jobQueueStore = customStore<PostgresJobQueue | MongoJobQueue, DualWriteJobQueue, Partial<JobQueueOptions>>({
  module: 'Scheduler',
  token: JOB_QUEUE_TOKEN,
  what: 'Scheduler job queue',
  postgres: (ds, clock, options) => new PostgresJobQueue(ds, clock, options),
  mongo: (db, clock, options) => new MongoJobQueue(db, clock, options),
  dualWrite: ({ primary, replicator }) => new DualWriteJobQueue(primary.onChange(replicator.hook(queuedJob)), replicator),
});

/**
 * Builds the queue for the Scheduler's backend (what the container binds under JOB_QUEUE_TOKEN).
 *
 * @example
 * const queue = createJobQueue('Postgres', { postgres: ds, mongo: null, clock: systemClock }, { baseDelayMs: 500 });
 */
export function createJobQueue(backend: Backend, deps: CustomStoreDeps, options: Partial<JobQueueOptions> = {}): JobQueue {
  return jobQueueStore.create(backend, deps, options);
}
