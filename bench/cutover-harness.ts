import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectId } from 'bson';
import { canonicalEntity, canonicalJson } from '../src/codec/canonical.js';
import { loadConfig } from '../src/config/load-config.js';
import type { PersistenceConfig } from '../src/config/persistence-config.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { PersistenceRuntime } from '../src/app/persistence-runtime.js';
import { runConversion } from '../src/conversion/index.js';
import { checksFor, runChecks } from '../src/cutover/cutover-checks.js';
import { PHASE_CONFIG, type Phase } from '../src/cutover/cutover-phases.js';
import { readCutover, recordMove } from '../src/cutover/cutover-store.js';
import { ChangeFollower } from '../src/follow/change-follower.js';
import { readFollowStates } from '../src/follow/follow-store.js';
import type { Entity } from '../src/interfaces/entity-spec.js';
import type { ModuleDefinition } from '../src/interfaces/module-definition.js';
import { tenantContext, type TenantContext } from '../src/interfaces/tenant-context.js';
import { user } from '../src/modules/authority/entities.js';
import { connectMongo, type MongoDataSource } from '../src/mongo/mongo-data-source.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { runVerify } from '../src/parity/run-verify.js';
import { createTestDatabase, mongoTarget } from '../test/setup/environment.js';
import { benchUserDoc, BENCH_TENANTS, percentile, round } from './bench-support.js';

/**
 * The live-traffic cutover harness: concurrent writers insert, update and delete Authority users
 * through the container at a target rate, one more writes straight into MongoDB (as a legacy service
 * would), while the module walks the phases with `cutover`'s own checks, services "restart" on each
 * phase's configuration (a new runtime takes the traffic, the old one finishes its calls and closes),
 * the backfill and the change-stream follower run under the writes, and, in the rollback scenario,
 * the module goes back from DualWrite (Primary Postgres) to Mongo. At the end every write acknowledged
 * to a caller is read back from the final store (lost must be 0) and `verify` proves parity.
 *
 * What it does not do yet: `verify` runs with the writers paused for the few seconds it takes (a
 * verification that re-checks rows changing under it is still to be built).
 */
