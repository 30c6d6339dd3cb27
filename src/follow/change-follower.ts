import { writeQuarantine } from '../conversion/batch-loader.js';
import { classify } from '../conversion/classify.js';
import { readJob } from '../conversion/job-store.js';
import { SourceDocument } from '../conversion/source-document.js';
import { effectiveTier, type EffectiveTier } from '../conversion/tiers.js';
import { idFromLegacyId } from '../codec/ids.js';
import { isTenantScoped } from '../codec/fields.js';
import { migrationSetsFor } from '../container/migration-sets.js';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { DuplicateKeyError, PersistenceError, ValidationError } from '../interfaces/errors.js';
import { tenantContext, type TenantContext } from '../interfaces/tenant-context.js';
import { legacyIdOf } from '../mongo/legacy-id.js';
import { tenantRegistryOf } from '../mongo/tenant-keys.js';
import { recordTenantKeys } from '../postgres/tenant-registry-store.js';
import type { MongoDataSource } from '../mongo/mongo-data-source.js';
import { isHistoryLostError, type ChangeEventLike, type ChangeStreamLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource, Tx } from '../postgres/data-source.js';
import { tableOf } from '../postgres/entity-sql.js';
import { runMigrations } from '../postgres/migrations/index.js';
import { PostgresRepository } from '../postgres/postgres-repository.js';
import {
  addTombstone,
  advance,
  initFollow,
  markCaughtUp,
  markLost,
  readFollowStates,
  removeTombstone,
  sweepTombstones,
  unquarantine,
  type EventOutcome,
  type FollowState,
} from './follow-store.js';

/**
 * Catch-up from MongoDB change streams, for writers that bypass the adapter (other services,
 * scripts, the legacy service itself): every change to a followed legacy collection is converted
 * through the entity's declaration, exactly as `convert` would, and applied to PostgreSQL as
 * "upsert unless the row is newer" or "delete unless the row is newer", in ONE transaction with the
 * stream's new resume token. Killed at any moment, it resumes after the last change it committed:
 * no gap, no duplicate (a replayed change is idempotent anyway).
 *
 * Order of work for a live migration: `init()` records where each stream starts BEFORE the backfill
 * (`convert`) begins, so every change during the backfill is caught up afterwards. A delete of a
 * document the backfill has not loaded yet leaves a tombstone; the sweep deletes the row again if the
 * backfill loads the older copy later. A resume point that has left the oplog is reported (state
 * `lost`), never skipped over: the collection must be re-initialised and backfilled again.
 *
 * @example
 * const follower = new ChangeFollower({ ds: admin, mongo, module: authorityModule });
 * await follower.init();                 // before convert
 * await follower.run({ once: true });    // apply everything up to now, then return
 */
export interface FollowerOptions {
  readonly ds: PostgresDataSource;
  readonly mongo: MongoDataSource;
  readonly module: ModuleDefinition;
  /** The followed entities of the module (default: all of them but tier C). */
  readonly entities?: readonly EntitySpec[];
  readonly log?: (line: string) => void;
  /** Changes read from one stream before the next stream gets its turn. */
  readonly batchSize?: number;
}

export interface FollowRunOptions {
  /** Return once every stream is caught up (default: keep following until `signal` aborts). */
  readonly once?: boolean;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface FollowReport {
  readonly collections: readonly FollowState[];
  /** Collections whose changes wait for their backfill job to exist (`convert` not started yet). */
  readonly waiting: readonly string[];
  /** Collections whose resume point is gone: they need `follow --init --restart` and a new backfill. */
  readonly lost: readonly string[];
}

/** What a collection's changes are converted with: its backfill job's tier and tier-B "now". */
interface JobTier {
  readonly tier: EffectiveTier;
  readonly referenceTime: Date;
  readonly jobId: string;
}

/** Under steady writes, a stream that reached its end is swept at most this often. */
const SWEEP_EVERY_MS = 1000;

/** The context of a global (not tenant-scoped) entity: RLS does not apply to its table. */
const NO_TENANT = tenantContext('00000000-0000-0000-0000-000000000000');

export class ChangeFollower {
  private readonly targets: readonly EntitySpec[];
  private readonly log: (line: string) => void;

