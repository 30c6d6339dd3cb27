import { ExcititorTokens } from '../../interfaces/excititor.js';
import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { triageQueueStore } from './triage-queue/index.js';
import { unknownsStore } from './unknowns/index.js';
import { excititorDemo } from './demo.js';
import { TIMELINE_RETENTION_MONTHS, excititorEntities } from './entities.js';
import { excititorProbes } from './probes.js';

/** The Excititor module (schemas `vex` and `unknowns`). */
export const excititorModule: ModuleDefinition = Object.freeze({
  name: 'Excititor',
  folder: 'excititor',
  schemas: ['vex', 'unknowns'],
  entities: excititorEntities,
  tokens: ExcititorTokens,
  probes: excititorProbes,
  demo: excititorDemo,
  partitions: [{ schema: 'vex', table: 'timeline_event', column: 'occurred_at', retentionMonths: TIMELINE_RETENTION_MONTHS }],
  custom: [unknownsStore, triageQueueStore],
});
