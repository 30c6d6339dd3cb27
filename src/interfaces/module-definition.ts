import type { Document } from 'bson';
import type { Entity, EntitySpec } from './entity-spec.js';
import type { ModuleName } from './modules.js';
import type { EntityRepository } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * One output-parity probe: a repository call run against the Mongo and the Postgres
 * implementation with the same arguments; the canonical outputs must be identical, order included.
 */
export interface OutputProbe {
  /** Unique, stable name within the module (report rows are keyed and sorted by it). */
  readonly name: string;
  /** Entity name of the repository the probe calls. */
  readonly entity: string;
  /**
   * For list probes: the declared order the output follows. Items equal on that order's keys are
   * compared up to their tie-breaker (MongoDB breaks ties by `_id`, PostgreSQL by `id`).
   */
  readonly order?: string;
  readonly call: (repo: EntityRepository<Entity>, ctx: TenantContext) => Promise<unknown>;
}

/** Inputs of a module's probe catalogue: the tenants and a sample of what the legacy store holds. */
export interface ProbeInputs {
  readonly tenants: readonly string[];
  /** Up to N entities per entity name per tenant, as the Mongo side returns them. */
  readonly samples: ReadonlyMap<string, readonly Record<string, unknown>[]>;
  /** The run's reference time (tier windows, "recent" queries). */
  readonly now: Date;
}

/** Generated legacy documents for `demo` and tests, in the legacy Mongo shapes. */
export interface DemoOptions {
  readonly tenants: readonly string[];
  /** Documents per collection per tenant (roughly). */
  readonly count: number;
  /** Deterministic generator seed. */
  readonly seed: number;
  readonly now: Date;
  /** Folder of the shared corpus, when present (modules that take real documents). */
  readonly corpusDir: string | null;
}

/** A monthly RANGE-partitioned table (docs/design.md §4.4), maintained by `partitions maintain`. */
export interface PartitionedTable {
  readonly schema: string;
  readonly table: string;
  /** The timestamptz partition key column. */
  readonly column: string;
  /** Partitions wholly older than this many months are detached and dropped. */
  readonly retentionMonths: number;
}

/**
 * A repository that is not plain CRUD (a job queue, a bitemporal store...): bound under `token`,
 * built by `create` for the module's backend. `deps` holds `postgres` (PostgresDataSource),
 * `mongo` (MongoDbLike), `clock` and `config` (PersistenceConfig), typed loosely here because this
 * file knows no database.
 */
export interface CustomBinding {
  readonly token: symbol;
  readonly create: (
    backend: 'Mongo' | 'Postgres' | 'DualWrite',
    deps: { readonly postgres: unknown; readonly mongo: unknown; readonly clock: unknown; readonly config: unknown; readonly applier?: unknown },
  ) => unknown;
}

/**
 * Everything the generic machinery needs to know about a module. A module is a folder under
 * `src/modules/<folder>/` with its declarations, its migrations and this definition; the container,
 * DualWrite, conversion, parity, `rls check` and `demo` work from it alone.
 */
export interface ModuleDefinition {
  readonly name: ModuleName;
  /** Folder under src/modules (kebab-case); its `migrations/` holds the SQL. */
  readonly folder: string;
  /** PostgreSQL schemas the module owns. */
  readonly schemas: readonly string[];
  /** Every entity, each bound to its token in the container. */
  readonly entities: readonly EntitySpec[];
  /** Container token of each entity's repository, by entity name. */
  readonly tokens: Readonly<Record<string, symbol>>;
  /** Module-specific output-parity probes, besides the generic ones derived from the declarations. */
  readonly probes?: (inputs: ProbeInputs) => readonly OutputProbe[];
  /** Generated (and corpus) legacy documents: yields [collection, document] pairs. */
  readonly demo?: (options: DemoOptions) => Iterable<readonly [string, Document]>;
  /** Monthly-partitioned tables of the module. */
  readonly partitions?: readonly PartitionedTable[];
  /** Repositories beyond the generic entity repositories. */
  readonly custom?: readonly CustomBinding[];
}

/** The repository token of one entity: `Symbol.for('<Module>.<entity>')`, stable across bundles. */
export function repositoryToken(module: ModuleName, entity: string): symbol {
  return Symbol.for(`${module}.${entity}`);
}