  constructor(private readonly options: FollowerOptions) {
    // Tier C collections are not converted, so there is nothing to keep up to date.
    this.targets = (options.entities ?? options.module.entities).filter((e) => e.tier.tier !== 'C');
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Records the current end of each collection's change stream as its starting point (existing
   * positions are kept unless `restart`). Run it before the backfill starts.
   */
  async init(restart = false): Promise<FollowState[]> {
    await this.prepare();
    for (const spec of this.targets) {
      const stream = this.options.mongo.db.collection(spec.collection).watch([], { fullDocument: 'updateLookup' });
      try {
        // The driver knows its start point after the first round trip.
        const first = await stream.tryNext();
        if (first) throw new PersistenceError(`follow --init: ${spec.collection} produced a change before its start point was known; run it again`);
        const created = await initFollow(this.options.ds, this.options.module.name, spec.collection, stream.resumeToken, restart);
        this.log(`${this.options.module.name}/${spec.collection}: ${created ? 'following from now' : 'already followed (position kept)'}`);
      } finally {
        await stream.close();
      }
    }
    return readFollowStates(this.options.ds, this.options.module.name);
  }

  /** Follows every collection: until caught up (`once`), or until `signal` aborts. */
  async run(options: FollowRunOptions = {}): Promise<FollowReport> {
    await this.prepare();
    // One follower per module at a time: two would race on the same positions.
    const lock = await this.options.ds.pool.connect();
    try {
      const got = await lock.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [`stellaops-follow|${this.options.module.name}`]);
      if (!got.rows[0]?.ok) throw new PersistenceError(`follow: another follower is running for ${this.options.module.name}`);
      try {
        return await this.follow(options);
      } finally {
        await lock.query('select pg_advisory_unlock(hashtextextended($1, 0))', [`stellaops-follow|${this.options.module.name}`]).catch(() => undefined);
      }
    } finally {
      lock.release();
    }
  }

  private async follow(options: FollowRunOptions): Promise<FollowReport> {
    const states = new Map((await readFollowStates(this.options.ds, this.options.module.name)).map((s) => [s.collection, s]));
    const missing = this.targets.filter((s) => !states.has(s.collection)).map((s) => s.collection);
    if (missing.length) throw new PersistenceError(`follow: ${missing.join(', ')} ${missing.length > 1 ? 'have' : 'has'} no starting point; run follow --init before the backfill`);
    const lost = new Set<string>([...states.values()].filter((s) => s.state === 'lost').map((s) => s.collection));
    const streams = new Map<EntitySpec, ChangeStreamLike>();
    const tiers = new Map<EntitySpec, JobTier>();
    const waiting = new Set<string>();
    const caughtUp = new Set<EntitySpec>();
    let lastSweep = 0;
    try {
      for (const spec of this.targets) {
        if (lost.has(spec.collection)) continue;
        try {
          streams.set(spec, this.options.mongo.db.collection(spec.collection).watch([], { fullDocument: 'updateLookup', resumeAfter: states.get(spec.collection)!.resumeToken as never }));
        } catch (err) {
          if (!isHistoryLostError(err)) throw err;
          await this.lose(spec, err, lost);
        }
      }
      for (;;) {
        let applied = 0;
        for (const [spec, stream] of streams) {
          try {
            const t = await this.tierOf(spec, tiers);
            if (!t) {
              // Changes are applied once the backfill's job exists (it fixes the tier-B "now" and owns
              // the quarantine); until then they wait in the stream, unread.
              if (!waiting.has(spec.collection)) this.log(`${this.options.module.name}/${spec.collection}: waiting for the backfill (convert) to start`);
              waiting.add(spec.collection);
              continue;
            }
            waiting.delete(spec.collection);
            const drained = await this.drain(spec, stream, t);
            applied += drained.applied;
            if (drained.caughtUp) caughtUp.add(spec);
          } catch (err) {
            if (!isHistoryLostError(err)) throw err;
            await this.lose(spec, err, lost);
            streams.delete(spec);
          }
        }
        // Re-apply deletes that a backfill may have undone: when idle, and, under steady writes that
        // never leave every stream idle at once, for each stream that reached its end, now and then.
        const sweepDue = applied === 0 || Date.now() - lastSweep >= SWEEP_EVERY_MS;
        if (sweepDue) {
          for (const spec of streams.keys()) {
            if (applied !== 0 && !caughtUp.has(spec)) continue;
            const swept = await sweepTombstones(this.options.ds, this.options.module.name, spec.collection, tableOf(spec));
            if (swept) this.log(`${this.options.module.name}/${spec.collection}: ${swept} row(s) deleted again (loaded by the backfill after their delete)`);
          }
          lastSweep = Date.now();
        }
        caughtUp.clear();
        if (applied === 0) {
          if (options.once || options.signal?.aborted || streams.size === 0) break;
          // Nothing applied; waiting streams are retried after the pause too.
          await sleep(options.intervalMs ?? 500, options.signal);
        }
        if (options.signal?.aborted) break;
      }
    } finally {
      for (const stream of streams.values()) await stream.close().catch(() => undefined);
    }
    return { collections: await readFollowStates(this.options.ds, this.options.module.name), waiting: [...waiting].sort(), lost: [...lost].sort() };
  }

