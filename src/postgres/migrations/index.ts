/**
 * The migration runner (docs/design.md §4.3): forward-only SQL files per module, categorised by name, recorded in
 * `core.migration_history` and `core.schema_version`, serialised per module by an advisory lock.
 */
export type {
  AppliedMigration,
  ChangedMigration,
  MigrationCategory,
  MigrationInfo,
  MigrationRunReport,
  MigrationSet,
  MigrationStatus,
  RunMigrationsOptions,
} from './migration-types.js';
export { MIGRATION_CATEGORIES } from './migration-types.js';
export { MigrationChecksumError, MigrationError, MigrationNameError } from './migration-errors.js';
export { parseMigrationFileName, migrationChecksum, migrationOrder } from './migration-file.js';
export { loadMigrations } from './migration-loader.js';
export { runMigrations, migrationStatus } from './migration-runner.js';
export { packageRoot, moduleMigrationSet, coreMigrationSet } from './package-root.js';
export { APP_GROUP_ROLE, grantAppRole } from './app-role.js';
export { splitSqlStatements } from './sql-statements.js';
