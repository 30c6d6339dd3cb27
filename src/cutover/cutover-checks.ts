import { readFile } from 'node:fs/promises';
import { ObjectId } from 'bson';
import { join } from 'node:path';
import { dualWriteFor, type PersistenceConfig } from '../config/persistence-config.js';
import { migrationSetsFor } from '../container/migration-sets.js';
import { readJob } from '../conversion/job-store.js';
import { readFollowStates } from '../follow/follow-store.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import type { MongoDataSource } from '../mongo/mongo-data-source.js';
import { PENDING_COLLECTION } from '../mongo/mongo-pending-log.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { migrationStatus } from '../postgres/migrations/index.js';
import { reportBaseName } from '../parity/report-writer.js';
import type { VerifyReport } from '../parity/report-types.js';
import { describeConfig, PHASE_CONFIG, phaseIndex, type Phase } from './cutover-phases.js';
import type { CheckResult } from './cutover-store.js';

/**
 * The preconditions of every cutover move, each a named check with what it found. A move is
 * allowed only when all of its checks pass; `cutover` prints them either way.
 */
export interface CheckContext {
  readonly ds: PostgresDataSource;
  readonly mongo: MongoDataSource | null;
  readonly config: PersistenceConfig;
  readonly module: ModuleDefinition;
  /** Bound on the follower's lag and on the age of DualWrite records still pending. */
  readonly maxLagMs: number;
  /** How old the last clean verification may be. */
  readonly maxVerifyAgeMs: number;
  /** Folder of `verify` reports (`parity-<module>.json`). */
  readonly reportsDir: string;
  readonly now: Date;
}

type Check = (c: CheckContext) => Promise<CheckResult>;

/** Collections that conversion, follow and verify cover (tier C converts nothing). */
function converted(module: ModuleDefinition): readonly EntitySpec[] {
  return module.entities.filter((e) => e.tier.tier !== 'C');
}

const configIs = (phase: Phase): Check => async (c) => {
  const want = PHASE_CONFIG[phase];
  const backend = c.config.Persistence[c.module.name];
  const primary = backend === 'DualWrite' ? dualWriteFor(c.config, c.module.name).Primary : null;
  const have = describeConfig({ backend, primary });
  return { name: 'configuration', ok: backend === want.backend && primary === want.primary, detail: `configured ${have}; phase ${phase} runs ${describeConfig(want)}` };
};

const migrationsApplied: Check = async (c) => {
  const status = await migrationStatus(c.ds, migrationSetsFor([c.module]));
  const pending = status.flatMap((s) => s.pending.filter((p) => p.category === 'startup').map((p) => `${s.module} ${p.version}`));
  return { name: 'migrations', ok: pending.length === 0, detail: pending.length ? `startup migrations pending: ${pending.join(', ')} (run migrate)` : 'startup migrations applied' };
};

const followerInitialised: Check = async (c) => {
  const states = new Map((await readFollowStates(c.ds, c.module.name)).map((s) => [s.collection, s]));
  const missing = converted(c.module).filter((e) => states.get(e.collection)?.state !== 'following').map((e) => e.collection);
  return { name: 'follow initialised', ok: missing.length === 0, detail: missing.length ? `no change-stream position for ${missing.join(', ')} (run follow --init)` : 'every collection has a change-stream position' };
};

const conversionFinished: Check = async (c) => {
  const open: string[] = [];
  for (const e of converted(c.module)) {
    const job = await readJob(c.ds, `${e.module}/${e.collection}`);
    if (job?.status !== 'finished') open.push(`${e.collection} (${job ? job.status : 'not started'})`);
  }
  return { name: 'backfill finished', ok: open.length === 0, detail: open.length ? `conversion not finished: ${open.join(', ')}` : 'every conversion job finished' };
};

const followerCaughtUp: Check = async (c) => {
  const problems: string[] = [];
  const states = new Map((await readFollowStates(c.ds, c.module.name)).map((s) => [s.collection, s]));
  for (const e of converted(c.module)) {
    const s = states.get(e.collection);
    if (!s) problems.push(`${e.collection}: not followed`);
    else if (s.state === 'lost') problems.push(`${e.collection}: resume point lost`);
    else {
      // Running and current: it said "nothing more" recently, or its last change was applied within the bound.
      const idleFor = s.caughtUpAt ? c.now.getTime() - s.caughtUpAt.getTime() : Infinity;
      const quietFor = c.now.getTime() - s.updatedAt.getTime();
      if (!(idleFor <= c.maxLagMs || (quietFor <= c.maxLagMs && s.lagMs <= c.maxLagMs))) {
        problems.push(`${e.collection}: lag ${s.lagMs} ms, last caught up ${s.caughtUpAt ? `${Math.round(idleFor)} ms ago` : 'never'} (is follow running?)`);
      }
    }
  }
  return { name: 'follow caught up', ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `every collection within ${c.maxLagMs} ms` };
};

