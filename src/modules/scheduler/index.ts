import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { SchedulerTokens } from '../../interfaces/scheduler.js';
import { schedulerDemo } from './demo.js';
import { EXECUTION_LOG_RETENTION_MONTHS, RUN_RETENTION_MONTHS, schedulerEntities } from './entities.js';
import { jobQueueStore } from './job-queue/index.js';
import { schedulerProbes } from './probes.js';

/** The Scheduler module (schema `scheduler`). */
export const schedulerModule: ModuleDefinition = Object.freeze({
  name: 'Scheduler',
  folder: 'scheduler',
  schemas: ['scheduler'],
  entities: schedulerEntities,
  tokens: SchedulerTokens,
  probes: schedulerProbes,
  demo: schedulerDemo,
  partitions: [
    { schema: 'scheduler', table: 'run', column: 'created_at', retentionMonths: RUN_RETENTION_MONTHS },
    { schema: 'scheduler', table: 'execution_log', column: 'created_at', retentionMonths: EXECUTION_LOG_RETENTION_MONTHS },
  ],
  custom: [jobQueueStore],
});
