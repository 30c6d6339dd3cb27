import type { DatabaseError } from 'pg';
import type { Clock } from '../../../interfaces/clock.js';
import { systemClock } from '../../../interfaces/clock.js';
import { DuplicateKeyError } from '../../../interfaces/errors.js';
import type { ChangeHook, ChangeRecord, Page } from '../../../interfaces/repository.js';
import {
  DEFAULT_JOB_QUEUE_OPTIONS,
  LeaseLostError,
  QUEUED_JOB_STATES,
  type ClaimOptions,
  type EnqueueRequest,
  type EnqueueResult,
  type JobLease,
  type JobQueue,
  type JobQueueOptions,
  type QueuedJob,
  type QueuedJobState,
} from '../../../interfaces/scheduler.js';
import { checkTenantContext, type TenantContext } from '../../../interfaces/tenant-context.js';
import { decodeCursor, encodeCursor } from '../../../codec/cursor.js';
import { queuedJob } from '../entities.js';
import {
  assertLease,
  checkKind,
  checkLeaseMs,
  checkLimit,
  checkWorker,
  extended,
  failed,
  newJob,
  DEAD_JOBS_CURSOR,
} from './rules.js';
import type { PostgresDataSource, Tx } from '../../../postgres/data-source.js';
import { ident, qualified } from '../../../postgres/data-source.js';
import { selectList, updateSql } from '../../../postgres/entity-sql.js';
import { fromRow, toParams } from '../../../postgres/row-codec.js';

const TABLE = qualified(queuedJob.schema, queuedJob.table);
const COLUMNS = selectList(queuedJob);
const J_COLUMNS = COLUMNS.split(', ').map((c) => `j.${c}`).join(', ');

// One statement, one round trip: (1) crashed workers' jobs of this tenant and kind, whose lease
// expired, are ready again at once, or dead when their claims are used up (the rule `reaped` of
// job-queue-rules.ts, set-based); (2) the seeds' claim (3.3): the oldest ready jobs through the partial
// readiness index, FOR UPDATE SKIP LOCKED so concurrent workers take disjoint jobs without waiting on
// each other (the rule `claimed`). Both parts see the statement's snapshot: a job released in (1) is not
// claimable by (2) of the same statement, so claim() runs it once more when (1) released something.
const CLAIM_SQL = `
with expired as (
  select id from ${TABLE}
  where tenant_id = $1 and kind = $2 and state = 'running' and lease_until <= $3
  order by lease_until, id
  limit 1000
  for update skip locked),
reaped as (
  update ${TABLE} j set
    state       = case when j.attempts >= j.max_attempts then 'dead' else 'ready' end,
    locked_at   = case when j.attempts >= j.max_attempts then j.locked_at end,
    locked_by   = case when j.attempts >= j.max_attempts then j.locked_by end,
    run_after   = case when j.attempts >= j.max_attempts then j.run_after else $3 end,
    finished_at = case when j.attempts >= j.max_attempts then $3::timestamptz end,
    lease_id    = null,
    lease_until = null,
    last_error  = 'lease expired: worker ' || coalesce(j.locked_by, '?') || ' did not finish attempt ' || j.attempts,
    updated_at  = greatest($3, j.updated_at + interval '1 millisecond')
  from expired
  where j.id = expired.id
  returning ${J_COLUMNS}),
ready as (
  select id from ${TABLE}
  where tenant_id = $1 and kind = $2 and locked_at is null and run_after <= $3
  order by run_after, id
  limit $4
  for update skip locked),
claimed as (
  update ${TABLE} j set
    state       = 'running',
    attempts    = j.attempts + 1,
    locked_at   = $3,
    locked_by   = $5,
    lease_id    = gen_random_uuid(),
    lease_until = $6,
    updated_at  = greatest($3, j.updated_at + interval '1 millisecond')
  from ready
  where j.id = ready.id
  returning ${J_COLUMNS})
select 'reaped' as outcome, ${COLUMNS} from reaped
union all
select 'claimed' as outcome, ${COLUMNS} from claimed`;

// The rule `completed`, as one statement guarded by the lease: no row means the lease is not held.
const COMPLETE_SQL = `
update ${TABLE} set
  state       = 'done',
  lease_id    = null,
  lease_until = null,
  finished_at = $4,
  updated_at  = greatest($4, updated_at + interval '1 millisecond')
where id = $1 and tenant_id = $2 and lease_id = $3 and state = 'running'
returning ${COLUMNS}`;

