import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationNameError } from './migration-errors.js';
import { isTransactional, migrationChecksum, migrationOrder, parseMigrationFileName } from './migration-file.js';
import type { MigrationInfo, MigrationSet } from './migration-types.js';

/** A migration with its text, for the runner (the public `MigrationInfo` stays free of SQL). */
export interface MigrationSource {
  readonly info: MigrationInfo;
  readonly sql: string;
}

/**
 * Reads a module's migration folder: every entry (except dot-files) must be a valid migration name,
 * versions are unique, and the result is in application order: startup by number, then release,
 * then seed, then data migrations.
 *
 * @example
 * const migrations = await loadMigrations({ module: 'core', dir: join(packageRoot(), 'src/modules/core/migrations') });
 * migrations.map((m) => m.version); // ['001', '002', ...]
 */
export async function loadMigrations(set: MigrationSet): Promise<MigrationInfo[]> {
  return (await readMigrationSources(set)).map((m) => m.info);
}

/** `loadMigrations` with each file's text. */
export async function readMigrationSources(set: MigrationSet): Promise<MigrationSource[]> {
  if (!set.module.trim()) throw new Error(`Migration set for ${set.dir} has no module name`);
  let entries;
  try {
    entries = await readdir(set.dir, { withFileTypes: true });
  } catch (err) {
    throw new Error(`Migration folder of module ${set.module} cannot be read: ${set.dir}: ${(err as Error).message}`, { cause: err });
  }

  const byVersion = new Map<string, MigrationSource>();
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // editor and VCS droppings
    const file = join(set.dir, entry.name);
    if (!entry.isFile()) throw new MigrationNameError(file, 'a migration folder holds only migration files');
    const parsed = parseMigrationFileName(entry.name);
    if (typeof parsed === 'string') throw new MigrationNameError(file, parsed);
    const duplicate = byVersion.get(parsed.version);
    if (duplicate) throw new MigrationNameError(file, `version ${parsed.version} is also used by ${duplicate.info.file}`);

    const bytes = await readFile(file);
    const sql = bytes.toString('utf8').replace(/^\uFEFF/, '');
    byVersion.set(parsed.version, {
      sql,
      info: {
        module: set.module,
        version: parsed.version,
        name: parsed.name,
        category: parsed.category,
        checksum: migrationChecksum(bytes),
        file,
        transactional: isTransactional(sql),
      },
    });
  }

  return [...byVersion.values()].sort((a, b) => migrationOrder(a.info, b.info));
}
