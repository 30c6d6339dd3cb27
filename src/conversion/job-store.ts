import type { PostgresDataSource, Tx } from '../postgres/data-source.js';
import { decodeIdValue, encodeIdValue, idValueEjson } from '../mongo/id-ranges.js';
import type { PlannedRange } from './range-planner.js';
import { claimNextRange, type RangeTable } from '../postgres/range-claims.js';

/** The conversion ranges as the generic claimer sees them. */
const CONVERSION_RANGES: RangeTable = { table: 'core.conversion_range', keys: ['job_id', 'pass'], returning: ['seq', 'lower_bson', 'upper_bson', 'checkpoint_bson'] };

/**
 * The conversion state in `core` (migration 020): jobs, passes, ranges and their claims. Every
 * statement is parameterised; the tables hold no tenant data, so no tenant is set.
 */

export interface JobRow {
  readonly jobId: string;
  readonly module: string;
  readonly collection: string;
  readonly tier: 'A' | 'B' | 'C';
  readonly referenceTime: Date;
  readonly status: 'running' | 'finished';
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly converted: bigint;
  readonly skipped: bigint;
  readonly quarantined: bigint;
}

export interface PassRow {
  readonly pass: number;
  readonly status: 'running' | 'finished';
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly planned: bigint;
  readonly rangeCount: number;
  readonly sourceCount: bigint | null;
}

/** A range this worker holds. */
export interface ClaimedRange {
  readonly jobId: string;
  readonly pass: number;
  readonly seq: number;
  readonly token: string;
  readonly lower: unknown | null;
  readonly upper: unknown | null;
}

/** Counters of a pass, summed over its ranges. */
export interface PassTotals {
  readonly ranges: number;
  readonly done: number;
  readonly claimed: number;
  readonly converted: bigint;
  readonly present: bigint;
  readonly skipped: bigint;
  readonly quarantined: bigint;
}

export function processedOf(t: PassTotals): bigint {
  return t.converted + t.present + t.skipped + t.quarantined;
}

function jobFrom(r: Record<string, unknown>): JobRow {
  return {
    jobId: r.job_id as string,
    module: r.module as string,
    collection: r.collection as string,
    tier: r.tier as JobRow['tier'],
    referenceTime: r.reference_time as Date,
    status: r.status as JobRow['status'],
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
    converted: BigInt(r.converted as bigint),
    skipped: BigInt(r.skipped as bigint),
    quarantined: BigInt(r.quarantined as bigint),
  };
}

function passFrom(r: Record<string, unknown>): PassRow {
  return {
    pass: r.pass as number,
    status: r.status as PassRow['status'],
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
    planned: BigInt(r.planned as bigint),
    rangeCount: r.range_count as number,
    sourceCount: r.source_count === null ? null : BigInt(r.source_count as bigint),
  };
}

export async function readJob(q: Tx | PostgresDataSource, jobId: string, forUpdate = false): Promise<JobRow | null> {
  const res = await q.query(`select * from core.conversion_job where job_id = $1${forUpdate ? ' for update' : ''}`, [jobId]);
  return res.rows[0] ? jobFrom(res.rows[0]) : null;
}

export async function insertJobIfMissing(
  tx: Tx,
  job: { jobId: string; module: string; collection: string; tier: string; referenceTime: Date },
): Promise<void> {
  await tx.query(
    `insert into core.conversion_job (job_id, module, collection, tier, reference_time, status, started_at)
     values ($1, $2, $3, $4, $5, 'running', now()) on conflict (job_id) do nothing`,
    [job.jobId, job.module, job.collection, job.tier, job.referenceTime],
  );
}

export async function latestPass(q: Tx | PostgresDataSource, jobId: string): Promise<PassRow | null> {
  const res = await q.query(`select * from core.conversion_pass where job_id = $1 order by pass desc limit 1`, [jobId]);
  return res.rows[0] ? passFrom(res.rows[0]) : null;
}

