import { createHash } from 'node:crypto';
import { MIGRATION_CATEGORIES, type MigrationCategory } from './migration-types.js';

/** What a migration file name says. */
export interface ParsedMigrationName {
  version: string;
  /** The number inside the version (`1` for `001`, `S001` and `DM001`). */
  number: number;
  name: string;
  category: MigrationCategory;
}

// Three digits exactly, so names sort the same as text and as numbers. The name part is what follows
// the first underscore: letters, digits, `_` and `-`.
const NAME_PATTERN = /^(DM|S)?(\d{3})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

/**
 * Parses `NNN_name.sql` (001-099 startup, 100-199 release), `S001_name.sql` (seed) or
 * `DM001_name.sql` (data migration). Returns the reason as a string when the name is not valid.
 *
 * @example
 * parseMigrationFileName('002_app_role.sql'); // { version: '002', number: 2, name: 'app_role', category: 'startup' }
 * parseMigrationFileName('200_x.sql');        // 'numbered migrations must be 001-099 (startup) or 100-199 (release)'
 */
export function parseMigrationFileName(fileName: string): ParsedMigrationName | string {
  const match = NAME_PATTERN.exec(fileName);
  if (!match) {
    return 'not a migration name: expected NNN_name.sql (001-199), S001_name.sql .. S999 or DM001_name.sql .. DM999';
  }
  const [, prefix, digits, name] = match as unknown as [string, string | undefined, string, string];
  const number = Number(digits);
  if (prefix === undefined) {
    if (number < 1 || number > 199) return 'numbered migrations must be 001-099 (startup) or 100-199 (release)';
    return { version: digits, number, name, category: number < 100 ? 'startup' : 'release' };
  }
  if (number < 1) return `${prefix} migrations are numbered ${prefix}001-${prefix}999`;
  return { version: `${prefix}${digits}`, number, name, category: prefix === 'S' ? 'seed' : 'data' };
}

/** sha256 (hex) of a file's bytes: what `core.migration_history.checksum` records. */
export function migrationChecksum(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const NO_TRANSACTION = /^--\s*migrate:\s*no-transaction\s*$/i;

/**
 * True unless the file's first line is `-- migrate: no-transaction`, the directive for statements
 * PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE
 * before 12, VACUUM).
 */
export function isTransactional(sql: string): boolean {
  const firstLine = sql.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return !NO_TRANSACTION.test(firstLine.trim());
}

/**
 * Application order within a module: startup, release, seed, data; by number within a category.
 *
 * @example
 * [{ version: "S001", category: "seed" }, { version: "002", category: "startup" }].sort(migrationOrder); // 002, S001
 */
export function migrationOrder(
  a: { readonly category: MigrationCategory; readonly version: string },
  b: { readonly category: MigrationCategory; readonly version: string },
): number {
  const number = (version: string) => Number(version.replace(/^\D+/, ''));
  return MIGRATION_CATEGORIES.indexOf(a.category) - MIGRATION_CATEGORIES.indexOf(b.category) || number(a.version) - number(b.version);
}
