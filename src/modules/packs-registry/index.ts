import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { PacksRegistryTokens } from '../../interfaces/packs-registry.js';
import { packsRegistryDemo } from './demo.js';
import { packsRegistryEntities } from './entities.js';
import { packsRegistryProbes } from './probes.js';

export { RegistryPublisher, isLegalTransition } from './publication.js';

/**
 * The PacksRegistry module: registry entries and versions (tier A), audit. Its tables are in
 * schema `policy` (`registry_entry`, `registry_version`, `registry_audit_log`) but it has its own
 * `Persistence.PacksRegistry` key and its own migrations, so it moves independently of Policy.
 *
 * @example
 * const runtime = await PersistenceRuntime.start(config, { modules: [packsRegistryModule] });
 * const publisher = runtime.container.resolve(RegistryPublisher);
 */
export const packsRegistryModule: ModuleDefinition = Object.freeze({
  name: 'PacksRegistry',
  folder: 'packs-registry',
  schemas: ['policy'],
  entities: packsRegistryEntities,
  tokens: PacksRegistryTokens,
  probes: packsRegistryProbes,
  demo: packsRegistryDemo,
});
