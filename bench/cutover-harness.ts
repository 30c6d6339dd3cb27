import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectId } from 'bson';
import { canonicalEntity, canonicalJson } from '../src/codec/canonical.js';
import { loadConfig } from '../src/config/load-config.js';
import type { PersistenceConfig } from '../src/config/persistence-config.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { PersistenceRuntime } from '../src/app/persistence-runtime.js';
import { runConversion } from '../src/conversion/index.js';
import { readJob } from '../src/conversion/job-store.js';
import { checksFor, runChecks } from '../src/cutover/cutover-checks.js';
import { PHASE_CONFIG, type Phase } from '../src/cutover/cutover-phases.js';
import { readCutover, recordMove } from '../src/cutover/cutover-store.js';
import { ChangeFollower } from '../src/follow/change-follower.js';
import { readFollowStates } from '../src/follow/follow-store.js';
import type { Entity } from '../src/interfaces/entity-spec.js';
import { JOB_QUEUE_TOKEN, type JobQueue } from '../src/interfaces/scheduler.js';
import { tenantContext, type TenantContext } from '../src/interfaces/tenant-context.js';
import { connectMongo, type MongoDataSource } from '../src/mongo/mongo-data-source.js';
import { runVerify } from '../src/parity/run-verify.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { createTestDatabase, mongoTarget } from '../test/setup/environment.js';
import { BENCH_TENANTS, percentile, round } from './bench-support.js';
import { CliProcess, seeded } from './cutover-processes.js';
import type { CutoverWorkload } from './cutover-workloads.js';

/**
 * The live-traffic cutover harness (issue 10): concurrent writers insert, update and delete a
 * module's entity through the container at a target rate (and, for Scheduler, enqueue, claim and
 * complete jobs through its custom job-queue store), one more writer goes straight into MongoDB (as
 * a legacy service would), while the module walks the phases with `cutover`'s own checks. Services
 * "restart" on each phase's configuration (a new runtime takes the traffic, the old one finishes
 * its calls and closes); the backfill, the change-stream follower and `verify` all run under the
 * writes, which never pause. With `kill`, `convert` and `follow` run as CLI processes and are
 * killed with SIGKILL at seeded random moments while they work, then started again. In the
 * rollback scenario the module goes back from DualWrite (Primary Postgres) to Mongo. At the end
 * every write acknowledged to a caller is read back from the store the module ends on (lost must
 * be 0).
 */
export interface HarnessOptions {
  readonly adminUrl: string;
  readonly appUrl: string;
  readonly mongoUrl: string;
  readonly mongoDatabase: string;
  readonly workload: CutoverWorkload;
  /** Concurrent adapter writers. */
  readonly writers: number;
  /** Adapter writes per second, all writers together. */
  readonly rate: number;
  /** Least time spent in each phase with writes flowing. */
  readonly phaseMs: number;
  /** Legacy documents present before the cutover starts. */
  readonly initialDocs: number;
  /** Pause between two documents of the direct MongoDB writer (default 50 ms: 20 inserts/s, some updated or deleted again). */
  readonly directIntervalMs?: number;
  readonly scenario: 'forward' | 'rollback';
  /** kill -9 of the converter and of the follower (run as CLI processes) at seeded random moments. */
  readonly kill?: { readonly seed: number; readonly converter: number; readonly follower: number };
  readonly log?: (line: string) => void;
}

