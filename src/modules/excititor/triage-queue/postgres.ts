import { checkTenantContext, type TenantContext } from '../../../interfaces/tenant-context.js';
import type { Page } from '../../../interfaces/repository.js';
import type { TriageQueueItem, TriageQueueQuery, TriageQueueRepository } from '../../../interfaces/excititor.js';
import { decodeCursor } from '../../../codec/cursor.js';
import { pageSize } from '../../../codec/entity-lifecycle.js';
import type { PostgresDataSource } from '../../../postgres/data-source.js';
import { CURSOR, ORDER, checkQuery, cursorOf } from './rules.js';

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
