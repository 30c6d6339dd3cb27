import type { Entity, EntityPatch, EntitySpec, NewEntity } from './entity-spec.js';
import type { TenantContext } from './tenant-context.js';

/** One page of a keyset-paged list; `next` is an opaque cursor, null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

/** A half-open range on a timestamp field: `gte <= value < lt`. */
export interface TimeRange {
  readonly field: string;
  readonly gte?: Date;
  readonly lt?: Date;
}

/**
 * A list request. `where` is equality on declared fields (null matches null or missing);
 * `order` names one of the entity's declared orders; `after` is the previous page's `next`.
 */
export interface ListQuery<E extends Entity> {
  readonly where?: Partial<E>;
  readonly range?: TimeRange;
  readonly order?: string;
  readonly after?: string | null;
  readonly limit?: number;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Result of applying a replicated write on the secondary store. */
export type ReplicaOutcome = 'applied' | 'skipped-newer' | 'skipped-missing';

/**
 * The contract every backend implements for one entity. The Mongo, Postgres and DualWrite
 * implementations are generic over the entity's {@link EntitySpec}; the contract suite runs the
 * same tests against all three.
 *
 * @example
 * const users = container.get<EntityRepository<User>>(AuthorityTokens.Users);
 * const alice = await users.insert(ctx, { username: 'alice', email: 'a@example.org', ... });
 * const page = await users.list(ctx, { order: 'default', limit: 50 });
 */
export interface EntityRepository<E extends Entity> {
  readonly spec: EntitySpec;
  /** Creates the entity; fills id, tenant and timestamps. Throws DuplicateKeyError on a unique key clash. */
  insert(ctx: TenantContext, entity: NewEntity<E>): Promise<E>;
  get(ctx: TenantContext, id: string): Promise<E | null>;
  /** Equality lookup, typically on a declared unique key. Null when nothing matches. */
  findOne(ctx: TenantContext, where: Partial<E>): Promise<E | null>;
  list(ctx: TenantContext, query?: ListQuery<E>): Promise<Page<E>>;
  /** Changes fields; bumps updatedAt. Throws NotFoundError. */
  update(ctx: TenantContext, id: string, patch: EntityPatch<E>): Promise<E>;
  /** True when something was deleted. */
  delete(ctx: TenantContext, id: string): Promise<boolean>;
  /**
   * Replays a write made on the other store: upserts `entity` unless the stored copy is newer
   * (greater updatedAt). Idempotent. Used by DualWrite and the reconciler only.
   */
  applyReplica(ctx: TenantContext, entity: E): Promise<ReplicaOutcome>;
  /** Replays a delete: removes the entity unless it was updated after `at`. Idempotent. */
  applyDelete(ctx: TenantContext, id: string, at: Date): Promise<ReplicaOutcome>;
}
