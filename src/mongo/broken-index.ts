import { EJSON, type Document } from 'bson';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldOf, isTenantScoped, qualifiedName } from '../codec/fields.js';
import { fingerprint } from '../codec/sensitive.js';
import { legacyIdOf } from './legacy-id.js';
import type { MongoCollectionLike } from './mongo-types.js';

/**
 * A declared unique index MongoDB could not build because the legacy data already breaks it (E11000
 * at `createIndex`: the legacy collection never had that index). The service keeps serving without
 * it, as the legacy service did; `status` and the runtime's health report it (README "Broken legacy
 * unique keys").
 */
export interface BrokenIndex {
  /** `Module.entity`. */
  readonly entity: string;
  readonly collection: string;
  readonly index: string;
  /** The declared key (entity field names; the tenant comes first on tenant-scoped entities). */
  readonly fields: readonly string[];
  /** Distinct key values held by more than one document. */
  readonly duplicateKeys: number;
  /** Documents beyond the first of each such key (what conversion quarantines). */
  readonly extraDocuments: number;
  /** The first few duplicate keys by the legacy id of the document that comes first (the one conversion keeps). */
  readonly examples: readonly BrokenIndexExample[];
  /** The server's message. */
  readonly error: string;
}

export interface BrokenIndexExample {
  /** The key's values, as canonical Extended JSON (a sensitive field by its fingerprint only). */
  readonly key: Record<string, string>;
  /** Legacy ids of the documents holding it, in `_id` order (the first is the one conversion keeps). */
  readonly legacyIds: readonly string[];
}

const MAX_EXAMPLES = 3;
const MAX_IDS = 5;

/**
 * Finds the duplicates of one declared unique key by one pass over the collection in `_id` order,
 * reading only the key's fields (a missing field counts as null, as the unique index would).
 *
 * @example
 * const broken = await describeBrokenIndex(db.collection('authority_users'), userSpec, ['username'], 'ux_username', err);
 * broken.duplicateKeys; // 1
 */
export async function describeBrokenIndex(collection: MongoCollectionLike, spec: EntitySpec, key: readonly string[], index: string, error: Error): Promise<BrokenIndex> {
  const names = [...(isTenantScoped(spec) ? ['tenantId'] : []), ...key];
  const fields = names.map((n) => fieldOf(spec, n));
  const projection: Record<string, 1> = { _id: 1 };
  for (const f of fields) projection[f.mongo] = 1;
  const groups = new Map<string, { key: Record<string, string>; ids: string[]; count: number }>();
  for await (const doc of collection.find({}, { sort: { _id: 1 }, projection })) {
    const values = fields.map((f) => canonical((doc as Document)[f.mongo]));
    const id = JSON.stringify(values);
    let group = groups.get(id);
    if (!group) {
      const shown: Record<string, string> = {};
      fields.forEach((f, i) => (shown[f.name] = f.sensitive ? fingerprint((doc as Document)[f.mongo]) : values[i]!));
      groups.set(id, (group = { key: shown, ids: [], count: 0 }));
    }
    group.count++;
    if (group.ids.length < MAX_IDS) group.ids.push(safeLegacyId((doc as Document)._id));
  }
  const duplicates = [...groups.values()].filter((g) => g.count > 1);
  return {
    entity: qualifiedName(spec),
    collection: collection.collectionName,
    index,
    fields: names,
    duplicateKeys: duplicates.length,
    extraDocuments: duplicates.reduce((n, g) => n + g.count - 1, 0),
    // Groups were created in `_id` order of their first document: the first few are the examples.
    examples: duplicates.slice(0, MAX_EXAMPLES).map((g) => ({ key: g.key, legacyIds: g.ids })),
    error: error.message,
  };
}

function canonical(value: unknown): string {
  return EJSON.stringify(value === undefined ? null : value, { relaxed: false });
}

function safeLegacyId(id: unknown): string {
  try {
    return legacyIdOf(id);
  } catch {
    return '(unreadable _id)';
  }
}

/** One line per broken index, for logs and `status`. */
export function brokenIndexLine(b: BrokenIndex): string {
  const examples = b.examples.map((e) => `${Object.entries(e.key).map(([k, v]) => `${k}=${v}`).join(' ')} held by ${e.legacyIds.join(', ')}`).join('; ');
  return `${b.entity}: unique index ${b.index} (${b.fields.join(', ')}) on ${b.collection} cannot be built: ${b.duplicateKeys} duplicate key(s), ${b.extraDocuments} document(s) beyond the first; e.g. ${examples}. Serving without it, as the legacy service did`;
}
