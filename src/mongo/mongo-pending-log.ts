import { ObjectId } from 'bson';
import type { NewPendingEntry, PendingEntry, PendingLog } from '../dualwrite/pending-log.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import type { MongoCollectionLike, MongoDbLike } from './mongo-types.js';

/** Collection of the pending log when MongoDB is the DualWrite primary. */
export const PENDING_COLLECTION = '_stellaops_dualwrite_pending';

/**
 * The pending log in MongoDB, for `DualWrite.Primary = Mongo`. A standalone server or the memory
 * store has no multi-document transaction, so the record is written right after the primary
 * write (a crash between the two loses that one secondary write; parity reports it).
 * The change is stored as JSON text: payload keys like `$schema` stay untouched.
 */
export class MongoPendingLog implements PendingLog {
  readonly store = 'Mongo' as const;
  private readonly coll: MongoCollectionLike;

  constructor(db: MongoDbLike) {
    this.coll = db.collection(PENDING_COLLECTION);
  }

  async record(_tx: unknown, _ctx: TenantContext, e: NewPendingEntry): Promise<{ seq: string; hasEarlier: boolean }> {
    const _id = new ObjectId();
    await this.coll.insertOne({
      _id, module: e.module, entity: e.entity, tenantId: e.tenantId, entityId: e.entityId, target: e.target, op: e.op,
      change: JSON.stringify(e.change), attempts: 0, nextAttemptAt: new Date(), lastError: null,
    });
    const seq = _id.toHexString();
    return { seq, hasEarlier: await this.hasEarlier(_ctx, { ...e, seq, attempts: 0, lastError: null }) };
  }

  async hasEarlier(_ctx: TenantContext, e: PendingEntry): Promise<boolean> {
    return (await this.coll.countDocuments({ tenantId: e.tenantId, entity: e.entity, entityId: e.entityId, target: e.target, _id: { $lt: new ObjectId(e.seq) } })) > 0;
  }

  async hasPending(ctx: TenantContext, entity: string, entityId: string, target: 'Mongo' | 'Postgres'): Promise<boolean> {
    return (await this.coll.findOne({ tenantId: ctx.tenantId, entity, entityId, target })) !== null;
  }

  async resolve(_ctx: TenantContext, seq: string): Promise<void> {
    await this.coll.deleteOne({ _id: new ObjectId(seq) });
  }

  async fail(_ctx: TenantContext, seq: string, error: string, retryAt: Date): Promise<void> {
    await this.coll.updateOne({ _id: new ObjectId(seq) }, { $inc: { attempts: 1 }, $set: { lastError: error.slice(0, 2000), nextAttemptAt: retryAt } });
  }

  async due(limit: number, now: Date): Promise<{ seq: string; tenantId: string }[]> {
    const docs = await this.coll.find({ nextAttemptAt: { $lte: now } }, { sort: { _id: 1 }, limit }).toArray();
    return docs.map((d) => ({ seq: (d._id as ObjectId).toHexString(), tenantId: d.tenantId as string }));
  }

  async read(_ctx: TenantContext, seq: string): Promise<PendingEntry | null> {
    const d = await this.coll.findOne({ _id: new ObjectId(seq) });
    if (!d) return null;
    return {
      seq, module: d.module, entity: d.entity, tenantId: d.tenantId, entityId: d.entityId, target: d.target, op: d.op,
      change: JSON.parse(d.change as string), attempts: d.attempts as number, lastError: (d.lastError as string | null) ?? null,
    };
  }

  async count(): Promise<number> {
    return this.coll.countDocuments({});
  }
}
