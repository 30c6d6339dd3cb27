import type { ModuleName } from './modules.js';

/**
 * Declarations that describe one entity once, for every backend: its legacy MongoDB collection and
 * field names, its PostgreSQL table and columns, its natural keys, its list orders and its tier.
 * The generic Mongo and Postgres repositories, DualWrite, conversion and parity all read this;
 * a module adds an entity by declaring it, not by writing per-backend code.
 *
 * Knows no database: names only.
 */

/**
 * Domain value types and their representation in TypeScript:
 * - `uuid`, `text`: string (uuid lowercase)
 * - `int`: number (32-bit); `bigint`: bigint (never a JS number); `float`: number
 * - `numeric`: string (exact decimal, as Decimal128 prints it)
 * - `bool`: boolean; `timestamp`: Date (milliseconds, UTC)
 * - `json`: typed JSON value: plain JSON, plus `bson` values (Long, Decimal128, Date...) where the legacy
 *   data has BSON-only types (kept as jsonb in the typed JSON encoding of src/codec/typed-json.ts)
 * - `bytes`: Buffer; `text[]`, `uuid[]`: string[]
 */
export type FieldType =
  | 'uuid'
  | 'text'
  | 'int'
  | 'bigint'
  | 'float'
  | 'numeric'
  | 'bool'
  | 'timestamp'
  | 'json'
  | 'bytes'
  | 'text[]'
  | 'uuid[]';

export interface FieldSpec<N extends string = string> {
  /** Domain property name (camelCase). */
  readonly name: N;
  readonly type: FieldType;
  /** PostgreSQL column; defaults to snake_case of `name`. */
  readonly column?: string;
  /** Legacy MongoDB field; defaults to `name`. */
  readonly mongo?: string;
  /** Null allowed (a missing legacy field reads as null). Default false. */
  readonly nullable?: boolean;
  /** For `float`: NaN and ±Infinity are legal values (the column is double precision, not jsonb). */
  readonly allowNonFinite?: boolean;
  /** For `text`: the allowed values (a CHECK constraint on the PostgreSQL side). */
  readonly enum?: readonly string[];
  /** Maintained by the database from other columns (generated column): read, never written. */
  readonly generated?: boolean;
  /**
   * A secret (password or secret hash, token hash, private key material): compared by its real
   * value, but reports, errors and log lines show only a keyed fingerprint `sensitive:<12 hex>`.
   */
  readonly sensitive?: boolean;
}

export type SortDirection = 'asc' | 'desc';

/** A documented list order: the fields, then `id` as the last tie-breaker (always ascending). */
export interface OrderSpec<N extends string = string> {
  readonly fields: readonly { readonly field: N; readonly dir: SortDirection }[];
}

/** The standard fields every entity has (not declared in `fields`). */
export type StandardField = 'id' | 'tenantId' | 'createdAt' | 'updatedAt';

/**
 * The property names of an entity type, as declarations may name them; any string when the type is
 * not given (`EntitySpec` alone, or `EntitySpec<any>`).
 */
export type PropertyName<E> = 0 extends 1 & E ? string : Extract<keyof E, string>;

/** The names `fields` may declare: every property but the standard ones. */
export type DeclaredField<E> = 0 extends 1 & E ? string : Exclude<PropertyName<E>, StandardField>;

/**
 * Conversion tier (docs/design.md §2, tiers):
 * A converts everything; B converts the rows its predicate keeps (a time window or a state);
 * C converts nothing (fresh start: schema only).
 */
export type TierSpec =
  | { readonly tier: 'A' }
  | {
      readonly tier: 'B';
      /** Human description, shown in reports and README. */
      readonly description: string;
      /** Keep the document? `now` is the job's reference time, fixed for a whole run. */
      readonly keep: (entity: Record<string, unknown>, now: Date) => boolean;
    }
  | { readonly tier: 'C'; readonly description: string };

/**
 * The declaration of one entity. Typed against its domain type (`EntitySpec<User>`), every field,
 * key, order and immutable name is checked against `keyof User`, as MikroORM's `EntitySchema<Entity>`
 * does: a declaration and its type cannot drift apart. `EntitySpec` alone accepts any names (generic
 * machinery, tests' ad-hoc entities).
 *
 * @example
 * export const role: EntitySpec<Role> = {
 *   module: 'Authority', name: 'role', collection: 'roles', schema: 'authority', table: 'role',
 *   fields: [{ name: 'name', type: 'text' }, { name: 'permissions', type: 'text[]' }], // 'nmae' would not compile
 *   orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
 *   tier: { tier: 'A' },
 * };
 */
export interface EntitySpec<E = any> {
  readonly module: ModuleName;
  /** Entity name used in tokens, errors and reports, e.g. `user`. */
  readonly name: string;
  /** Legacy MongoDB collection. */
  readonly collection: string;
  /** PostgreSQL schema and table. */
  readonly schema: string;
  readonly table: string;
  /** Has `tenant_id` / `tenantId` and row-level security. Default true. */
  readonly tenantScoped?: boolean;
  /** Fields besides the standard ones (`id`, `tenantId`, `createdAt`, `updatedAt`). */
  readonly fields: readonly FieldSpec<DeclaredField<E>>[];
  /** Natural keys, unique per tenant (lists of field names). */
  readonly uniqueKeys?: readonly (readonly PropertyName<E>[])[];
  /** Named list orders; `default` is required. */
  readonly orders: { readonly default: OrderSpec<PropertyName<E>> } & Readonly<Record<string, OrderSpec<PropertyName<E>>>>;
  readonly tier: TierSpec;
  /**
   * Fields that never change after insert (content-addressed versions, immutable facts): every
   * backend refuses an update that changes one, with the same ValidationError.
   */
  readonly immutable?: readonly PropertyName<E>[];
  /** Writes through a repository also write an audit row, into this audit-log entity, in the same transaction. */
  readonly audit?: EntitySpec;
  /** Table is RANGE-partitioned on this timestamp field (part of the primary key). */
  readonly partitionedBy?: PropertyName<E>;
  /**
   * Computes the `generated` fields from the others, for stores without generated columns
   * (MongoDB). Must agree with the PostgreSQL generated-column expressions.
   */
  readonly derive?: (entity: Record<string, unknown>) => Record<string, unknown>;
}

/** The fields every entity has. */
export interface Entity {
  id: string;
  tenantId: string;
  createdAt: Date;
  updatedAt: Date;
  /**
   * The legacy fields the declaration does not name (the overflow), read-only and non-enumerable;
   * `{}` when there are none. Written only by the backends (see src/codec/legacy-extra.ts).
   */
  readonly legacyExtra?: Readonly<Record<string, unknown>>;
}

/** What a caller passes to `insert`: standard fields are optional and filled by the repository. */
export type NewEntity<E extends Entity> = Omit<E, 'id' | 'tenantId' | 'createdAt' | 'updatedAt' | 'legacyExtra'> &
  Partial<Pick<E, 'id' | 'createdAt' | 'updatedAt'>>;

/** What `update` may change. */
export type EntityPatch<E extends Entity> = Partial<Omit<E, 'id' | 'tenantId' | 'createdAt' | 'updatedAt' | 'legacyExtra'>>;
