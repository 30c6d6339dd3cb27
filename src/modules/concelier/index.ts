import { ConcelierTokens } from '../../interfaces/concelier.js';
import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { concelierDemo } from './demo.js';
import { concelierEntities } from './entities.js';
import { concelierProbes } from './probes.js';

export { AdvisoryImporter, type ImportOutcome, type RawReference } from './advisory-importer.js';
export { AdvisoryLookup } from './advisory-lookup.js';
export { planAdvisory } from './advisory-plan.js';

/**
 * The Concelier module (schema `vuln`): advisories from OSV-style sources.
 *
 * @example
 * const runtime = await PersistenceRuntime.start(config, { modules: [concelierModule] });
 * const advisories = runtime.repository<Advisory>('Concelier', 'advisory');
 */
export const concelierModule: ModuleDefinition = Object.freeze({
  name: 'Concelier',
  folder: 'concelier',
  schemas: ['vuln'],
  entities: concelierEntities,
  tokens: ConcelierTokens,
  probes: concelierProbes,
  demo: concelierDemo,
});
