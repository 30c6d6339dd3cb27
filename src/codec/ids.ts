import { v5 as uuidv5 } from 'uuid';
import { uuidV5 } from './uuid-v5.js';

/**
 * Deterministic identifiers (SPEC 6). A legacy `_id` is reduced to a canonical, typed string
 * (`oid:<hex>`, `str:<s>`, `uuid:<u>`, `int:<n>`), kept as `legacy_id`; the PostgreSQL id is the
 * UUIDv5 of that string in a namespace per collection, except a UUID `_id`, which is kept as is.
 * The type prefix keeps ObjectId("65a1...") and the string "65a1..." apart.
 */

/** Root namespace of every StellaOps persistence UUIDv5 (a fixed, random UUID). */
export const ROOT_NAMESPACE = '7b0f3e9a-4c1d-5e2f-8a6b-9c0d1e2f3a4b';

const namespaces = new Map<string, { text: string; bytes: Buffer }>();

function namespaceOf(collection: string): { text: string; bytes: Buffer } {
  let ns = namespaces.get(collection);
  if (!ns) {
    const text = uuidv5(`collection:${collection}`, ROOT_NAMESPACE);
    ns = { text, bytes: Buffer.from(text.replace(/-/g, ''), 'hex') };
    namespaces.set(collection, ns);
  }
  return ns;
}

/** The UUIDv5 namespace of one legacy collection. */
export function collectionNamespace(collection: string): string {
  return namespaceOf(collection).text;
}

const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** The `uuid` package's `v5`, computed by `uuidV5`; a name with a lone surrogate is the package's to decide. */
function v5(name: string, ns: { text: string; bytes: Buffer }): string {
  return isWellFormed(name) ? uuidV5(ns.bytes, name) : uuidv5(name, ns.text);
}

/** A UUIDv5 for anything derived (audit rows, tenants named by string, ...), namespaced by `kind`. */
export function derivedUuid(kind: string, ...parts: string[]): string {
  return v5(JSON.stringify(parts), namespaceOf(`derived:${kind}`));
}

/** The id a legacy source id maps to. A `uuid:` source id keeps its UUID. */
export function idFromLegacyId(collection: string, legacyId: string): string {
  if (legacyId.startsWith('uuid:')) return legacyId.slice(5);
  return v5(legacyId, namespaceOf(collection));
}