export async function readPass(q: Tx | PostgresDataSource, jobId: string, pass: number): Promise<PassRow> {
  const res = await q.query(`select * from core.conversion_pass where job_id = $1 and pass = $2`, [jobId, pass]);
  if (!res.rows[0]) throw new Error(`${jobId}: pass ${pass} does not exist`);
  return passFrom(res.rows[0]);
}

/** Records a new pass and its planned ranges; marks the job running again (a rerun). */
export async function insertPass(tx: Tx, jobId: string, pass: number, ranges: readonly PlannedRange[], planned: number): Promise<void> {
  await tx.query(
    `insert into core.conversion_pass (job_id, pass, status, started_at, planned, range_count) values ($1, $2, 'running', now(), $3, $4)`,
    [jobId, pass, planned, ranges.length],
  );
  // Multi-row inserts, at most 500 ranges (4,000 parameters) per statement.
  for (let start = 0; start < ranges.length; start += 500) {
    const chunk = ranges.slice(start, start + 500);
    const params: unknown[] = [jobId, pass];
    const values = chunk.map((r) => {
      const base = params.length;
      params.push(
        r.seq,
        r.lower === null ? null : encodeIdValue(r.lower),
        r.upper === null ? null : encodeIdValue(r.upper),
        r.lower === null ? null : idValueEjson(r.lower),
        r.upper === null ? null : idValueEjson(r.upper),
        r.planned,
      );
      return `($1, $2, ${[1, 2, 3, 4, 5, 6].map((i) => `$${base + i}`).join(', ')})`;
    });
    await tx.query(
      `insert into core.conversion_range (job_id, pass, seq, lower_bson, upper_bson, lower_ejson, upper_ejson, planned) values ${values.join(', ')}`,
      params,
    );
  }
  await tx.query(`update core.conversion_job set status = 'running', finished_at = null where job_id = $1`, [jobId]);
}

/** A pass with nothing to convert (tier C): finished at once, every document counted as skipped by tier. */
export async function insertFinishedEmptyPass(tx: Tx, jobId: string, pass: number, sourceCount: number): Promise<void> {
  await tx.query(
    `insert into core.conversion_pass (job_id, pass, status, started_at, finished_at, planned, range_count, source_count)
     values ($1, $2, 'finished', now(), now(), $3, 0, $3)`,
    [jobId, pass, sourceCount],
  );
  await tx.query(
    `update core.conversion_job set status = 'finished', finished_at = now(), converted = 0, skipped = $2, quarantined = 0 where job_id = $1`,
    [jobId, sourceCount],
  );
}

/** Claimers of live claims, to spot those whose process is gone. */
export async function liveClaims(ds: PostgresDataSource, jobId: string, pass: number): Promise<{ claimedBy: string; token: string }[]> {
  const res = await ds.query(
    `select distinct claimed_by, claim_token::text as token from core.conversion_range
     where job_id = $1 and pass = $2 and status = 'claimed' and lease_until >= now()`,
    [jobId, pass],
  );
  return res.rows.map((r) => ({ claimedBy: r.claimed_by as string, token: r.token as string }));
}

/**
 * Claims the first claimable range of a pass: pending, or claimed with an expired lease, or claimed
 * under one of `staleTokens` (a claim whose process is known to be gone). SKIP LOCKED: concurrent
 * claimers never wait for each other and never get the same range.
 */
export async function claimRange(
  ds: PostgresDataSource,
  jobId: string,
  pass: number,
  claim: { workerId: string; token: string; leaseSeconds: number; staleTokens: readonly string[] },
): Promise<(ClaimedRange & { checkpoint: unknown | null; hasCheckpoint: boolean }) | null> {
  const r = await claimNextRange(ds, CONVERSION_RANGES, [jobId, pass], claim);
  if (!r) return null;
  return {
    jobId,
    pass,
    seq: r.seq as number,
    token: claim.token,
    lower: r.lower_bson ? decodeIdValue(r.lower_bson as Buffer) : null,
    upper: r.upper_bson ? decodeIdValue(r.upper_bson as Buffer) : null,
    hasCheckpoint: r.checkpoint_bson !== null,
    checkpoint: r.checkpoint_bson ? decodeIdValue(r.checkpoint_bson as Buffer) : null,
  };
}