export interface HarnessOptions {
  readonly adminUrl: string;
  readonly appUrl: string;
  readonly mongoUrl: string;
  readonly mongoDatabase: string;
  readonly module: ModuleDefinition;
  /** Concurrent adapter writers. */
  readonly writers: number;
  /** Adapter writes per second, all writers together. */
  readonly rate: number;
  /** Least time spent in each phase with writes flowing. */
  readonly phaseMs: number;
  /** Legacy documents present before the cutover starts. */
  readonly initialDocs: number;
  readonly scenario: 'forward' | 'rollback';
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

export interface HarnessReport {
  readonly scenario: HarnessOptions['scenario'];
  readonly rate: number;
  readonly phases: readonly PhaseStats[];
  readonly attempted: number;
  readonly acknowledged: number;
  readonly lost: number;
  readonly directWrites: number;
  /** The follower's largest lag seen when the backfill ended, ms. */
  readonly followLagMs: number;
  readonly parityMismatches: number;
  readonly errors: readonly string[];
}

interface Expected {
  readonly ctx: TenantContext;
  entity: Entity | null;
}

/**
 * {@link runLiveCutover} on a fresh PostgreSQL database and a fresh legacy database (MONGO_URL, else a
 * `memory:` folder), both dropped afterwards: what the test and the benchmark run.
 */
export async function runLiveCutoverFresh(o: Omit<HarnessOptions, 'adminUrl' | 'appUrl' | 'mongoUrl' | 'mongoDatabase'>): Promise<HarnessReport> {
  const db = await createTestDatabase(`live_${o.scenario}`);
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
  const folder = mkdtempSync(join(tmpdir(), 'stellaops-harness-'));
  const env = { POSTGRES_URL: o.appUrl, POSTGRES_ADMIN_URL: o.adminUrl, MONGO_URL: o.mongoUrl, MONGO_DATABASE: o.mongoDatabase };
  const configFor = (phase: Phase): PersistenceConfig => {
    const c = PHASE_CONFIG[phase];
    const file = join(folder, `${phase}.json`);
    writeFileSync(file, JSON.stringify({ Persistence: { [o.module.name]: c.backend }, ...(c.primary ? { DualWriteOverrides: { [o.module.name]: { Primary: c.primary } } } : {}) }));
    return loadConfig({ file, env });
  };
  const ds = new PostgresDataSource({ url: o.adminUrl, pool: { min: 0, max: 4, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  const mongo: MongoDataSource = await connectMongo(o.mongoUrl, o.mongoDatabase);
  const errors: string[] = [];
  const expected = new Map<string, Expected>();
  const stats: { phase: Phase; attempted: number; acknowledged: number; callerErrors: number; latencies: number[] }[] = [];
  let phase: Phase = 'mongo';
  let runtime = await PersistenceRuntime.start(configFor('mongo'), { modules: [o.module], migrate: false });
  const inFlight = new Set<Promise<unknown>>();
  let stopWriters = false;
  let paused = false;
  let directOn = true;
  let directWrites = 0;
  let followLagMs = 0;
  const reportsDir = join(folder, 'reports');

  const current = () => stats[stats.length - 1]!;
  const newPhase = (p: Phase) => {
    phase = p;
    stats.push({ phase: p, attempted: 0, acknowledged: 0, callerErrors: 0, latencies: [] });
  };
  newPhase('mongo');

  /** One adapter write through the runtime serving traffic now; acknowledged writes become the expectation. */
  const write = async (w: number, i: number, mine: string[]) => {
    const rt = runtime;
    const users = rt.repository<Entity>(o.module.name, user.name);
    const s = current();
    s.attempted += 1;
    const start = performance.now();
    const op = (async () => {
      const kind = mine.length < 5 ? 0 : i % 10;
      if (kind < 6) {
        const ctx = tenantContext(BENCH_TENANTS[(w + i) % BENCH_TENANTS.length]!, { actorId: randomUUID() });
        const e = await users.insert(ctx, { username: `w${w}-${i}-${randomUUID().slice(0, 8)}`, status: 'active', mfaEnabled: false } as never);
        expected.set(e.id, { ctx, entity: e });
        mine.push(e.id);
      } else if (kind < 9) {
        const id = mine[(i * 7919) % mine.length]!;
        const x = expected.get(id)!;
        const e = await users.update(x.ctx, id, { displayName: `changed ${i}`, status: i % 2 ? 'locked' : 'active' } as never);
        x.entity = e;
      } else {
        const [id] = mine.splice((i * 104729) % mine.length, 1);
        const x = expected.get(id!)!;
        await users.delete(x.ctx, id!);
        x.entity = null;
      }
    })();
    inFlight.add(op);
    try {
      await op;
      s.acknowledged += 1;
      s.latencies.push(performance.now() - start);
    } catch (err) {
      s.callerErrors += 1;
      if (errors.length < 20) errors.push(`${phase}: ${(err as Error).message}`);
    } finally {
      inFlight.delete(op);
    }
  };
  const interval = (o.writers * 1000) / o.rate;
  const writerLoops = Array.from({ length: o.writers }, async (_, w) => {
    const mine: string[] = [];
    for (let i = 0; !stopWriters; i++) {
      const next = performance.now() + interval;
      if (!paused) await write(w, i, mine);
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  });
  const direct = (async () => {
    const coll = mongo.db.collection(user.collection);
    for (let i = 0; !stopWriters; i++) {
      if (directOn && !paused) {
        const doc = benchUserDoc(1_000_000 + i, 'dddd');
        doc._id = new ObjectId();
        doc.updatedAt = new Date();
        await coll.insertOne(doc);
        if (i % 3 === 0) await coll.updateOne({ _id: doc._id }, { $set: { displayName: `direct ${i}`, updatedAt: new Date(Date.now() + 1) } });
        directWrites += 1;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  /** Services restart on the phase's configuration: the new runtime takes the traffic, the old one drains and closes. */
  const restart = async (p: Phase) => {
    const next = await PersistenceRuntime.start(configFor(p), { modules: [o.module], migrate: false });
    const old = runtime;
    runtime = next;
    newPhase(p);
    await Promise.allSettled([...inFlight]);
    await old.close();
  };
  const move = async (to: Phase, kind: 'advance' | 'rollback' = 'advance') => {
    const from = (await readCutover(ds, o.module.name)).phase;
    const plan = checksFor(from, to);
    const checks = 'checks' in plan ? await runChecks(plan.checks, { ds, mongo, config: configFor(phase), module: o.module, maxLagMs: 60_000, maxVerifyAgeMs: 3_600_000, reportsDir, now: new Date() }) : [];
    const failed = 'reason' in plan ? [plan.reason] : checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    if (failed.length) throw new Error(`cutover ${from} -> ${to} refused: ${failed.join('; ')}`);
    if (!(await recordMove(ds, o.module.name, { from, to, at: new Date().toISOString(), kind, checks }))) throw new Error(`cutover ${from} -> ${to}: moved by someone else`);
    log(`cutover ${kind} ${from} -> ${to}`);
    await restart(to);
  };
  const dwell = () => new Promise((r) => setTimeout(r, o.phaseMs));
  /** The writers stop for a moment; everything pending is applied (pending log, change streams). */
  const quiesce = async (follower: ChangeFollower | null) => {
    paused = true;
    await Promise.allSettled([...inFlight]);
    await runtime.reconciler?.runOnce({ all: true });
    if (follower) await follower.run({ once: true });
  };

  let parityMismatches = -1;
  let lost = 0;
  try {
    const seed = mongo.db.collection(user.collection);
    for (let i = 0; i < o.initialDocs; i += 1000) await seed.insertMany(Array.from({ length: Math.min(1000, o.initialDocs - i) }, (_, k) => benchUserDoc(i + k, 'aaaa')));
    await runMigrations(ds, migrationSetsFor([o.module]), { categories: ['startup'] });
    await dwell();
    await move('dualwrite-mongo');
    await dwell();
    const follower = new ChangeFollower({ ds, mongo, module: o.module });
    await follower.init();
    await move('backfill');
    // `follow` runs in the background like the CLI process would; one at a time (it holds a lock).
    let stopFollow = new AbortController();
    let following = follower.run({ intervalMs: 50, signal: stopFollow.signal });
    const pauseFollow = async () => {
      stopFollow.abort();
      await following;
    };
    const conv = await runConversion({ config: configFor(phase), module: o.module.name, batchSize: 200, progress: 'none' });
    if (!conv.ok) throw new Error(`backfill failed: ${JSON.stringify(conv.collections.map((c) => c.outcome))}`);
    await dwell();
    followLagMs = Math.max(0, ...(await readFollowStates(ds, o.module.name)).map((s) => s.lagMs));
    await pauseFollow();
    await quiesce(follower);
    const verify = await runVerify({ config: configFor(phase), module: o.module, outDir: reportsDir, formats: ['json'] });
    parityMismatches = verify.report.summary.mismatches;
    await follower.run({ once: true });
    paused = false;
    stopFollow = new AbortController();
    following = follower.run({ intervalMs: 50, signal: stopFollow.signal });
    await move('verified');
    await dwell();
    // Writers that bypass the adapter stop before PostgreSQL becomes the primary (runbook step 4).
    directOn = false;
    await pauseFollow();
    await quiesce(follower);
    paused = false;
    await move('dualwrite-postgres');
    await dwell();
    if (o.scenario === 'forward') {
      await quiesce(null);
      paused = false;
      await move('postgres');
      await dwell();
    } else {
      await quiesce(null);
      paused = false;
      await move('mongo', 'rollback');
      await dwell();
    }
    stopWriters = true;
    await Promise.all(writerLoops);
    await direct;
    await Promise.allSettled([...inFlight]);
    await runtime.reconciler?.runOnce({ all: true });
    // Every acknowledged write, read back from the store the module ends on.
    const users = runtime.repository<Entity>(o.module.name, user.name);
    for (const [id, x] of expected) {
      const got = await users.get(x.ctx, id);
      const want = x.entity ? canonicalJson(canonicalEntity(user, x.entity as never)) : null;
      const have = got ? canonicalJson(canonicalEntity(user, got as never)) : null;
      if (want !== have) {
        lost += 1;
        if (errors.length < 20) errors.push(`lost: ${id} expected ${want ?? 'deleted'}, found ${have ?? 'nothing'}`);
      }
    }
  } finally {
    stopWriters = true;
    await Promise.allSettled(writerLoops);
    await direct.catch(() => undefined);
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
    scenario: o.scenario,
    rate: o.rate,
    phases,
    attempted: phases.reduce((n, p) => n + p.attempted, 0),
    acknowledged: phases.reduce((n, p) => n + p.acknowledged, 0),
    lost,
    directWrites,
    followLagMs,
    parityMismatches,
    errors,
  };
}
