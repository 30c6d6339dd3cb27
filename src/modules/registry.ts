import type { ModuleDefinition } from '../interfaces/module-definition.js';
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

/**
 * The registered module a name denotes, case-insensitively as every command takes it (`authority`
 * is Authority), or undefined. The one module lookup.
 *
 * @example
 * moduleByName('packsregistry')?.name; // 'PacksRegistry'
 */
export function moduleByName(name: string): ModuleDefinition | undefined {
  const wanted = name.toLowerCase();
  return MODULES.find((m) => m.name.toLowerCase() === wanted);
}

/** The message for a name no registered module has: `unknown module "X"; allowed: Authority, ...`. */
export function unknownModuleMessage(name: string): string {
  return `unknown module ${JSON.stringify(name)}; allowed: ${MODULES.map((m) => m.name).join(', ')}`;
}