/** Where a claimed range stands now (read before every (re)start: the committed checkpoint is the truth). */
export async function rangePosition(
  ds: PostgresDataSource,
  range: ClaimedRange,
): Promise<{ owned: boolean; done: boolean; checkpoint: unknown | null; hasCheckpoint: boolean }> {
  const res = await ds.query(
    `select status, claim_token::text as token, checkpoint_bson from core.conversion_range where job_id = $1 and pass = $2 and seq = $3`,
    [range.jobId, range.pass, range.seq],
  );
  const r = res.rows[0];
  if (!r) return { owned: false, done: false, checkpoint: null, hasCheckpoint: false };
  return {
    owned: r.token === range.token && r.status === 'claimed',
    done: r.status === 'done',
    hasCheckpoint: r.checkpoint_bson !== null,
    checkpoint: r.checkpoint_bson ? decodeIdValue(r.checkpoint_bson as Buffer) : null,
  };
}

/** Gives a range back (after a permanent error) so another worker can take it at once. */
export async function releaseClaim(ds: PostgresDataSource, range: ClaimedRange): Promise<void> {
  await ds.query(
    `update core.conversion_range set status = 'pending', claimed_by = null, claim_token = null, lease_until = null, updated_at = now()
     where job_id = $1 and pass = $2 and seq = $3 and claim_token = $4 and status = 'claimed'`,
    [range.jobId, range.pass, range.seq, range.token],
  );
}

export async function passTotals(q: Tx | PostgresDataSource, jobId: string, pass: number): Promise<PassTotals> {
  const res = await q.query(
    `select count(*)::int as ranges,
            count(*) filter (where status = 'done')::int as done,
            count(*) filter (where status = 'claimed')::int as claimed,
            coalesce(sum(converted), 0)::bigint as converted, coalesce(sum(present), 0)::bigint as present,
            coalesce(sum(skipped), 0)::bigint as skipped, coalesce(sum(quarantined), 0)::bigint as quarantined
       from core.conversion_range where job_id = $1 and pass = $2`,
    [jobId, pass],
  );
  const r = res.rows[0]!;
  return {
    ranges: r.ranges as number,
    done: r.done as number,
    claimed: r.claimed as number,
    converted: BigInt(r.converted as bigint),
    present: BigInt(r.present as bigint),
    skipped: BigInt(r.skipped as bigint),
    quarantined: BigInt(r.quarantined as bigint),
  };
}

/** Copies a pass's totals onto the job row (converted = rows in PostgreSQL, new or already there). */
export async function updateJobCounters(tx: Tx, jobId: string, pass: number): Promise<void> {
  await tx.query(
    `update core.conversion_job j
        set converted = s.converted, skipped = s.skipped, quarantined = s.quarantined
       from (select coalesce(sum(converted + present), 0) as converted, coalesce(sum(skipped), 0) as skipped,
                    coalesce(sum(quarantined), 0) as quarantined
               from core.conversion_range where job_id = $1 and pass = $2) s
      where j.job_id = $1`,
    [jobId, pass],
  );
}

/**
 * Finishes a pass once every range is done: exactly once, under the job row's lock, whichever
 * worker gets there first. Returns false when ranges remain or another worker already finished it.
 */
export async function finishPass(ds: PostgresDataSource, jobId: string, pass: number, sourceCount: () => Promise<number>): Promise<boolean> {
  return ds.transaction(async (tx) => {
    await readJob(tx, jobId, true);
    const current = await readPass(tx, jobId, pass);
    if (current.status === 'finished') return false;
    const totals = await passTotals(tx, jobId, pass);
    if (totals.done < totals.ranges) return false;
    const count = await sourceCount();
    await tx.query(`update core.conversion_pass set status = 'finished', finished_at = now(), source_count = $3 where job_id = $1 and pass = $2`, [
      jobId,
      pass,
      count,
    ]);
    await updateJobCounters(tx, jobId, pass);
    await tx.query(`update core.conversion_job set status = 'finished', finished_at = now() where job_id = $1`, [jobId]);
    return true;
  });
}