  /** Applies the changes ready on one stream (at most one batch); marks it caught up when there are none. */
  private async drain(spec: EntitySpec, stream: ChangeStreamLike, t: JobTier): Promise<{ applied: number; caughtUp: boolean }> {
    let n = 0;
    const max = this.options.batchSize ?? 500;
    while (n < max) {
      const event = await stream.tryNext();
      if (!event) {
        await markCaughtUp(this.options.ds, this.options.module.name, spec.collection, stream.resumeToken);
        break;
      }
      await this.apply(spec, event, t);
      n += 1;
    }
    return { applied: n, caughtUp: n < max };
  }

  /** The backfill job's tier and tier-B "now", or null while the job does not exist. */
  private async tierOf(spec: EntitySpec, cache: Map<EntitySpec, JobTier>): Promise<JobTier | null> {
    let t = cache.get(spec);
    if (t) return t;
    const jobId = `${spec.module}/${spec.collection}`;
    const job = await readJob(this.options.ds, jobId);
    if (!job) return null;
    t = { tier: effectiveTier(spec, job.tier === spec.tier.tier ? 'auto' : job.tier), referenceTime: job.referenceTime, jobId };
    cache.set(spec, t);
    return t;
  }

  /** One change, applied with its resume token in one transaction. */
  private async apply(spec: EntitySpec, event: ChangeEventLike, t: JobTier): Promise<EventOutcome> {
    const module = this.options.module.name;
    const token = event._id;
    const at = event.wallTime ?? null;
    const repo = new PostgresRepository<Entity>(spec, this.options.ds);
    if (event.operationType === 'delete') {
      const legacyId = legacyIdOf(event.documentKey?._id);
      const id = idFromLegacyId(spec.collection, legacyId);
      return this.transaction(async (tx) => {
        const found = await tx.query(`select ${isTenantScoped(spec) ? 'tenant_id' : 'null as tenant_id'}, updated_at from ${tableOf(spec)} where id = $1`, [id]);
        const deletedAt = at ?? new Date();
        if (found.rows[0]) {
          const ctx = await this.setTenant(tx, spec, found.rows[0].tenant_id as string | null);
          // The stream's order is the truth: every earlier version of this document was applied before
          // its delete, so the delete wins even when a writer's clock put updatedAt past the delete's time.
          const rowAt = found.rows[0].updated_at as Date;
          const at = rowAt.getTime() > deletedAt.getTime() ? rowAt : deletedAt;
          await repo.applyReplicaTx(tx, ctx, { op: 'delete', id, entity: null, at, legacyId, audit: null });
        } else {
          await addTombstone(tx, module, spec.collection, id, legacyId, deletedAt);
        }
        await unquarantine(tx, module, spec.collection, legacyId);
        await advance(tx, module, spec.collection, token, 'applied', at);
        return 'applied' as const;
      });
    }
    if (!['insert', 'update', 'replace'].includes(event.operationType)) {
      // drop / rename / invalidate: nothing a row can say; the operator sees it in the log.
      this.log(`${module}/${spec.collection}: ${event.operationType} event; nothing to apply`);
      await this.transaction((tx) => advance(tx, module, spec.collection, token, 'skipped', at));
      return 'skipped';
    }
    if (!event.fullDocument) {
      // updateLookup found the document deleted since: its delete event follows in the stream.
      await this.transaction((tx) => advance(tx, module, spec.collection, token, 'skipped', at));
      return 'skipped';
    }
    const source = SourceDocument.fromCursorItem(event.fullDocument);
    const tenants = tenantRegistryOf(this.options.mongo.db);
    const outcome = classify(spec, t.tier, source, t.referenceTime, tenants);
    if (outcome.kind === 'row') {
      const entity = outcome.entity as unknown as Entity & { tenantId?: string };
      const tenantKeys = tenants.unrecorded();
      const upsert = () =>
        this.transaction(async (tx) => {
          await recordTenantKeys(tx, tenantKeys, `follow ${spec.module}.${spec.name}`);
          const ctx = await this.setTenant(tx, spec, isTenantScoped(spec) ? (entity.tenantId as string) : null);
          await repo.applyReplicaTx(tx, ctx, { op: 'upsert', id: entity.id, entity, at: entity.updatedAt, legacyId: outcome.legacyId, audit: null });
          await removeTombstone(tx, module, spec.collection, entity.id);
          await unquarantine(tx, module, spec.collection, outcome.legacyId);
          await advance(tx, module, spec.collection, token, 'applied', at);
          return 'applied' as const;
        });
      try {
        let applied: EventOutcome;
        try {
          applied = await upsert();
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
          // The row holding the key may be one the backfill loaded after its document was deleted
          // (a tombstone waits for it): sweep those now, then try once more.
          await sweepTombstones(this.options.ds, module, spec.collection, tableOf(spec));
          applied = await upsert();
        }
        tenants.markRecorded(tenantKeys.map((k) => k.key));
        return applied;
      } catch (err) {
        // PostgreSQL refused the row (a CHECK, an immutable fact changed, a unique key another live
        // document holds): quarantine it with that reason, as conversion does.
        if (!(err instanceof ValidationError) && !(err instanceof DuplicateKeyError)) throw err;
        return this.quarantine(spec, t.jobId, outcome.legacyId, err.message, source, token, at);
      }
    }
    if (outcome.kind === 'quarantine') return this.quarantine(spec, t.jobId, outcome.legacyId, outcome.reason, source, token, at);
    await this.transaction((tx) => advance(tx, module, spec.collection, token, 'skipped', at));
    return 'skipped';
  }

