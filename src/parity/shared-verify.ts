import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { abandonedTokens, claimNextRange, CLAIMER_ID, renewLease, type RangeTable } from '../postgres/range-claims.js';
import { parityRange, parsePartial, serializePartial, type DataParityInput, type IdRange, type RangePartial } from './data-parity.js';
import type { ReferenceTimeSource } from './report-types.js';

/**
 * `verify --workers N` (SPEC 9 with SPEC 8's sharing): each compared collection's id space is split
 * into ranges (`core.parity_range`, migration core 040) that worker processes, on one host or
 * many, claim with FOR UPDATE SKIP LOCKED and a lease, exactly as conversion ranges are claimed
 * (the same claimer, `claimNextRange`). A worker runs data parity of its range and stores the
 * result with it; the process that planned the run merges the results in range order into the
 * report one process alone would write (same counts, samples and digest).
 */

/** What every worker of a run verifies identically, stored with the run. */
export interface RunPlan {
  readonly module: string;
  readonly sampleSize: number;
  readonly lookupSamples: number;
  /** Per compared collection, in report order: the reference time (ISO) and where it came from. */
  readonly collections: readonly { readonly collection: string; readonly referenceTime: string; readonly source: ReferenceTimeSource }[];
}

const RANGES: RangeTable = { table: 'core.parity_range', keys: ['run_id'], returning: ['seq', 'collection', 'lower_id::text as lower_id', 'upper_id::text as upper_id'] };

/** A claim not renewed for this long is taken over by another worker. */
export const LEASE_SECONDS = 60;

/** The `count` ranges that split the id space evenly by the first 32 bits (UUIDv5 ids are uniform). */
export function splitIdSpace(count: number): IdRange[] {
  const bound = (k: number) => `${Math.floor((k * 2 ** 32) / count).toString(16).padStart(8, '0')}-0000-0000-0000-000000000000`;
  return Array.from({ length: count }, (_, k) => ({ lower: k === 0 ? null : bound(k), upper: k === count - 1 ? null : bound(k + 1) }));
}

async function assertTables(ds: PostgresDataSource): Promise<void> {
  const res = await ds.query<{ present: boolean }>("select to_regclass('core.parity_range') is not null as present");
  if (!res.rows[0]?.present) throw new Error('verify --workers needs core.parity_run and core.parity_range (core migration 040): run `migrate` first');
}

/**
 * Records a run and its ranges (`rangesPerCollection` per collection), returns its id.
 *
 * @example
 * const runId = await planRun(coordinator, plan, 4);
 */
export async function planRun(ds: PostgresDataSource, plan: RunPlan, rangesPerCollection: number): Promise<string> {
  await assertTables(ds);
  const runId = randomUUID();
  const ranges = splitIdSpace(rangesPerCollection);
  await ds.transaction(async (tx) => {
    await tx.query('insert into core.parity_run (run_id, module, plan_json, created_at) values ($1, $2, $3, now())', [runId, plan.module, JSON.stringify(plan)]);
    let seq = 0;
    for (const c of plan.collections) {
      for (const r of ranges) {
        await tx.query('insert into core.parity_range (run_id, seq, collection, lower_id, upper_id) values ($1, $2, $3, $4, $5)', [runId, ++seq, c.collection, r.lower, r.upper]);
      }
    }
  });
  return runId;
}

export async function readPlan(ds: PostgresDataSource, runId: string): Promise<RunPlan> {
  await assertTables(ds);
  const res = await ds.query<{ plan_json: string }>('select plan_json from core.parity_run where run_id = $1', [runId]);
  if (!res.rows[0]) throw new Error(`no shared verification ${runId} (core.parity_run): it finished, or was never planned`);
  return JSON.parse(res.rows[0].plan_json) as RunPlan;
}

/** What a worker needs to verify a range of a collection. */
export type RangeInputOf = (collection: string) => Promise<DataParityInput>;

