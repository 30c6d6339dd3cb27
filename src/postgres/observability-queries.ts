import type { PendingBacklog } from '../dualwrite/pending-log.js';
import type { PostgresDataSource } from './data-source.js';

export type { PendingBacklog } from '../dualwrite/pending-log.js';


/** Progress of the latest pass of one conversion job (`core.conversion_*`). */
export interface ConversionProgress {
  readonly module: string;
  readonly collection: string;
  readonly pass: number;
  readonly running: boolean;
  readonly planned: number;
  readonly inserted: number;
  readonly alreadyPresent: number;
  readonly skipped: number;
  readonly quarantined: number;
  /**
   * Documents PostgreSQL is behind the legacy collection: what the running pass has still to read,
   * or, once finished, what the source holds beyond what the pass read (written since: `--rerun`).
   */
  readonly lag: number;
}

/** Jobs of `scheduler.job_queue` by kind and state. */
export interface QueueDepth {
  readonly kind: string;
  readonly state: string;
  readonly jobs: number;
}

/** Raised when the maintenance role cannot see every tenant's rows (RLS is forced on the pending log). */
export class MaintenanceRoleError extends Error {}

/**
 * Fails unless the connected role is superuser or BYPASSRLS: `core.dualwrite_pending` has forced
 * row-level security, so any other role would count zero records and report a false "no backlog".
 */
async function assertSeesAllTenants(ds: PostgresDataSource): Promise<void> {
  const r = await ds.query<{ ok: boolean; name: string }>('select (rolsuper or rolbypassrls) as ok, rolname as name from pg_roles where rolname = current_user');
  if (!r.rows[0]?.ok) {
    throw new MaintenanceRoleError(`the maintenance role ${r.rows[0]?.name ?? '?'} is neither superuser nor BYPASSRLS: it cannot count the DualWrite pending log across tenants (set POSTGRES_ADMIN_URL)`);
  }
}

async function tableExists(ds: PostgresDataSource, name: string): Promise<boolean> {
  const r = await ds.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]);
  return r.rows[0]?.t != null;
}

/**
 * Pending records and the age of the oldest, per module, in `core.dualwrite_pending`. Needs the
 * maintenance role (POSTGRES_ADMIN_URL): throws a MaintenanceRoleError for a role RLS confines.
 *
 * @example
 * const backlog = await postgresPendingBacklog(adminDataSource); // [{ store: 'Postgres', module: 'Authority', pending: 3, oldestAgeSeconds: 12.5 }]
 */
export async function postgresPendingBacklog(ds: PostgresDataSource): Promise<PendingBacklog[]> {
  if (!(await tableExists(ds, 'core.dualwrite_pending'))) return [];
  await assertSeesAllTenants(ds);
  const r = await ds.query<{ module: string; pending: number; age: number | null }>(
    `select module, count(*)::float8 as pending, extract(epoch from clock_timestamp() - min(created_at))::float8 as age
       from core.dualwrite_pending group by module order by module collate "C"`,
  );
  return r.rows.map((row) => ({ store: 'Postgres', module: row.module, pending: row.pending, oldestAgeSeconds: row.age === null ? null : Math.max(0, row.age) }));
}

/** The latest pass of every conversion job with its committed counters (all workers, all hosts). */
export async function conversionProgress(ds: PostgresDataSource): Promise<ConversionProgress[]> {
  if (!(await tableExists(ds, 'core.conversion_job'))) return [];
  const r = await ds.query<{
    module: string; collection: string; pass: number; status: string; planned: number; source_count: number | null;
    converted: number; present: number; skipped: number; quarantined: number;
  }>(
    `select j.module, j.collection, p.pass, p.status, p.planned::float8 as planned, p.source_count::float8 as source_count,
            coalesce(sum(r.converted), 0)::float8 as converted, coalesce(sum(r.present), 0)::float8 as present,
            coalesce(sum(r.skipped), 0)::float8 as skipped, coalesce(sum(r.quarantined), 0)::float8 as quarantined
       from core.conversion_job j
       join lateral (select * from core.conversion_pass p where p.job_id = j.job_id order by p.pass desc limit 1) p on true
       left join core.conversion_range r on r.job_id = p.job_id and r.pass = p.pass
      group by j.module, j.collection, p.pass, p.status, p.planned, p.source_count
      order by j.module collate "C", j.collection collate "C"`,
  );
  return r.rows.map((row) => {
    const read = row.converted + row.present + row.skipped + row.quarantined;
    const running = row.status === 'running';
    const lag = running ? Math.max(0, row.planned - read) : Math.max(0, (row.source_count ?? read) - read);
    return {
      module: row.module, collection: row.collection, pass: row.pass, running, planned: row.planned,
      inserted: row.converted, alreadyPresent: row.present, skipped: row.skipped, quarantined: row.quarantined, lag,
    };
  });
}

/** Documents in `core.conversion_quarantine`, per module and collection. */
export async function quarantineCounts(ds: PostgresDataSource): Promise<{ module: string; collection: string; documents: number }[]> {
  if (!(await tableExists(ds, 'core.conversion_quarantine'))) return [];
  const r = await ds.query<{ module: string; collection: string; n: number }>(
    `select module, collection, count(*)::float8 as n from core.conversion_quarantine group by module, collection order by module collate "C", collection collate "C"`,
  );
  return r.rows.map((row) => ({ module: row.module, collection: row.collection, documents: row.n }));
}

/** Jobs of the Scheduler's SKIP LOCKED queue by kind and state, across tenants (maintenance role). */
export async function queueDepth(ds: PostgresDataSource): Promise<QueueDepth[]> {
  if (!(await tableExists(ds, 'scheduler.job_queue'))) return [];
  await assertSeesAllTenants(ds);
  const r = await ds.query<{ kind: string; state: string; n: number }>(
    `select kind, state, count(*)::float8 as n from scheduler.job_queue group by kind, state order by kind collate "C", state collate "C"`,
  );
  return r.rows.map((row) => ({ kind: row.kind, state: row.state, jobs: row.n }));
}
