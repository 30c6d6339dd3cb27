import type { FindOptions, MongoCollectionLike } from '../mongo/mongo-types.js';
import { deserialize } from 'bson';
import { EXACT_READ, isBoundaryCandidate } from '../mongo/id-ranges.js';
import { cursorBatches } from '../mongo/cursor-batches.js';

/** One planned range: `lower <= _id < upper`, null = open; `planned` documents were in it when planned. */
export interface PlannedRange {
  readonly seq: number;
  readonly lower: unknown | null;
  readonly upper: unknown | null;
  readonly planned: number;
}

/**
 * Plans the key ranges of a pass: one scan of the `_id`s in the source's order, cutting a new range
 * every `rangeSize` documents (at the next `_id` that can serve as a bound). Deterministic for the
 * same data. The first range is open below and the last open above, so together they cover every
 * possible `_id`, including documents written after planning.
 *
 * @example
 * const { ranges, total } = await planRanges(db.collection('authority_users'), 10_000);
 */
export async function planRanges(collection: MongoCollectionLike, rangeSize: number): Promise<{ ranges: PlannedRange[]; total: number }> {
  // A collection that fits in one range is one open range whatever its ids: counting it is enough
  // (the scan below would find no cut), and spares a read of every `_id`.
  const count = await collection.countDocuments({});
  if (count <= rangeSize) return { ranges: [{ seq: 1, lower: null, upper: null, planned: count }], total: count };
  const ranges: PlannedRange[] = [];
  let lower: unknown | null = null;
  let inRange = 0;
  let total = 0;
  // raw: each `{ _id }` stays BSON bytes; only the ids where a range may end are decoded (type-exact).
  const cursor = collection.find({}, { sort: { _id: 1 }, projection: { _id: 1 }, batchSize: Math.min(rangeSize, 10_000), raw: true } as FindOptions);
  for await (const items of cursorBatches(cursor)) {
    for (const item of items) {
      if (inRange >= rangeSize) {
        const id = idOf(item);
        if (isBoundaryCandidate(id)) {
          ranges.push({ seq: ranges.length + 1, lower, upper: id, planned: inRange });
          lower = id;
          inRange = 0;
        }
      }
      inRange++;
      total++;
    }
  }
  ranges.push({ seq: ranges.length + 1, lower, upper: null, planned: inRange });
  return { ranges, total };
}

/** The `_id` of one item of the raw cursor (a source without `raw` support hands over the document). */
function idOf(item: unknown): unknown {
  return item instanceof Uint8Array ? deserialize(item, EXACT_READ)._id : (item as { _id?: unknown })._id;
}