/** Live claims of this run whose holder is known to be gone: claimable at once instead of after the lease. */
async function staleTokens(ds: PostgresDataSource, runId: string, active: ReadonlySet<string>): Promise<string[]> {
  const res = await ds.query<{ claimed_by: string; token: string }>(
    "select claimed_by, claim_token::text as token from core.parity_range where run_id = $1 and status = 'claimed' and lease_until >= now()",
    [runId],
  );
  return abandonedTokens(res.rows.map((r) => ({ claimedBy: r.claimed_by, token: r.token })), active);
}

/**
 * One worker: claims ranges of the run until none is left, verifies each and stores its result.
 * With `untilDone`, it then waits for the ranges other workers hold (taking over any whose lease
 * expires), so that on return every range is done.
 *
 * @example
 * const ranges = await workRun(coordinator, runId, inputOf, { untilDone: false, log });
 */
export async function workRun(ds: PostgresDataSource, runId: string, inputOf: RangeInputOf, options: { untilDone: boolean; log: (line: string) => void }): Promise<number> {
  const active = new Set<string>();
  let done = 0;
  for (;;) {
    const token = randomUUID();
    const claim = await claimNextRange(ds, RANGES, [runId], { workerId: CLAIMER_ID, token, leaseSeconds: LEASE_SECONDS, staleTokens: await staleTokens(ds, runId, active) });
    if (!claim) {
      if (!options.untilDone) return done;
      const left = await ds.query<{ n: number }>("select count(*)::int as n from core.parity_range where run_id = $1 and status <> 'done'", [runId]);
      if (left.rows[0]!.n === 0) return done;
      await sleep(200);
      continue;
    }
    const seq = claim.seq as number;
    const collection = claim.collection as string;
    const range: IdRange = { lower: (claim.lower_id as string | null) ?? null, upper: (claim.upper_id as string | null) ?? null };
    active.add(token);
    // The lease is renewed while the range is verified; a lost claim only means another worker writes the same result.
    const heartbeat = setInterval(() => void renewLease(ds, RANGES, [runId], seq, token, LEASE_SECONDS).catch(() => undefined), (LEASE_SECONDS * 1000) / 3);
    try {
      options.log(`data parity: ${collection} range ${seq} [${range.lower ?? 'start'}, ${range.upper ?? 'end'})`);
      const partial = await parityRange(await inputOf(collection), range);
      await ds.query(
        "update core.parity_range set status = 'done', result_json = $4, lease_until = null, updated_at = now() where run_id = $1 and seq = $2 and claim_token = $3 and status = 'claimed'",
        [runId, seq, token, serializePartial(partial)],
      );
      done++;
    } finally {
      clearInterval(heartbeat);
      active.delete(token);
    }
  }
}

/** The results of a finished run, per collection in range order. */
export async function runResults(ds: PostgresDataSource, runId: string): Promise<Map<string, RangePartial[]>> {
  const res = await ds.query<{ collection: string; result_json: string | null }>('select collection, result_json from core.parity_range where run_id = $1 order by seq', [runId]);
  const out = new Map<string, RangePartial[]>();
  for (const r of res.rows) {
    if (r.result_json === null) throw new Error(`shared verification ${runId}: a range of ${r.collection} has no result`);
    const list = out.get(r.collection) ?? [];
    list.push(parsePartial(r.result_json));
    out.set(r.collection, list);
  }
  return out;
}

export async function dropRun(ds: PostgresDataSource, runId: string): Promise<void> {
  await ds.query('delete from core.parity_run where run_id = $1', [runId]);
}

/** The entities a plan names, in its order. */
export function planEntities(module: ModuleDefinition, plan: RunPlan): EntitySpec[] {
  return plan.collections.map((c) => {
    const spec = module.entities.find((s) => s.collection === c.collection);
    if (!spec) throw new Error(`shared verification of ${module.name}: no collection ${c.collection}`);
    return spec;
  });
}

