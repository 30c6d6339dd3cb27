import { PersistenceError } from '../../interfaces/errors.js';

/** A file in a migration folder whose name is not a valid migration name, or repeats a version. */
export class MigrationNameError extends PersistenceError {
  constructor(readonly file: string, reason: string) {
    super(`Migration file ${file}: ${reason}`);
  }
}

/**
 * An applied migration's file changed since it was applied. Migrations are forward-only: the fix is a
 * new migration, never an edit, so the runner refuses to touch the module.
 */
export class MigrationChecksumError extends PersistenceError {
  constructor(
    readonly file: string,
    readonly module: string,
    readonly recorded: string,
    readonly actual: string,
  ) {
    super(
      `Migration ${file} of module ${module} changed after it was applied ` +
        `(recorded sha256 ${recorded}, file now ${actual}); migrations are forward-only: ` +
        'restore the file and add a new migration instead. Nothing was applied for this module.',
    );
  }
}

/** A migration failed; the message names the file and carries PostgreSQL's message. */
export class MigrationError extends PersistenceError {
  constructor(
    readonly file: string,
    readonly module: string,
    reason: string,
    /** PostgreSQL's SQLSTATE when the database raised the error. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(`Migration ${file} of module ${module} failed: ${reason}`, options);
  }
}