export interface PhaseStats {
  readonly phase: Phase;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly callerErrors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** One `verify` of the walk, run while the writes continue. */
export interface ParityRun {
  readonly phase: Phase;
  readonly mismatches: number;
  /** Rows and probes still changing when their re-checks ended (never mismatches). */
  readonly inFlightRows: number;
  readonly inFlightProbes: number;
  /** Rows that differed while streaming and agreed on a re-check. */
  readonly settledRows: number;
  readonly matchedRows: number;
  readonly durationMs: number;
}

export interface HarnessReport {
  readonly module: string;
  readonly scenario: HarnessOptions['scenario'];
  readonly rate: number;
  readonly phases: readonly PhaseStats[];
  readonly attempted: number;
  readonly acknowledged: number;
  /** Acknowledged writes (entities and jobs) not found as acknowledged in the final store. */
  readonly lost: number;
  readonly callerErrors: number;
  readonly directWrites: number;
  /** Job-queue calls acknowledged (Scheduler), counted in the phases too. */
  readonly jobOps: number;
  /** The follower's largest lag seen from the start of the backfill to the switch of primary, ms. */
  readonly followLagMs: number;
  /** From the end of the backfill to the follower caught up with its deletes swept, ms. */
  readonly catchUpMs: number;
  readonly kills: { readonly converter: number; readonly follower: number };
  /** The verify that allowed `verified`, and the one in DualWrite (Primary Postgres) before the last move. */
  readonly parity: readonly ParityRun[];
  /** Sum of the mismatches of every verify (target 0). */
  readonly parityMismatches: number;
  readonly errors: readonly string[];
}

interface Expected {
  readonly ctx: TenantContext;
  entity: Entity | null;
}

interface ExpectedJob {
  readonly ctx: TenantContext;
  readonly phase: Phase;
  completed: boolean;
}

/**
 * {@link runLiveCutover} on a fresh PostgreSQL database and a fresh legacy database (MONGO_URL, else a
 * `memory:` folder, which CLI processes share), both dropped afterwards: what the test and the benchmark run.
 */
export async function runLiveCutoverFresh(o: Omit<HarnessOptions, 'adminUrl' | 'appUrl' | 'mongoUrl' | 'mongoDatabase'>): Promise<HarnessReport> {
  const db = await createTestDatabase(`live_${o.workload.module.name.toLowerCase()}_${o.scenario}`);
  const target = await mongoTarget();
  const folder = target.url === 'memory:' ? mkdtempSync(join(tmpdir(), 'stellaops-live-')) : null;
  try {
    return await runLiveCutover({ ...o, adminUrl: db.adminUrl, appUrl: db.appUrl, mongoUrl: folder ? `memory:${folder}` : target.url, mongoDatabase: `t_${randomBytes(4).toString('hex')}` });
  } finally {
    if (folder) rmSync(folder, { recursive: true, force: true });
    await db.drop();
  }
}

export async function runLiveCutover(o: HarnessOptions): Promise<HarnessReport> {
  const log = o.log ?? (() => undefined);
  const module = o.workload.module;
  const spec = o.workload.entity;
  const folder = mkdtempSync(join(tmpdir(), 'stellaops-harness-'));
  const env = { POSTGRES_URL: o.appUrl, POSTGRES_ADMIN_URL: o.adminUrl, MONGO_URL: o.mongoUrl, MONGO_DATABASE: o.mongoDatabase };
  const configFor = (phase: Phase): PersistenceConfig => {
    const c = PHASE_CONFIG[phase];
    const file = join(folder, `${phase}.json`);
    writeFileSync(file, JSON.stringify({ Persistence: { [module.name]: c.backend }, ...(c.primary ? { DualWriteOverrides: { [module.name]: { Primary: c.primary } } } : {}) }));
    return loadConfig({ file, env });
  };
  const ds = new PostgresDataSource({ url: o.adminUrl, pool: { min: 0, max: 4, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  const mongo: MongoDataSource = await connectMongo(o.mongoUrl, o.mongoDatabase);
  const errors: string[] = [];
  const note = (e: string) => {
    if (errors.length < 20) errors.push(e);
  };
  const expected = new Map<string, Expected>();
  const jobs = new Map<string, ExpectedJob>();
  const stats: { phase: Phase; attempted: number; acknowledged: number; callerErrors: number; latencies: number[] }[] = [];
  let phase: Phase = 'mongo';
  let runtime = await PersistenceRuntime.start(configFor('mongo'), { modules: [module], migrate: false });
  const inFlight = new Set<Promise<unknown>>();
  let stopWriters = false;
  let directOn = true;
  let directWrites = 0;
  let jobOps = 0;
  let followLagMs = 0;
  let catchUpMs = 0;
  const kills = { converter: 0, follower: 0 };
  const parity: ParityRun[] = [];
  const random = seeded(o.kill?.seed ?? 1);
  const reportsDir = join(folder, 'reports');

  const current = () => stats[stats.length - 1]!;
  const newPhase = (p: Phase) => {
    phase = p;
    stats.push({ phase: p, attempted: 0, acknowledged: 0, callerErrors: 0, latencies: [] });
  };
  newPhase('mongo');

  /** One call through the runtime serving traffic now, timed and counted in the phase it started in. */
  const call = async (what: (rt: PersistenceRuntime) => Promise<void>) => {
    const rt = runtime;
    const s = current();
    s.attempted += 1;
    const start = performance.now();
    const op = what(rt);
    inFlight.add(op);
    try {
      await op;
      s.acknowledged += 1;
      s.latencies.push(performance.now() - start);
    } catch (err) {
      s.callerErrors += 1;
      note(`${s.phase}: ${(err as Error).message}`);
    } finally {
      inFlight.delete(op);
    }
  };

  /** Acknowledged writes become the expectation. */
  const write = (w: number, i: number, mine: string[]) =>
    call(async (rt) => {
      const repo = rt.repository<Entity>(module.name, spec.name);
      const kind = mine.length < 5 ? 0 : i % 10;
      if (kind < 6) {
        const ctx = tenantContext(BENCH_TENANTS[(w + i) % BENCH_TENANTS.length]!, { actorId: randomUUID() });
        const e = await repo.insert(ctx, o.workload.insert(`${w}-${i}-${randomUUID().slice(0, 8)}`) as never);
        expected.set(e.id, { ctx, entity: e });
        mine.push(e.id);
      } else if (kind < 9) {
        const id = mine[(i * 7919) % mine.length]!;
        const x = expected.get(id)!;
        x.entity = await repo.update(x.ctx, id, o.workload.update(i) as never);
      } else {
        const [id] = mine.splice((i * 104729) % mine.length, 1);
        const x = expected.get(id!)!;
        await repo.delete(x.ctx, id!);
        x.entity = null;
      }
    });
  /** Scheduler's custom store: enqueue a job, or claim and complete one, through the runtime's binding. */
  const queueWork = (w: number, i: number) =>
    call(async (rt) => {
      const queue = rt.get<JobQueue>(JOB_QUEUE_TOKEN);
      const ctx = tenantContext(BENCH_TENANTS[w % BENCH_TENANTS.length]!);
      if (i % 2 === 0) {
        const { job } = await queue.enqueue(ctx, { kind: 'rescan', payload: { n: i, w }, idempotencyKey: `h-${w}-${i}` });
        jobs.set(job.id, { ctx, phase, completed: false });
      } else {
        for (const job of await queue.claim(ctx, 'rescan', `harness-${w}`, { limit: 1, leaseMs: 60_000 })) {
          await queue.complete(ctx, job);
          const x = jobs.get(job.id);
          if (x) x.completed = true;
        }
      }
      jobOps += 1;
    });

  const interval = (o.writers * 1000) / o.rate;
  const writerLoops = Array.from({ length: o.writers }, async (_, w) => {
    const mine: string[] = [];
    for (let i = 0; !stopWriters; i++) {
      const next = performance.now() + interval;
      // Scheduler: one call in four goes to the job queue.
      if (o.workload.jobQueue && i % 4 === 3) await queueWork(w, i);
      else await write(w, i, mine);
      await sleep(Math.max(0, next - performance.now()));
    }
  });
  const direct = (async () => {
    const coll = mongo.db.collection(spec.collection);
    for (let i = 0; !stopWriters; i++) {
      if (directOn) {
        const doc = o.workload.legacyDoc(1_000_000 + i, 'dddd', new Date());
        doc._id = new ObjectId();
        await coll.insertOne(doc);
        if (i % 3 === 0) await coll.updateOne({ _id: doc._id }, { $set: { updatedAt: new Date(Date.now() + 1) } });
        if (i % 7 === 6) await coll.deleteOne({ _id: doc._id });
        directWrites += 1;
      }
      await sleep(o.directIntervalMs ?? 50);
    }
  })();

  /** Services restart on the phase's configuration: the new runtime takes the traffic, the old one drains and closes. */
  const restart = async (p: Phase) => {
    const next = await PersistenceRuntime.start(configFor(p), { modules: [module], migrate: false });
    const old = runtime;
    runtime = next;
    newPhase(p);
    await Promise.allSettled([...inFlight]);
    await old.close();
  };
  const move = async (to: Phase, kind: 'advance' | 'rollback' = 'advance') => {
    const from = (await readCutover(ds, module.name)).phase;
    const plan = checksFor(from, to);
    const checks = 'checks' in plan ? await runChecks(plan.checks, { ds, mongo, config: configFor(phase), module, maxLagMs: 60_000, maxVerifyAgeMs: 3_600_000, reportsDir, now: new Date() }) : [];
    const failed = 'reason' in plan ? [plan.reason] : checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    // What the refused verify found (its first samples), so that a refusal can be diagnosed from the log.
    if (failed.length) throw new Error(`cutover ${from} -> ${to} refused: ${failed.join('; ')}${errors.length ? `; noted: ${errors.join(' | ')}` : ''}`);
    if (!(await recordMove(ds, module.name, { from, to, at: new Date().toISOString(), kind, checks }))) throw new Error(`cutover ${from} -> ${to}: moved by someone else`);
    log(`cutover ${kind} ${from} -> ${to}`);
    await restart(to);
  };
  const dwell = () => sleep(o.phaseMs);
  /** `verify` of the module with the writers, the direct writer and the follower all going. */
  const verify = async () => {
    const t0 = performance.now();
    const { report } = await runVerify({ config: configFor(phase), module, outDir: reportsDir, formats: ['json'] });
    const run: ParityRun = {
      phase,
      mismatches: report.summary.mismatches,
      inFlightRows: report.summary.inFlight?.rows ?? 0,
      inFlightProbes: report.summary.inFlight?.probes ?? 0,
      settledRows: report.data.reduce((n, d) => n + (d.inFlight?.settled ?? 0), 0),
      matchedRows: report.summary.matchedRows,
      durationMs: Math.round(performance.now() - t0),
    };
    parity.push(run);
    log(`verify in ${phase}: ${JSON.stringify(run)}`);
    if (run.mismatches) {
      for (const d of report.data) for (const [k, list] of Object.entries(d.samples)) for (const s of list.slice(0, 2)) if (['differing', 'missingInPostgres', 'missingInMongo'].includes(k)) note(`verify ${phase}: ${d.entity} ${k} ${s.id} ${JSON.stringify(s.differences)}`);
      for (const p of report.output.probes.filter((x) => x.status === 'mismatch' || x.status === 'error').slice(0, 3)) note(`verify ${phase}: probe ${p.entity} ${p.name}: ${p.difference?.message}`);
    }
  };

  // The follower: in this process, or a `follow` CLI process killed and started again.
  let followerProcess: CliProcess | null = null;
  let followerLoop: Promise<void> | null = null;
  let followerFailed: Error | null = null;
  let stopFollow = new AbortController();
  const followerInProcess = new ChangeFollower({ ds, mongo, module });
  const followProgress = async () => {
    const r = await ds.query<{ n: string; at: Date | null }>('select coalesce(sum(events_applied + events_skipped + events_quarantined), 0)::text as n, max(updated_at) as at from core.change_follow where module = $1', [module.name]);
    return `${r.rows[0]!.n}|${r.rows[0]!.at?.getTime() ?? ''}`;
  };
  const startFollower = () => {
    if (!o.kill) {
      stopFollow = new AbortController();
      const signal = stopFollow.signal;
      followerLoop = followerInProcess.run({ intervalMs: 50, signal }).then(
        () => undefined,
        (err: Error) => {
          followerFailed = err;
          note(`follow failed: ${err.message}`);
        },
      );
      return;
    }
    const spawnOne = () => new CliProcess(['follow', '--module', module.name, '--interval-ms', '50'], env, log);
    followerProcess = spawnOne();
    let left = o.kill.follower;
    followerLoop = (async () => {
      while (left > 0 && !stopFollow.signal.aborted) {
        // Killed while it works: after it has moved its position at least once, at a seeded random delay.
        const before = await followProgress();
        while (!stopFollow.signal.aborted && followerProcess!.running && (await followProgress()) === before) await sleep(20);
        await sleep(Math.floor(random() * 400));
        if (stopFollow.signal.aborted) break;
        if (followerProcess!.running) {
          await followerProcess!.kill9();
          kills.follower += 1;
          log(`follow killed (kill -9), ${kills.follower} so far`);
        } else note(`follow ended by itself: ${followerProcess!.lastLines}`);
        left -= 1;
        followerProcess = spawnOne();
      }
    })();
  };
  const stopFollower = async () => {
    stopFollow.abort();
    await followerLoop;
    if (followerProcess) {
      await followerProcess.stop();
      const exit = await followerProcess.exited;
      if (exit.code !== 0) note(`follow exited with ${exit.signal ?? exit.code}: ${followerProcess.lastLines}`);
      followerProcess = null;
    }
  };
  /** Until every followed collection is caught up after `since` and swept after its backfill finished. */
  const caughtUp = async (since: Date) => {
    for (let tries = 0; ; tries++) {
      const states = await readFollowStates(ds, module.name);
      let ok = states.length > 0;
      for (const s of states) {
        const job = await readJob(ds, `${module.name}/${s.collection}`);
        // Everything written before `since` is applied: the stream said "nothing more" after it, or
        // the follower applied a change written after it (under steady writes it may never be idle).
        const past = (s.caughtUpAt && s.caughtUpAt >= since) || (s.lastEventAt && s.lastEventAt >= since);
        if (s.state !== 'following' || !past || !s.sweptAt || (job?.finishedAt && s.sweptAt < job.finishedAt)) ok = false;
        followLagMs = Math.max(followLagMs, s.lagMs);
      }
      if (ok) return;
      if (followerFailed) throw new Error(`follow failed: ${followerFailed.message}`, { cause: followerFailed });
      if (tries > 2400) {
        const detail = states.map((s) => `${s.collection} ${s.state} caughtUp=${s.caughtUpAt?.toISOString()} swept=${s.sweptAt?.toISOString()} lag=${s.lagMs}`).join('; ');
        throw new Error(`follow did not catch up within 120 s after ${since.toISOString()}: ${detail}`);
      }
      await sleep(50);
    }
  };
  let sampling = false;
  const sampleLag = (async () => {
    for (;;) {
      if (stopWriters) return;
      if (sampling) for (const s of await readFollowStates(ds, module.name)) followLagMs = Math.max(followLagMs, s.lagMs);
      await sleep(100);
    }
  })();

  /** The backfill: in this process, or `convert` CLI processes killed while they convert and started again. */
  const backfill = async () => {
    if (!o.kill) {
      const conv = await runConversion({ config: configFor(phase), module: module.name, batchSize: 200, progress: 'none' });
      if (!conv.ok) throw new Error(`backfill failed: ${JSON.stringify(conv.collections.map((c) => c.outcome))}`);
      return;
    }
    const args = ['convert', '--module', module.name, '--batch-size', '50', '--throttle-ms', '5', '--lease-seconds', '5', '--no-progress'];
    const batches = async () => Number((await ds.query<{ n: string }>("select coalesce(sum(batches), 0)::text as n from core.conversion_range where job_id like $1 || '/%'", [module.name])).rows[0]!.n);
    for (let left = o.kill.converter; ; ) {
      const child = new CliProcess(args, env, log);
      if (left > 0) {
        // Killed while it converts: after its next batch, at a seeded random delay.
        const before = await batches();
        while (child.running && (await batches()) === before) await sleep(10);
        await sleep(Math.floor(random() * 150));
        if (child.running) {
          await child.kill9();
          kills.converter += 1;
          log(`convert killed (kill -9), ${kills.converter} so far`);
          left -= 1;
          continue;
        }
      }
      const exit = await child.exited;
      if (exit.code !== 0) throw new Error(`backfill failed: convert exited with ${exit.signal ?? exit.code}: ${child.lastLines}`);
      return;
    }
  };

  let lost = 0;
  try {
    const seed = mongo.db.collection(spec.collection);
    const seededAt = new Date(Date.UTC(2026, 0, 1));
    for (let i = 0; i < o.initialDocs; i += 1000) await seed.insertMany(Array.from({ length: Math.min(1000, o.initialDocs - i) }, (_, k) => o.workload.legacyDoc(i + k, 'aaaa', seededAt)));
    await runMigrations(ds, migrationSetsFor([module]), { categories: ['startup'] });
    await dwell();
    await move('dualwrite-mongo');
    await dwell();
    await followerInProcess.init();
    await move('backfill');
    sampling = true;
    startFollower();
    await backfill();
    const backfilled = new Date();
    const t0 = performance.now();
    await caughtUp(backfilled);
    catchUpMs = Math.round(performance.now() - t0);
    await dwell();
    await caughtUp(new Date());
    await verify();
    await move('verified');
    await dwell();
    // Writers that bypass the adapter stop before PostgreSQL becomes the primary (runbook step 4);
    // the follower applies what they wrote, then stops.
    directOn = false;
    await sleep(50);
    await caughtUp(new Date());
    sampling = false;
    await stopFollower();
    await move('dualwrite-postgres');
    await dwell();
    await verify();
    if (o.scenario === 'forward') await move('postgres');
    else await move('mongo', 'rollback');
    await dwell();
    stopWriters = true;
    await Promise.all(writerLoops);
    await direct;
    await Promise.allSettled([...inFlight]);
    await runtime.reconciler?.runOnce({ all: true });
    // Every acknowledged write, read back from the store the module ends on.
    const repo = runtime.repository<Entity>(module.name, spec.name);
    for (const [id, x] of expected) {
      const got = await repo.get(x.ctx, id);
      const want = x.entity ? canonicalJson(canonicalEntity(spec, x.entity as never)) : null;
      const have = got ? canonicalJson(canonicalEntity(spec, got as never)) : null;
      if (want !== have) {
        lost += 1;
        note(`lost: ${id} expected ${want ?? 'deleted'}, found ${have ?? 'nothing'}`);
      }
    }
    if (o.workload.jobQueue) {
      // Jobs are tier C (transient work, not converted): those enqueued once both stores were written
      // must all be in the final store, completed when they were completed.
      const queue = runtime.get<JobQueue>(JOB_QUEUE_TOKEN);
      for (const [id, j] of jobs) {
        if (j.phase === 'mongo' && o.scenario === 'forward') continue;
        const got = await queue.get(j.ctx, id);
        if (!got || (j.completed && got.state !== 'done')) {
          lost += 1;
          note(`lost job: ${id} (enqueued in ${j.phase}${j.completed ? ', completed' : ''}) found ${got ? got.state : 'nothing'}`);
        }
      }
    }
  } finally {
    stopWriters = true;
    stopFollow.abort();
    await Promise.allSettled(writerLoops);
    await direct.catch(() => undefined);
    await sampleLag.catch(() => undefined);
    await stopFollower().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    await ds.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
  const phases = stats.map((s) => ({
    phase: s.phase,
    attempted: s.attempted,
    acknowledged: s.acknowledged,
    callerErrors: s.callerErrors,
    p50Ms: s.latencies.length ? round(percentile(s.latencies, 50)) : 0,
    p99Ms: s.latencies.length ? round(percentile(s.latencies, 99)) : 0,
  }));
  return {
    module: module.name,
    scenario: o.scenario,
    rate: o.rate,
    phases,
    attempted: phases.reduce((n, p) => n + p.attempted, 0),
    acknowledged: phases.reduce((n, p) => n + p.acknowledged, 0),
    lost,
    callerErrors: phases.reduce((n, p) => n + p.callerErrors, 0),
    directWrites,
    jobOps,
    followLagMs,
    catchUpMs,
    kills,
    parity,
    parityMismatches: parity.length ? parity.reduce((n, p) => n + p.mismatches, 0) : -1,
    errors,
  };
}
