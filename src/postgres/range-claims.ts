import { hostname } from 'node:os';
import type { PostgresDataSource } from './data-source.js';

/**
 * Claiming ranges of work through PostgreSQL, shared by conversion (`core.conversion_range`) and
 * shared verification (`core.parity_range`): a table whose rows have `seq`, `status` (pending /
 * claimed / done), `claimed_by`, `claim_token`, `lease_until`, `claims` and `updated_at`, grouped
 * by some key columns (a job and pass, a run). Table and column names come from the callers'
 * constants, never from input; every value is a parameter.
 */
export interface RangeTable {
  /** Qualified table name, e.g. `core.parity_range`. */
  readonly table: string;
  /** Columns that identify the group of ranges, bound to `$1..$k` in this order. */
  readonly keys: readonly string[];
  /** Columns returned with a claimed range. */
  readonly returning: readonly string[];
}

export interface ClaimRequest {
  /** `<host>:<pid>` of the claimer. */
  readonly workerId: string;
  /** This claim's own token (a UUID). */
  readonly token: string;
  readonly leaseSeconds: number;
  /** Claims known to be abandoned (their process is gone): claimable at once. */
  readonly staleTokens: readonly string[];
}

/**
 * Claims the first claimable range of a group (lowest `seq`): pending, or claimed with an expired
 * lease, or claimed under one of `staleTokens`. SKIP LOCKED: concurrent claimers never wait for
 * each other and never get the same range. Returns the `returning` columns, or null when none is left.
 *
 * @example
 * const row = await claimNextRange(ds, { table: 'core.parity_range', keys: ['run_id'], returning: ['seq'] }, [runId],
 *   { workerId: 'host:42', token: randomUUID(), leaseSeconds: 60, staleTokens: [] });
 */
export async function claimNextRange(ds: PostgresDataSource, t: RangeTable, keyValues: readonly unknown[], claim: ClaimRequest): Promise<Record<string, unknown> | null> {
  if (keyValues.length !== t.keys.length) throw new Error(`claimNextRange(${t.table}): ${t.keys.length} key value(s) expected, got ${keyValues.length}`);
  const k = t.keys.length;
  const match = (alias: string) => t.keys.map((c, i) => `${alias}${c} = $${i + 1}`).join(' and ');
  const res = await ds.query(
    `with c as (
       select seq from ${t.table}
       where ${match('')}
         and (status = 'pending' or (status = 'claimed' and (lease_until < now() or claim_token = any($${k + 1}::uuid[]))))
       order by seq
       limit 1
       for update skip locked
     )
     update ${t.table} r
        set status = 'claimed', claimed_by = $${k + 2}, claim_token = $${k + 3}, lease_until = now() + make_interval(secs => $${k + 4}),
            claims = r.claims + 1, updated_at = now()
       from c
      where ${match('r.')} and r.seq = c.seq
     returning ${t.returning.map((c) => `r.${c}`).join(', ')}`,
    [...keyValues, claim.staleTokens, claim.workerId, claim.token, claim.leaseSeconds],
  );
  return res.rows[0] ?? null;
}

/**
 * Extends the lease of a claim still held under its token; false when the claim was lost (its lease
 * expired and another claimer took the range).
 */
export async function renewLease(ds: PostgresDataSource, t: RangeTable, keyValues: readonly unknown[], seq: number, token: string, leaseSeconds: number): Promise<boolean> {
  const k = t.keys.length;
  const res = await ds.query(
    `update ${t.table} set lease_until = now() + make_interval(secs => $${k + 3}), updated_at = now()
      where ${t.keys.map((c, i) => `${c} = $${i + 1}`).join(' and ')} and seq = $${k + 1} and claim_token = $${k + 2} and status = 'claimed'`,
    [...keyValues, seq, token, leaseSeconds],
  );
  return (res.rowCount ?? 0) > 0;
}

/** `<host>:<pid>` of this process: who holds a claim. */
export const CLAIMER_ID = `${hostname()}:${process.pid}`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Of some live claims, those whose holder is known to be gone: a process of this host that no longer
 * exists (killed), or this very process with a claim it is not working on (`active`). Claims of
 * other hosts wait for their lease to expire.
 *
 * @example
 * const stale = abandonedTokens(await liveClaims(ds, jobId, pass), activeTokens);
 */
export function abandonedTokens(claims: readonly { readonly claimedBy: string; readonly token: string }[], active: ReadonlySet<string>): string[] {
  const host = hostname();
  const stale: string[] = [];
  for (const { claimedBy, token } of claims) {
    const sep = claimedBy.lastIndexOf(':');
    if (claimedBy.slice(0, sep) !== host) continue;
    const pid = Number(claimedBy.slice(sep + 1));
    if (pid === process.pid ? !active.has(token) : !pidAlive(pid)) stale.push(token);
  }
  return stale;
}
