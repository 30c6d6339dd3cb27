import type { Document } from 'bson';
import { checkTenantContext, type TenantContext } from '../../interfaces/tenant-context.js';
import type { Page } from '../../interfaces/repository.js';
import { PersistenceError } from '../../interfaces/errors.js';
import type { TimelineEvent, TriageQueueItem, TriageQueueQuery, TriageQueueRepository, VexDecision, VexPackage } from '../../interfaces/excititor.js';
import { decodeCursor, encodeCursor, type CursorShape } from '../../codec/cursor.js';
import { pageSize } from '../../codec/entity-lifecycle.js';
import { fieldOf } from '../../codec/fields.js';
import { decodeDocument, EXACT_DOCUMENT_READ } from '../../mongo/document-codec.js';
import type { MongoDbLike } from '../../mongo/mongo-types.js';
import type { PostgresDataSource } from '../../postgres/data-source.js';
import { timelineEvent, vexDecision, vexPackage } from './entities.js';

/** The decisions the triage queue shows: still needing work. */
export const OPEN_STATUSES = ['affected', 'under_investigation'] as const;

const ORDER = 'triage';
/** (eventCount desc, purl, vulnId), tie `packageId|vulnId`: what decodeCursor checks a triage cursor holds. */
const CURSOR: CursorShape = Object.freeze({ entity: 'Excititor.triage_queue', keys: [{ type: 'int' as const }, { type: 'text' as const }, { type: 'text' as const }], tie: 'text' as const });

/** The queue's order: eventCount desc, then purl, vulnId by bytes (the pair is unique per tenant). */
export function compareTriage(a: TriageQueueItem, b: TriageQueueItem): number {
  if (a.eventCount !== b.eventCount) return b.eventCount - a.eventCount;
  return Buffer.compare(Buffer.from(a.purl), Buffer.from(b.purl)) || Buffer.compare(Buffer.from(a.vulnId), Buffer.from(b.vulnId));
}

function cursorOf(backend: 'pg' | 'mongo', last: TriageQueueItem): string {
  return encodeCursor({ backend, order: ORDER, keys: [last.eventCount, last.purl, last.vulnId], tie: `${last.packageId}|${last.vulnId}` });
}

const COLUMNS = 'tenant_id, package_id, purl, vuln_id, status, decided_at, event_count, last_event_at';

/**
 * The defining query of `vex.mv_triage_queue` (migration 003), for one tenant ($1): what a refresh
 * would compute now; with `since` (a parameter placeholder), only the events at or after it count.
 * Row-level security applies to the base tables; the explicit tenant filters let the planner use the
 * tenant-leading indexes.
 */
export function liveAggregate(since: string | null): string {
  return `
  select d.tenant_id, d.package_id, p.purl, d.vuln_id, d.status, d.decided_at,
         coalesce(e.event_count, 0)::int as event_count, e.last_event_at
  from vex.vex_decision d
  join vex.package p on p.tenant_id = d.tenant_id and p.id = d.package_id
  left join (select tenant_id, package_id, vuln_id, count(*) as event_count, max(occurred_at) as last_event_at
             from vex.timeline_event where tenant_id = $1${since ? ` and occurred_at >= ${since}` : ''}
             group by tenant_id, package_id, vuln_id) e
    on e.tenant_id = d.tenant_id and e.package_id = d.package_id and e.vuln_id = d.vuln_id
  where d.tenant_id = $1 and d.status in ('affected', 'under_investigation')`;
}

/** `eventsSince` only makes sense on a live read (the view is computed once for everybody). */
function checkQuery(query: { live?: boolean; eventsSince?: Date }): void {
  if (query.eventsSince !== undefined && !query.live) throw new PersistenceError('triage queue: eventsSince needs live: true (the materialized view counts every event kept)');
  if (query.eventsSince !== undefined && (!(query.eventsSince instanceof Date) || Number.isNaN(query.eventsSince.getTime()))) throw new PersistenceError('triage queue: eventsSince must be a valid Date');
}

function fromRow(r: Record<string, unknown>): TriageQueueItem {
  return {
    tenantId: r.tenant_id as string,
    packageId: r.package_id as string,
    purl: r.purl as string,
    vulnId: r.vuln_id as string,
    status: r.status as TriageQueueItem['status'],
    decidedAt: r.decided_at as Date,
    eventCount: r.event_count as number,
    lastEventAt: (r.last_event_at as Date | null) ?? null,
  };
}

/**
 * The triage queue on PostgreSQL: pages come from `vex.triage_queue_page` and lookups from
 * `vex.triage_queue` (the security-barrier view), both over `vex.mv_triage_queue` and both keeping the
 * unit of work's tenant only; pages walk the view's order index from the keyset position.
 * It shows the state of the last refresh; `refresh()` recomputes it concurrently (readers never wait).
 *
 * @example
 * const queue = new PostgresTriageQueue(dataSource);
 * await queue.refresh();
 * const page = await queue.list(ctx, { limit: 20 });
 */
export class PostgresTriageQueue implements TriageQueueRepository {
  constructor(readonly ds: PostgresDataSource) {}

