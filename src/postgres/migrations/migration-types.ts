/**
 * The shapes the migration runner reads and reports (docs/design.md §4.3).
 *
 * Categories come from the file name (ADR-0001): `001-099` startup, `100-199` release,
 * `S001-S999` seed, `DM001-DM999` data migrations.
 */
export type MigrationCategory = 'startup' | 'release' | 'seed' | 'data';

/** Every category, in the order the runner applies them within a module. */
export const MIGRATION_CATEGORIES: readonly MigrationCategory[] = ['startup', 'release', 'seed', 'data'];

/**
 * One module's migrations: the `.sql` files of one folder.
 *
 * @example
 * const set: MigrationSet = { module: 'core', dir: join(packageRoot(), 'src/modules/core/migrations') };
 */
export interface MigrationSet {
  /** The module's config key: 'core', 'Authority', 'Scheduler', ... (history is keyed by it). */
  readonly module: string;
  /** Absolute folder holding the module's `.sql` files. */
  readonly dir: string;
}

/** One migration file, as found on disk. */
export interface MigrationInfo {
  module: string;
  /** `001`, `100`, `S001`, `DM001`: the file name's prefix, unique within a module. */
  version: string;
  /** The file name after `<version>_`, without `.sql`. */
  name: string;
  category: MigrationCategory;
  /** sha256 (hex) of the file's bytes. */
  checksum: string;
  /** Absolute path of the file. */
  file: string;
  /** False when the first line is `-- migrate: no-transaction`. */
  transactional: boolean;
}

/** A migration recorded in `core.migration_history`. */
export interface AppliedMigration extends MigrationInfo {
  appliedAt: Date;
  durationMs: number;
}

/** What one `runMigrations` call did for one module. */
export interface MigrationRunReport {
  module: string;
  /** Applied by this call, in order. */
  applied: MigrationInfo[];
  /** Release migrations not applied (start-up reports them; `migrate --release` applies them). */
  pendingRelease: MigrationInfo[];
  /** Startup, seed and data migrations not applied because their category was not selected. */
  pendingOther: MigrationInfo[];
}

export interface RunMigrationsOptions {
  /** Categories to apply; default `['startup']` (what service start-up does). */
  categories?: MigrationCategory[];
  /** One line per step (lock waits, applied migrations, data-migration batches). */
  log?: (line: string) => void;
}

/** An applied migration whose file no longer has the bytes that were applied (forward-only broken). */
export interface ChangedMigration {
  version: string;
  /** Absolute path of the file as it is now. */
  file: string;
  /** sha256 recorded in `core.migration_history` when it was applied. */
  recorded: string;
  /** sha256 of the file now. */
  actual: string;
}

/** `migrationStatus` answer for one module. */
export interface MigrationStatus {
  module: string;
  applied: AppliedMigration[];
  pending: MigrationInfo[];
  /** Applied migrations whose file changed since: `migrate` refuses the module until it is restored. */
  changed: ChangedMigration[];
}