/**
 * The job queue on PostgreSQL (`scheduler.job_queue`, docs/postgres-patterns.md §3.3): claims with FOR UPDATE SKIP LOCKED
 * through the partial readiness index, everything else one transaction per call with the tenant set
 * (row-level security isolates tenants). Changes other than claims go to the change hooks inside the
 * transaction (DualWrite records them there); a claim is a lease, not replicated state.
 *
 * @example
 * const queue = new PostgresJobQueue(dataSource);
 * const { job } = await queue.enqueue(ctx, { kind: 'graph-build', payload: { sbomId }, idempotencyKey: sbomId });
 * const [claimed] = await queue.claim(ctx, 'graph-build', 'worker-a', { leaseMs: 60_000 });
 * await queue.complete(ctx, claimed!);
 */
export class PostgresJobQueue implements JobQueue {
  private readonly hooks: ChangeHook[] = [];
  private readonly options: JobQueueOptions;

  constructor(
    private readonly ds: PostgresDataSource,
    private readonly clock: Clock = systemClock,
    options: Partial<JobQueueOptions> = {},
  ) {
    this.options = { ...DEFAULT_JOB_QUEUE_OPTIONS, ...options };
  }

  onChange(hook: ChangeHook): this {
    this.hooks.push(hook);
    return this;
  }

  async enqueue(ctx: TenantContext, request: EnqueueRequest): Promise<EnqueueResult> {
    const job = newJob(ctx, request, this.options, this.clock);
    const { columns, params } = toParams(queuedJob, job as unknown as Record<string, unknown>);
    const cols = [...columns, 'legacy_id'];
    // A second enqueue with the same key does nothing and returns the first job: never doubled, even
    // when both race (the unique index decides; the loser reads the winner's row).
    const sql =
      `insert into ${TABLE} (${cols.map(ident).join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')}) ` +
      `on conflict (tenant_id, kind, idempotency_key) where idempotency_key is not null do nothing returning ${COLUMNS}`;
    return this.ds.withTenant(ctx, async (tx) => {
      const inserted = await this.run(tx, sql, [...params, null]);
      if (inserted.rows[0]) {
        const stored = fromRow<QueuedJob>(queuedJob, inserted.rows[0]);
        await this.changed(tx, ctx, stored);
        return { job: stored, created: true };
      }
      const existing = await tx.query(`select ${COLUMNS} from ${TABLE} where tenant_id = $1 and kind = $2 and idempotency_key = $3`, [
        checkTenantContext(ctx),
        job.kind,
        job.idempotencyKey,
      ]);
      return { job: fromRow<QueuedJob>(queuedJob, existing.rows[0]!), created: false };
    });
  }

  async claim(ctx: TenantContext, kind: string, workerId: string, options: ClaimOptions = {}): Promise<QueuedJob[]> {
    checkKind(kind);
    checkWorker(workerId);
    const limit = options.limit ?? 1;
    const leaseMs = options.leaseMs ?? this.options.defaultLeaseMs;
    checkLimit(limit);
    checkLeaseMs(leaseMs);
    const now = this.clock.now();
    return this.ds.withTenant(ctx, async (tx) => {
      const claimed: QueuedJob[] = [];
      // A second pass only when the first released expired leases and could take more: those jobs
      // are claimable now, and a caller asking for work must get them.
      for (let pass = 0; pass < 2; pass++) {
        const res = await tx.query(CLAIM_SQL, [checkTenantContext(ctx), kind, now, limit - claimed.length, workerId, new Date(now.getTime() + leaseMs)]);
        let released = 0;
        for (const row of res.rows) {
          const job = fromRow<QueuedJob>(queuedJob, row);
          if (row.outcome === 'reaped') {
            released++;
            await this.changed(tx, ctx, job);
          } else claimed.push(job);
        }
        if (released === 0 || claimed.length >= limit) break;
      }
      return claimed.sort(byRunAfterThenId);
    });
  }

