import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationSet } from './migration-types.js';

let root: string | undefined;

/**
 * The folder holding package.json, found by walking up from this file, so it answers the same from
 * `src/` (ts-node, tests) and from `dist/src/` (the built CLI). Migration `.sql` files are read from
 * the source tree under it, because `tsc` does not copy them into `dist/`.
 *
 * @example
 * join(packageRoot(), 'src/modules/core/migrations');
 */
export function packageRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`No package.json above ${start}`);
  }
}

/**
 * The migration set of a module whose files live in `src/modules/<folder>/migrations`.
 *
 * @example
 * await runMigrations(adminUrl, [coreMigrationSet(), moduleMigrationSet('Authority')]);
 */
export function moduleMigrationSet(module: string, folder: string = module.toLowerCase()): MigrationSet {
  return { module, dir: join(packageRoot(), 'src', 'modules', folder, 'migrations') };
}

/** The `core` module's migrations (schemas, the app role): always the first set to run. */
export function coreMigrationSet(): MigrationSet {
  return moduleMigrationSet('core');
}
