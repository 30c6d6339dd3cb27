import { TenantRegistry, type TenantPins } from '../codec/tenant-registry.js';
import { checkTenantContext, type TenantContext } from '../interfaces/tenant-context.js';
import type { MongoDbLike } from './mongo-types.js';

/**
 * The tenant registry of one legacy database connection. Every MongoDB repository, conversion and
 * parity over that connection share it, so a key one of them meets is known to all (README "Tenant
 * registry"). The runtime, `convert` and `verify` attach the registry of their config's pins when they
 * connect; a connection nobody attached one to gets the registry without pins.
 *
 * @example
 * attachTenantRegistry(mongo.db, config.Tenants);
 * tenantRegistryOf(mongo.db).uuidOf('acme');
 */

const registries = new WeakMap<MongoDbLike, TenantRegistry>();

/** Attaches a registry (or a fresh one of these pins) to `db`, replacing any earlier one, and returns it. */
export function attachTenantRegistry(db: MongoDbLike, pins: TenantPins | TenantRegistry = {}): TenantRegistry {
  const registry = pins instanceof TenantRegistry ? pins : new TenantRegistry(pins);
  registries.set(db, registry);
  return registry;
}

/** The registry attached to `db` (one without pins when none was). */
export function tenantRegistryOf(db: MongoDbLike): TenantRegistry {
  return registries.get(db) ?? attachTenantRegistry(db);
}

/** Gives `view` (a wrapper of `db`, e.g. parity's read-only view) the registry of `db`; returns `view`. */
export function shareTenantRegistry<T extends MongoDbLike>(db: MongoDbLike, view: T): T {
  registries.set(view, tenantRegistryOf(db));
  return view;
}

/**
 * What a custom store's filter puts in `tenantId` to match one tenant's documents of `collection`: the
 * context's UUID, or `{ $in: keys }` of every legacy key the registry maps to it (a named tenant's name,
 * the UUID itself), as the generic repository's scope does. A tenant the registry has not met yet is
 * looked for in the collection first (a legacy service may have written it since).
 *
 * @example
 * await coll.find({ tenantId: await tenantMatch(db, 'job_queue', ctx), state: 'ready' });
 */
export async function tenantMatch(db: MongoDbLike, collection: string, ctx: TenantContext, field = 'tenantId'): Promise<unknown> {
  const tenantId = checkTenantContext(ctx);
  const registry = tenantRegistryOf(db);
  if (!registry.knows(tenantId)) registry.learn(await db.collection(collection).distinct(field));
  const keys = registry.legacyKeysOf(tenantId);
  return keys.length === 1 ? keys[0] : { $in: keys };
}
