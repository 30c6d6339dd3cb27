import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { PolicyTokens } from '../../interfaces/policy.js';
import { policyDemo } from './demo.js';
import { policyEntities } from './entities.js';
import { policyProbes } from './probes.js';

export { PackVersionService, packContentHash } from './pack-versions.js';
export { PolicyExceptions, isExceptionActive } from './exceptions.js';

/**
 * The Policy module (schema `policy`): packs, immutable content-hashed pack versions, rules, risk
 * profiles, exceptions (tier A), evaluation runs (tier B: last 30 days by startedAt), audit.
 *
 * @example
 * const runtime = await PersistenceRuntime.start(config, { modules: [policyModule] });
 * const versions = runtime.container.resolve(PackVersionService);
 */
export const policyModule: ModuleDefinition = Object.freeze({
  name: 'Policy',
  folder: 'policy',
  schemas: ['policy'],
  entities: policyEntities,
  tokens: PolicyTokens,
  probes: policyProbes,
  demo: policyDemo,
});
