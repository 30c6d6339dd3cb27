import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { coreMigrationSet, moduleMigrationSet, type MigrationSet } from '../postgres/migrations/index.js';

/** `core` first, then each module's folder, in registry order. */
export function migrationSetsFor(modules: readonly ModuleDefinition[]): MigrationSet[] {
  return [coreMigrationSet(), ...modules.map((m) => moduleMigrationSet(m.name, m.folder))];
}