  async list(ctx: TenantContext, query: TriageQueueQuery = {}): Promise<Page<TriageQueueItem>> {
    checkQuery(query);
    const limit = pageSize({ limit: query.limit });
    const c = query.after ? decodeCursor(query.after, 'pg', ORDER, CURSOR) : null;
    let sql: string;
    let params: unknown[];
    if (!query.live) {
      // The page function walks the view's order index from the cursor (see migration 003).
      sql = `select ${COLUMNS} from vex.triage_queue_page($1, $2, $3, $4)`;
      params = [limit + 1, c?.keys[0] ?? null, c?.keys[1] ?? null, c?.keys[2] ?? null];
    } else {
      params = [checkTenantContext(ctx)];
      let keyset = '';
      if (c) {
        params.push(c.keys[0], c.keys[1], c.keys[2]);
        keyset = ` and (event_count < $2 or (event_count = $2 and (purl collate "C", vuln_id collate "C") > ($3 collate "C", $4 collate "C")))`;
      }
      let since: string | null = null;
      if (query.eventsSince) {
        params.push(query.eventsSince);
        since = `$${params.length}`;
      }
      params.push(limit + 1);
      sql = `select ${COLUMNS} from (${liveAggregate(since)}) q where tenant_id = $1${keyset} order by event_count desc, purl collate "C", vuln_id collate "C" limit $${params.length}`;
    }
    const rows = await this.ds.withTenant(ctx, async (tx) => (await tx.query(sql, params)).rows);
    const items = rows.slice(0, limit).map(fromRow);
    return { items, next: rows.length > limit ? cursorOf('pg', items[items.length - 1]!) : null };
  }

  async get(ctx: TenantContext, packageId: string, vulnId: string, options: Pick<TriageQueueQuery, 'live' | 'eventsSince'> = {}): Promise<TriageQueueItem | null> {
    checkQuery(options);
    const params: unknown[] = [checkTenantContext(ctx), packageId, vulnId];
    if (options.eventsSince) params.push(options.eventsSince);
    const source = options.live ? `(${liveAggregate(options.eventsSince ? '$4' : null)}) q` : 'vex.triage_queue';
    const rows = await this.ds.withTenant(ctx, async (tx) => (await tx.query(`select ${COLUMNS} from ${source} where tenant_id = $1 and package_id = $2 and vuln_id = $3`, params)).rows);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async refresh(): Promise<void> {
    await this.ds.query('select vex.refresh_triage_queue()');
  }
}

/**
 * The triage queue on the legacy MongoDB collections: the live aggregate (MongoDB has no
 * materialized view), computed from `vex.decisions`, `vex.packages` and `vex.timeline_events` with the
 * same definition and order as the PostgreSQL view. `refresh()` has nothing to do.
 */
export class MongoTriageQueue implements TriageQueueRepository {
  constructor(readonly db: MongoDbLike) {}

  private async all(ctx: TenantContext, since: Date | undefined, only?: { packageId: string; vulnId: string }): Promise<TriageQueueItem[]> {
    const status = fieldOf(vexDecision, 'status').mongo;
    const decisionFilter: Document = { tenantId: checkTenantContext(ctx), [status]: { $in: [...OPEN_STATUSES] } };
    const decisions = (await this.db.collection(vexDecision.collection).find(decisionFilter, EXACT_DOCUMENT_READ).toArray())
      .map((d) => decodeDocument(vexDecision, d).entity as unknown as VexDecision)
      .filter((d) => !only || (d.packageId === only.packageId && d.vulnId === only.vulnId));
    if (decisions.length === 0) return [];
    const packages = new Map<string, VexPackage>();
    for (const doc of await this.db.collection(vexPackage.collection).find({ tenantId: checkTenantContext(ctx) }, EXACT_DOCUMENT_READ).toArray()) {
      const p = decodeDocument(vexPackage, doc).entity as unknown as VexPackage;
      packages.set(p.id, p);
    }
    const activity = new Map<string, { count: number; last: Date | null }>();
    const occurredAt = fieldOf(timelineEvent, 'occurredAt').mongo;
    const eventFilter: Document = since ? { tenantId: checkTenantContext(ctx), [occurredAt]: { $gte: since } } : { tenantId: checkTenantContext(ctx) };
    for (const doc of await this.db.collection(timelineEvent.collection).find(eventFilter, EXACT_DOCUMENT_READ).toArray()) {
      const e = decodeDocument(timelineEvent, doc).entity as unknown as TimelineEvent;
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

/** DualWrite: reads from the primary store; a refresh always refreshes the PostgreSQL view. */
export class DualWriteTriageQueue implements TriageQueueRepository {
  constructor(
    private readonly primary: TriageQueueRepository,
    private readonly postgres: PostgresTriageQueue,
  ) {}

  list(ctx: TenantContext, query?: TriageQueueQuery): Promise<Page<TriageQueueItem>> {
    return this.primary.list(ctx, query);
  }

  get(ctx: TenantContext, packageId: string, vulnId: string, options?: Pick<TriageQueueQuery, 'live' | 'eventsSince'>): Promise<TriageQueueItem | null> {
    return this.primary.get(ctx, packageId, vulnId, options);
  }

  refresh(): Promise<void> {
    return this.postgres.refresh();
  }
}
