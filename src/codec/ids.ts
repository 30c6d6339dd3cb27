import { v5 as uuidv5 } from 'uuid';

/**
 * Deterministic identifiers (SPEC 6). A legacy `_id` is reduced to a canonical, typed string
 * (`oid:<hex>`, `str:<s>`, `uuid:<u>`, `int:<n>`), kept as `legacy_id`; the PostgreSQL id is the
 * UUIDv5 of that string in a namespace per collection, except a UUID `_id`, which is kept as is.
 * The type prefix keeps ObjectId("65a1...") and the string "65a1..." apart.
 */

/** Root namespace of every StellaOps persistence UUIDv5 (a fixed, random UUID). */
export const ROOT_NAMESPACE = '7b0f3e9a-4c1d-5e2f-8a6b-9c0d1e2f3a4b';

const namespaces = new Map<string, string>();

/** The UUIDv5 namespace of one legacy collection. */
export function collectionNamespace(collection: string): string {
  let ns = namespaces.get(collection);
  if (!ns) {
    ns = uuidv5(`collection:${collection}`, ROOT_NAMESPACE);
    namespaces.set(collection, ns);
  }
  return ns;
}

/** A UUIDv5 for anything derived (audit rows, tenants named by string, ...), namespaced by `kind`. */
export function derivedUuid(kind: string, ...parts: string[]): string {
  return uuidv5(JSON.stringify(parts), collectionNamespace(`derived:${kind}`));
}

/** The id a legacy source id maps to. A `uuid:` source id keeps its UUID. */
export function idFromLegacyId(collection: string, legacyId: string): string {
  if (legacyId.startsWith('uuid:')) return legacyId.slice(5);
  return uuidv5(legacyId, collectionNamespace(collection));
}
