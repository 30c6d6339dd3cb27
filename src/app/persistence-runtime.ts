import type { PersistenceConfig } from '../config/persistence-config.js';
import { ModuleRuntime, type RuntimeOptions } from '../container/module-runtime.js';
import { MODULES } from '../modules/registry.js';

export type { BackendHealth, RuntimeOptions } from '../container/module-runtime.js';

/**
 * The persistence layer of a service: a ModuleRuntime over every registered module (or the
 * `modules` of the options). This is where the modules meet the container (src/container imports
 * no module; the modules are handed to it here).
 *
 * @example
 * const runtime = await PersistenceRuntime.start(loadConfig());
 * const users = runtime.get<UserRepository>(AuthorityTokens.user);
 * await runtime.close();
 */
export class PersistenceRuntime extends ModuleRuntime {
  static override async start(config: PersistenceConfig, options: RuntimeOptions = {}): Promise<PersistenceRuntime> {
    return (await super.start(config, { ...options, modules: options.modules ?? MODULES })) as PersistenceRuntime;
  }
}
