import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { MODULE_NAMES } from '../../interfaces/modules.js';
import { MODULES, moduleByName, unknownModuleMessage } from '../../modules/registry.js';
import { UsageError } from '../cli-support.js';

/** The modules a `--module` option names (all registered ones when absent), refusing unknown names. */
export function selectModules(names: readonly string[] | string | undefined): ModuleDefinition[] {
  if (names === undefined || (Array.isArray(names) && names.length === 0)) return [...MODULES];
  const wanted = (Array.isArray(names) ? names : [names]).flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean);
  return wanted.map((name) => {
    const found = moduleByName(name);
    if (!found) {
      const pending = MODULE_NAMES.filter((m) => !MODULES.some((d) => d.name === m));
      throw new UsageError(`${unknownModuleMessage(name)}${pending.length ? ` (not yet available: ${pending.join(', ')})` : ''}`);
    }
    return found;
  });
}

/** Every PostgreSQL schema the given modules own, plus core. */
export function schemasOf(modules: readonly ModuleDefinition[]): string[] {
  return [...new Set(['core', ...modules.flatMap((m) => m.schemas)])].sort();
}