  async complete(ctx: TenantContext, lease: JobLease): Promise<QueuedJob> {
    if (lease.leaseId === null) throw new LeaseLostError(lease.id, null);
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(COMPLETE_SQL, [lease.id, checkTenantContext(ctx), lease.leaseId, this.clock.now()]);
      if (!res.rows[0]) throw new LeaseLostError(lease.id, lease.leaseId);
      const done = fromRow<QueuedJob>(queuedJob, res.rows[0]);
      await this.changed(tx, ctx, done);
      return done;
    });
  }

  fail(ctx: TenantContext, lease: JobLease, error: string, options: { retry?: boolean } = {}): Promise<QueuedJob> {
    return this.transition(ctx, lease, (job, now) => failed(job, error, options.retry ?? true, now, this.options));
  }

  extendLease(ctx: TenantContext, lease: JobLease, leaseMs: number): Promise<QueuedJob> {
    checkLeaseMs(leaseMs);
    // A lease is not replicated state (like a claim): no change hook.
    return this.transition(ctx, lease, (job, now) => extended(job, now, leaseMs), false);
  }

  async get(ctx: TenantContext, id: string): Promise<QueuedJob | null> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(`select ${COLUMNS} from ${TABLE} where id = $1 and tenant_id = $2`, [id, checkTenantContext(ctx)]);
      return res.rows[0] ? fromRow<QueuedJob>(queuedJob, res.rows[0]) : null;
    });
  }

  async listDead(ctx: TenantContext, options: { kind?: string; after?: string | null; limit?: number } = {}): Promise<Page<QueuedJob>> {
    const limit = options.limit ?? 100;
    checkLimit(limit);
    const params: unknown[] = [checkTenantContext(ctx)];
    const where = [`tenant_id = $1`, `state = 'dead'`];
    if (options.kind !== undefined) {
      params.push(options.kind);
      where.push(`kind = $${params.length}`);
    }
    if (options.after) {
      const cursor = decodeCursor(options.after, 'pg', 'dead', DEAD_JOBS_CURSOR);
      params.push(cursor.keys[0], cursor.tie);
      where.push(`(finished_at < $${params.length - 1} or (finished_at = $${params.length - 1} and id > $${params.length}))`);
    }
    params.push(limit + 1);
    const sql = `select ${COLUMNS} from ${TABLE} where ${where.join(' and ')} order by finished_at desc, id asc limit $${params.length}`;
    const rows = await this.ds.withTenant(ctx, async (tx) => (await tx.query(sql, params)).rows);
    const items = rows.slice(0, limit).map((r) => fromRow<QueuedJob>(queuedJob, r));
    const last = items[items.length - 1];
    const next = rows.length > limit && last ? encodeCursor({ backend: 'pg', order: 'dead', keys: [last.finishedAt], tie: last.id }) : null;
    return { items, next };
  }

  async counts(ctx: TenantContext, kind?: string): Promise<Record<QueuedJobState, number>> {
    const sql = `select state, count(*)::int as n from ${TABLE} where tenant_id = $1${kind === undefined ? '' : ' and kind = $2'} group by state`;
    const rows = await this.ds.withTenant(ctx, async (tx) => (await tx.query<{ state: QueuedJobState; n: number }>(sql, kind === undefined ? [checkTenantContext(ctx)] : [checkTenantContext(ctx), kind])).rows);
    const out = Object.fromEntries(QUEUED_JOB_STATES.map((s) => [s, 0])) as Record<QueuedJobState, number>;
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /** Reads the job under a row lock, checks the lease, writes what `next` decides. */
  private async transition(ctx: TenantContext, lease: JobLease, next: (job: QueuedJob, now: Date) => QueuedJob, replicated = true): Promise<QueuedJob> {
    return this.ds.withTenant(ctx, async (tx) => {
      const res = await tx.query(`select ${COLUMNS} from ${TABLE} where id = $1 and tenant_id = $2 for update`, [lease.id, checkTenantContext(ctx)]);
      const current = assertLease(res.rows[0] ? fromRow<QueuedJob>(queuedJob, res.rows[0]) : null, lease);
      const updated = next(current, this.clock.now());
      const { columns, params } = toParams(queuedJob, updated as unknown as Record<string, unknown>);
      const { sql } = updateSql(queuedJob, columns);
      const written = await this.run(tx, sql, [lease.id, checkTenantContext(ctx), ...params]);
      const stored = fromRow<QueuedJob>(queuedJob, written.rows[0]!);
      if (replicated) await this.changed(tx, ctx, stored);
      return stored;
    });
  }

  private async changed(tx: Tx, ctx: TenantContext, job: QueuedJob): Promise<void> {
    const change: ChangeRecord = { op: 'upsert', id: job.id, entity: job, at: job.updatedAt, legacyId: null, audit: null };
    for (const hook of this.hooks) await hook(change, ctx, tx);
  }

  private async run(tx: Tx, sql: string, params: unknown[]) {
    try {
      return await tx.query(sql, params);
    } catch (err) {
      if ((err as DatabaseError).code === '23505') throw new DuplicateKeyError('Scheduler.job', 'id', { cause: err });
      throw err;
    }
  }
}

function byRunAfterThenId(a: QueuedJob, b: QueuedJob): number {
  return a.runAfter.getTime() - b.runAfter.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
