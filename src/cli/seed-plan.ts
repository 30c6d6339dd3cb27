import { EJSON, type Document } from 'bson';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { SeedInputError, type SeedDocument } from './seed-input.js';

/**
 * The legacy collections the modules declare (each entity's `collection`, its audit log's, the
 * custom stores' entities), by module in registry order: the only names `seed` accepts.
 */
export function legacyCollections(modules: readonly ModuleDefinition[]): Map<string, string[]> {
  const byModule = new Map<string, string[]>();
  for (const m of modules) {
    const names = new Set<string>();
    for (const e of m.entities) {
      names.add(e.collection);
      if (e.audit) names.add(e.audit.collection);
    }
    byModule.set(m.name, [...names]);
  }
  return byModule;
}

/** A checker for `readSeedFile`: null for a declared collection, else why (listing the declared ones). */
export function collectionChecker(modules: readonly ModuleDefinition[]): (name: string) => string | null {
  const byModule = legacyCollections(modules);
  const known = new Set([...byModule.values()].flat());
  const listing = [...byModule].map(([m, names]) => `${m}: ${names.join(', ')}`).join('; ');
  return (name) => (known.has(name) ? null : `unknown collection ${JSON.stringify(name)}; the modules' legacy collections are ${listing}`);
}

/** What to load, and per collection how many documents repeated an earlier one identically. */
export interface SeedPlan {
  readonly entries: [string, Document][];
  readonly repeated: Record<string, number>;
}

/**
 * Checks the `_id`s of all documents of one `seed` run, per collection: a document repeating an
 * earlier one exactly (same canonical Extended JSON) is dropped and counted; one with the same `_id`
 * and different content is an error naming both positions (nothing is loaded: the caller calls this
 * before writing anything).
 *
 * @example
 * const { entries, repeated } = planSeed(files.flatMap((f) => readSeedFile(f, undefined, check)));
 */
export function planSeed(documents: readonly SeedDocument[]): SeedPlan {
  const first = new Map<string, { where: string; content: string }>();
  const entries: [string, Document][] = [];
  const repeated: Record<string, number> = {};
  const conflicts: string[] = [];
  for (const d of documents) {
    const key = `${d.collection}\u0000${idKey(d.document._id)}`;
    const content = EJSON.stringify(d.document, { relaxed: false });
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, { where: d.where, content });
      entries.push([d.collection, d.document]);
    } else if (earlier.content === content) {
      repeated[d.collection] = (repeated[d.collection] ?? 0) + 1;
    } else {
      const id = EJSON.stringify(d.document._id, { relaxed: false });
      conflicts.push(`${d.where}: same _id ${id} in ${d.collection} as ${earlier.where}, with different content`);
    }
  }
  if (conflicts.length) throw new SeedInputError(conflicts);
  return { entries, repeated };
}

/**
 * MongoDB's unique `_id` index treats numbers of different BSON types as one value (Int32 5, Long 5
 * and Double 5.0 collide), so compare numeric ids by value; anything else by canonical Extended JSON.
 */
function idKey(id: unknown): string {
  const t = (id as { _bsontype?: string } | null)?._bsontype;
  if (t === 'Int32' || t === 'Double') return `number:${numberKey((id as { value: number }).value)}`;
  if (t === 'Long') return `number:${String(id)}`;
  return EJSON.stringify({ id }, { relaxed: false });
}

function numberKey(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : String(n);
}
