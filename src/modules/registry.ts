import type { ModuleDefinition } from '../interfaces/module-definition.js';
import type { ModuleName } from '../interfaces/modules.js';
import { authorityModule } from './authority/index.js';
import { concelierModule } from './concelier/index.js';
import { artifactModule } from './artifact/index.js';
import { excititorModule } from './excititor/index.js';
import { schedulerModule } from './scheduler/index.js';
import { notifyModule } from './notify/index.js';
import { policyModule } from './policy/index.js';
import { packsRegistryModule } from './packs-registry/index.js';
import { issuerDirectoryModule } from './issuer-directory/index.js';

/**
 * Every module the adapter knows, in migration order. Adding a module is one line here plus its
 * folder under src/modules/.
 */
export const MODULES: readonly ModuleDefinition[] = Object.freeze([authorityModule, concelierModule, artifactModule, excititorModule, schedulerModule, notifyModule, policyModule, packsRegistryModule, issuerDirectoryModule]);

export function moduleByName(name: ModuleName): ModuleDefinition | undefined {
  return MODULES.find((m) => m.name === name);
}
