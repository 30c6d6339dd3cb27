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

/** An audit row, written in the same transaction as the change it describes (docs/postgres-patterns.md §3.5). */
export interface AuditRecord {
  id: string;
  tenantId: string;
  actorId: string | null;
  action: 'insert' | 'update' | 'delete';
  entityType: string;
  entityId: string;
  at: Date;
  diff: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One committed write, as the store that made it describes it: what DualWrite records in its
 * pending log and replays on the other store.
 */
export interface ChangeRecord<E extends Entity = Entity> {
  readonly op: 'upsert' | 'delete';
  readonly id: string;
  /** The entity after the write (upsert only). */
  readonly entity: E | null;
  /** When the change happened (the entity's updatedAt, or the delete time). */
  readonly at: Date;
  /** The legacy `_id` in canonical form (`oid:...`), when the entity came from MongoDB. */
  readonly legacyId: string | null;
  readonly audit: AuditRecord | null;
}

/**
 * The contract every backend implements for one entity. The Mongo, Postgres and DualWrite
 * implementations are generic over the entity's {@link EntitySpec}; the contract suite runs the
 * same tests against all three.
 *
 * @example
 * const users = container.get<EntityRepository<User>>(AuthorityTokens.user);
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
   * Replays a change made on the other store: an upsert is applied unless the stored copy is newer
   * (greater updatedAt); a delete removes the entity unless it was updated after `at`. The audit
   * row travels with it. Idempotent. Used by DualWrite and the reconciler only.
   */
  applyReplica(ctx: TenantContext, change: ChangeRecord<E>): Promise<ReplicaOutcome>;
}

/** Called inside the write's transaction (PostgreSQL) or right after it (MongoDB). */
export type ChangeHook = (change: ChangeRecord, ctx: TenantContext, tx: unknown) => Promise<void>;