const sweptAfterBackfill: Check = async (c) => {
  const late: string[] = [];
  const states = new Map((await readFollowStates(c.ds, c.module.name)).map((s) => [s.collection, s]));
  for (const e of converted(c.module)) {
    const job = await readJob(c.ds, `${e.module}/${e.collection}`);
    const swept = states.get(e.collection)?.sweptAt;
    if (!job?.finishedAt || !swept || swept.getTime() < job.finishedAt.getTime()) late.push(e.collection);
  }
  return {
    name: 'deletes re-applied after backfill',
    ok: late.length === 0,
    detail: late.length ? `follow has not swept since the backfill finished: ${late.join(', ')}` : 'tombstones swept after every backfill finished',
  };
};

const pendingLog: Check = async (c) => {
  const pg = await c.ds.query<{ n: number; oldest: Date | null }>(`select count(*)::int as n, min(created_at) as oldest from core.dualwrite_pending where module = $1`, [c.module.name]);
  let n = pg.rows[0]!.n;
  let oldest = pg.rows[0]!.oldest?.getTime() ?? Infinity;
  if (c.mongo) {
    const coll = c.mongo.db.collection(PENDING_COLLECTION);
    n += await coll.countDocuments({ module: c.module.name });
    // Its ObjectId _id carries when the record was written (second precision).
    const first = await coll.findOne({ module: c.module.name }, { sort: { _id: 1 } });
    if (first?._id instanceof ObjectId) oldest = Math.min(oldest, first._id.getTimestamp().getTime());
  }
  const ageMs = Number.isFinite(oldest) ? c.now.getTime() - oldest : 0;
  return {
    name: 'DualWrite pending log',
    ok: n === 0 || ageMs <= c.maxLagMs,
    detail: n === 0 ? 'nothing pending' : `${n} record(s) pending, oldest ${Math.round(ageMs)} ms old${ageMs > c.maxLagMs ? ' (run reconcile)' : ''}`,
  };
};

const verifyClean: Check = async (c) => {
  // The whole-module report (what `verify --module M` writes), by the name the report writer gives it.
  const file = join(c.reportsDir, `${reportBaseName({ module: c.module.name } as VerifyReport, false)}.json`);
  let report: { summary?: { ok?: boolean; mismatches?: number }; timings?: { finishedAt?: string }; data?: { collection: string }[] };
  try {
    report = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    return { name: 'verify clean and recent', ok: false, detail: `no readable report at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run verify --module ${c.module.name} --out ${c.reportsDir}` };
  }
  const finished = new Date(report.timings?.finishedAt ?? NaN);
  const covered = new Set((report.data ?? []).map((d) => d.collection));
  const uncovered = converted(c.module).filter((e) => !covered.has(e.collection)).map((e) => e.collection);
  let latestJob = 0;
  for (const e of converted(c.module)) latestJob = Math.max(latestJob, (await readJob(c.ds, `${e.module}/${e.collection}`))?.finishedAt?.getTime() ?? 0);
  const problems: string[] = [];
  if (!report.summary?.ok || report.summary.mismatches !== 0) problems.push(`${report.summary?.mismatches ?? '?'} mismatch(es)`);
  if (Number.isNaN(finished.getTime())) problems.push('no finish time');
  else {
    if (c.now.getTime() - finished.getTime() > c.maxVerifyAgeMs) problems.push(`finished ${finished.toISOString()}, older than ${Math.round(c.maxVerifyAgeMs / 60_000)} min`);
    if (finished.getTime() < latestJob) problems.push('older than the last backfill');
  }
  if (uncovered.length) problems.push(`does not cover ${uncovered.join(', ')}`);
  return { name: 'verify clean and recent', ok: problems.length === 0, detail: problems.length ? `${file}: ${problems.join('; ')}` : `${file}: 0 mismatches, finished ${finished.toISOString()}` };
};

const neverFromPostgres: Check = async () => ({
  name: 'MongoDB has every write',
  ok: false,
  detail: 'in phase postgres MongoDB receives no writes: flipping back would lose them (migrate the data back instead)',
});

/** The checks a move must pass; null when the move itself is not allowed (named in `reason`). */
export function checksFor(from: Phase, to: Phase): { checks: Check[] } | { reason: string } {
  const step = phaseIndex(to) - phaseIndex(from);
  if (step === 0) return { reason: `the module is already in phase ${to}` };
  if (step > 1) return { reason: `phases are taken one at a time: from ${from} the next is the one after it, not ${to}` };
  if (step === 1) {
    switch (to) {
      case 'dualwrite-mongo':
        return { checks: [migrationsApplied] };
      case 'backfill':
        return { checks: [configIs('dualwrite-mongo'), followerInitialised] };
      case 'verified':
        return { checks: [configIs('backfill'), conversionFinished, followerCaughtUp, sweptAfterBackfill, pendingLog, verifyClean] };
      case 'dualwrite-postgres':
        return { checks: [configIs('verified'), followerCaughtUp, pendingLog, verifyClean] };
      case 'postgres':
        return { checks: [configIs('dualwrite-postgres'), pendingLog] };
      default:
        return { reason: `no move leads to ${to}` };
    }
  }
  // Rollback: MongoDB must hold everything the services wrote.
  if (from === 'postgres') return { checks: [neverFromPostgres] };
  if (from === 'dualwrite-postgres') return { checks: [pendingLog] };
  return { checks: [] };
}

export async function runChecks(checks: readonly Check[], c: CheckContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of checks) out.push(await check(c));
  return out;
}
