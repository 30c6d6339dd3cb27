import type { PendingEntry, PendingLog, NewPendingEntry } from '../dualwrite/pending-log.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { maskUrl, queryPrepared, type PostgresDataSource, type Tx } from './data-source.js';
import type { PreludeTx } from './statement-prelude.js';

const COLUMNS = `seq::text as seq, module, entity, tenant_id, entity_id, target, op, change, attempts, last_error`;

function toEntry(row: Record<string, unknown>): PendingEntry {
  return {
    seq: row.seq as string,
    module: row.module as string,
    entity: row.entity as string,
    tenantId: row.tenant_id as string,
    entityId: row.entity_id as string,
    target: row.target as PendingEntry['target'],
    op: row.op as PendingEntry['op'],
    change: row.change as Record<string, unknown>,
    attempts: row.attempts as number,
    lastError: (row.last_error as string | null) ?? null,
  };
}

/**
 * The pending log in `core.dualwrite_pending`, written in the primary write's transaction. Every
 * per-record call runs in the record's tenant unit of work on `ds` (the application role, under RLS);
 * only the cross-tenant scans (`due`, `count`: `core.dualwrite_due`, executable by the maintenance role
 * alone) use `maintenance`, the POSTGRES_ADMIN_URL data source.
 *
 * @example
 * const log = new PostgresPendingLog(appDs, adminDs);
 * for (const { seq, tenantId } of await log.due(100, new Date())) await log.read(tenantContext(tenantId), seq);
 */
export class PostgresPendingLog implements PendingLog {
  readonly store = 'Postgres' as const;

  constructor(
    private readonly ds: PostgresDataSource,
    private readonly maintenance: PostgresDataSource = ds,
  ) {}

  /** A scan across tenants, as the maintenance role; the application role gets a clear refusal. */
  private async scan<R extends Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.maintenance.query<R>(sql, params)).rows;
    } catch (err) {
      if ((err as { code?: unknown }).code !== '42501') throw err;
      throw new Error(
        `core.dualwrite_due (pending DualWrite records of every tenant) is the maintenance role's, not ${maskUrl(this.maintenance.settings.url)}'s: ` +
          'give the reconciler Postgres.AdminUrl (POSTGRES_ADMIN_URL), the owner / maintenance role',
        { cause: err },
      );
    }
  }

  /**
   * One statement: the record, whether an older one of the same entity is pending, and the
   * primary's audit row when the repository offers it (a CTE in front: no extra round trip).
   */
  async record(tx: unknown, _ctx: TenantContext, e: NewPendingEntry): Promise<{ seq: string; hasEarlier: boolean }> {
    const prelude = (tx as PreludeTx).prelude?.take() ?? null;
    const base = prelude?.params.length ?? 0;
    const $ = (n: number) => `$${base + n}`;
    const res = await queryPrepared<{ seq: string; earlier: boolean }>(
      tx as Tx,
      `with ${prelude ? `audit as (${prelude.sql}), ` : ''}ins as (
         insert into core.dualwrite_pending (module, entity, tenant_id, entity_id, target, op, change)
         values (${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}, ${$(6)}, ${$(7)}) returning seq)
       select ins.seq::text as seq,
              exists (select 1 from core.dualwrite_pending p
                      where p.tenant_id = ${$(3)} and p.entity = ${$(2)} and p.entity_id = ${$(4)} and p.target = ${$(5)} and p.seq < ins.seq) as earlier
       from ins`,
      [...(prelude?.params ?? []), e.module, e.entity, e.tenantId, e.entityId, e.target, e.op, JSON.stringify(e.change)],
    );
    return { seq: res.rows[0]!.seq, hasEarlier: res.rows[0]!.earlier };
  }

  async hasEarlier(ctx: TenantContext, e: PendingEntry): Promise<boolean> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(
        `select 1 from core.dualwrite_pending where tenant_id = $1 and entity = $2 and entity_id = $3 and target = $4 and seq < $5 limit 1`,
        [e.tenantId, e.entity, e.entityId, e.target, e.seq],
      );
      return res.rowCount! > 0;
    });
  }

  async hasPending(ctx: TenantContext, entity: string, entityId: string, target: 'Mongo' | 'Postgres'): Promise<boolean> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(
        `select 1 from core.dualwrite_pending where tenant_id = $1 and entity = $2 and entity_id = $3 and target = $4 limit 1`,
        [ctx.tenantId, entity, entityId, target],
      );
      return res.rowCount! > 0;
    });
  }

  async resolve(ctx: TenantContext, seq: string): Promise<void> {
    await this.ds.withTenant(ctx, (tx) => tx.query(`delete from core.dualwrite_pending where seq = $1`, [seq]));
  }

  async fail(ctx: TenantContext, seq: string, error: string, retryAt: Date): Promise<void> {
    await this.ds.withTenant(ctx, (tx) =>
      tx.query(
        `update core.dualwrite_pending set attempts = attempts + 1, last_error = $2, next_attempt_at = $3 where seq = $1`,
        [seq, error.slice(0, 2000), retryAt],
      ),
    );
  }

  async due(limit: number, now: Date): Promise<{ seq: string; tenantId: string }[]> {
    const rows = await this.scan<{ seq: string; tenant_id: string }>(`select seq::text as seq, tenant_id from core.dualwrite_due($1, $2)`, [limit, now]);
    return rows.map((r) => ({ seq: r.seq, tenantId: r.tenant_id }));
  }

  async read(ctx: TenantContext, seq: string): Promise<PendingEntry | null> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(`select ${COLUMNS} from core.dualwrite_pending where seq = $1`, [seq]);
      return res.rows[0] ? toEntry(res.rows[0]) : null;
    });
  }

  async count(): Promise<number> {
    const rows = await this.scan<{ n: number }>(`select count(*)::int as n from core.dualwrite_due(2147483647, 'infinity')`, []);
    return rows[0]!.n;
  }
}
