import type { ObjectId } from 'bson';
import { MODULE_NAMES } from '../interfaces/modules.js';
import type { PendingBacklog } from '../dualwrite/pending-log.js';
import { PENDING_COLLECTION } from './mongo-pending-log.js';
import type { MongoDbLike } from './mongo-types.js';

/**
 * Pending records per module in the MongoDB pending log (`DualWrite.Primary = Mongo`), with the
 * age of the oldest (from its ObjectId, to the second).
 *
 * @example
 * const backlog = await mongoPendingBacklog(runtime.mongo.db);
 */
export async function mongoPendingBacklog(db: MongoDbLike, now: Date = new Date()): Promise<PendingBacklog[]> {
  const coll = db.collection(PENDING_COLLECTION);
  const out: PendingBacklog[] = [];
  for (const module of MODULE_NAMES) {
    const pending = await coll.countDocuments({ module });
    if (pending === 0) continue;
    const oldest = await coll.findOne({ module }, { sort: { _id: 1 }, projection: { _id: 1 } });
    const born = (oldest?._id as ObjectId | undefined)?.getTimestamp();
    out.push({ store: 'Mongo', module, pending, oldestAgeSeconds: born ? Math.max(0, (now.getTime() - born.getTime()) / 1000) : null });
  }
  return out;
}
