import type { Document } from 'bson';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { Page } from '../../../interfaces/repository.js';
import type { TimelineEvent, TriageQueueItem, TriageQueueQuery, TriageQueueRepository, VexDecision, VexPackage } from '../../../interfaces/excititor.js';
import { decodeCursor } from '../../../codec/cursor.js';
import { pageSize } from '../../../codec/entity-lifecycle.js';
import { fieldOf } from '../../../codec/fields.js';
import { decodeDocument, EXACT_DOCUMENT_READ } from '../../../mongo/document-codec.js';
import type { MongoDbLike } from '../../../mongo/mongo-types.js';
import { timelineEvent, vexDecision, vexPackage } from '../entities.js';
import { CURSOR, OPEN_STATUSES, ORDER, checkQuery, compareTriage, cursorOf } from './rules.js';
import { tenantMatch, tenantRegistryOf } from '../../../mongo/tenant-keys.js';

/**
 * The triage queue on the legacy MongoDB collections: the live aggregate (MongoDB has no
 * materialized view), computed from `vex.decisions`, `vex.packages` and `vex.timeline_events` with the
 * same definition and order as the PostgreSQL view. `refresh()` has nothing to do.
 */
export class MongoTriageQueue implements TriageQueueRepository {
  constructor(readonly db: MongoDbLike) {}

  private async all(ctx: TenantContext, since: Date | undefined, only?: { packageId: string; vulnId: string }): Promise<TriageQueueItem[]> {
    const status = fieldOf(vexDecision, 'status').mongo;
    const decisionFilter: Document = { tenantId: await tenantMatch(this.db, vexDecision.collection, ctx), [status]: { $in: [...OPEN_STATUSES] } };
    const decisions = (await this.db.collection(vexDecision.collection).find(decisionFilter, EXACT_DOCUMENT_READ).toArray())
      .map((d) => decodeDocument(vexDecision, d, undefined, tenantRegistryOf(this.db)).entity as unknown as VexDecision)
      .filter((d) => !only || (d.packageId === only.packageId && d.vulnId === only.vulnId));
    if (decisions.length === 0) return [];
    const packages = new Map<string, VexPackage>();
    for (const doc of await this.db.collection(vexPackage.collection).find({ tenantId: await tenantMatch(this.db, vexPackage.collection, ctx) }, EXACT_DOCUMENT_READ).toArray()) {
      const p = decodeDocument(vexPackage, doc, undefined, tenantRegistryOf(this.db)).entity as unknown as VexPackage;
      packages.set(p.id, p);
    }
    const activity = new Map<string, { count: number; last: Date | null }>();
    const occurredAt = fieldOf(timelineEvent, 'occurredAt').mongo;
    const eventTenant = await tenantMatch(this.db, timelineEvent.collection, ctx);
    const eventFilter: Document = since ? { tenantId: eventTenant, [occurredAt]: { $gte: since } } : { tenantId: eventTenant };
    for (const doc of await this.db.collection(timelineEvent.collection).find(eventFilter, EXACT_DOCUMENT_READ).toArray()) {
      const e = decodeDocument(timelineEvent, doc, undefined, tenantRegistryOf(this.db)).entity as unknown as TimelineEvent;
      const key = `${e.packageId}|${e.vulnId}`;
      const a = activity.get(key) ?? { count: 0, last: null };
      a.count++;
      if (!a.last || e.occurredAt.getTime() > a.last.getTime()) a.last = e.occurredAt;
      activity.set(key, a);
    }
    const items: TriageQueueItem[] = [];
    for (const d of decisions) {
      const p = packages.get(d.packageId);
      if (!p) continue; // inner join, as the view: a decision about an unknown package is not triaged
      const a = activity.get(`${d.packageId}|${d.vulnId}`);
      items.push({
        tenantId: d.tenantId,
        packageId: d.packageId,
        purl: p.purl,
        vulnId: d.vulnId,
        status: d.status as TriageQueueItem['status'],
        decidedAt: d.decidedAt,
        eventCount: a?.count ?? 0,
        lastEventAt: a?.last ?? null,
      });
    }
    return items.sort(compareTriage);
  }

  async list(ctx: TenantContext, query: TriageQueueQuery = {}): Promise<Page<TriageQueueItem>> {
    checkQuery(query); // the same contract as PostgreSQL's, though this store is always live
    const limit = pageSize({ limit: query.limit });
    let items = await this.all(ctx, query.eventsSince);
    if (query.after) {
      const c = decodeCursor(query.after, 'mongo', ORDER, CURSOR);
      const pivot = { eventCount: c.keys[0] as number, purl: c.keys[1] as string, vulnId: c.keys[2] as string } as TriageQueueItem;
      items = items.filter((i) => compareTriage(i, pivot) > 0);
    }
    const page = items.slice(0, limit);
    return { items: page, next: items.length > limit ? cursorOf('mongo', page[page.length - 1]!) : null };
  }

  async get(ctx: TenantContext, packageId: string, vulnId: string, options: Pick<TriageQueueQuery, 'live' | 'eventsSince'> = {}): Promise<TriageQueueItem | null> {
    checkQuery(options);
    return (await this.all(ctx, options.eventsSince, { packageId, vulnId }))[0] ?? null;
  }

  async refresh(): Promise<void> {
    // Live aggregate: always current.
  }
}