  private async quarantine(spec: EntitySpec, jobId: string, legacyId: string, reason: string, source: SourceDocument, token: unknown, at: Date | null): Promise<EventOutcome> {
    const module = this.options.module.name;
    this.log(`${module}/${spec.collection}: ${legacyId} quarantined: ${reason}`);
    await this.transaction(async (tx) => {
      await writeQuarantine(tx, { spec, jobId, tenants: tenantRegistryOf(this.options.mongo.db) }, [{ legacyId, reason, source }]);
      await advance(tx, module, spec.collection, token, 'quarantined', at);
    });
    return 'quarantined';
  }

  /**
   * One change's transaction. Its commit does not wait for the WAL flush (`synchronous_commit =
   * off`): the change and its resume token commit together or not at all, so a PostgreSQL crash
   * can only take back the last few changes *with* their position, and they are read again from
   * the stream (no gap, no duplicate); the follower no longer waits for one disk flush per change.
   */
  private transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.options.ds.transaction(async (tx) => {
      await tx.query('set local synchronous_commit = off');
      return fn(tx);
    });
  }

  /** Sets the row's tenant for the rest of the transaction (RLS is forced, even for the owner). */
  private async setTenant(tx: Tx, spec: EntitySpec, tenantId: string | null): Promise<TenantContext> {
    if (!isTenantScoped(spec) || !tenantId) return NO_TENANT;
    const ctx = tenantContext(tenantId);
    await tx.query("select set_config('app.tenant_id', $1, true)", [ctx.tenantId]);
    return ctx;
  }

  private async lose(spec: EntitySpec, err: unknown, lost: Set<string>): Promise<void> {
    const reason = `resume point gone (${(err as Error).message}); re-initialise with follow --init --restart, then backfill again`;
    await markLost(this.options.ds, this.options.module.name, spec.collection, reason);
    lost.add(spec.collection);
    this.log(`${this.options.module.name}/${spec.collection}: ${reason}`);
  }

  /**
   * The module's startup migrations (as convert applies them), and a maintenance role: deletes are
   * matched to rows of any tenant and tombstones swept across tenants.
   */
  private async prepare(): Promise<void> {
    await runMigrations(this.options.ds, migrationSetsFor([this.options.module]), { categories: ['startup'], log: this.log });
    const r = await this.options.ds.query<{ bypass: boolean; name: string }>('select (rolsuper or rolbypassrls) as bypass, rolname as name from pg_roles where rolname = current_user');
    if (!r.rows[0]?.bypass) {
      throw new PersistenceError(`follow needs the maintenance role (POSTGRES_ADMIN_URL) to be superuser or BYPASSRLS; ${r.rows[0]?.name ?? 'this role'} is neither`);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // The listener goes with the pause: a long-running follower must not pile them up on its signal.
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
