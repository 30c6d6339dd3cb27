import 'reflect-metadata';
import { Container } from 'inversify';
import type { PersistenceConfig } from '../config/persistence-config.js';
import { adminUrlOf, dualWriteFor } from '../config/persistence-config.js';
import type { DualWriteEvent } from '../dualwrite/dual-write-repository.js';
import { PendingApplier, type PendingApplierStats } from '../dualwrite/pending-applier.js';
import type { PendingLog } from '../dualwrite/pending-log.js';
import { Reconciler } from '../dualwrite/reconciler.js';
import { systemClock, type Clock } from '../interfaces/clock.js';
import type { Entity, EntitySpec } from '../interfaces/entity-spec.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import type { Backend, ModuleName } from '../interfaces/modules.js';
import type { EntityRepository } from '../interfaces/repository.js';
import { MongoPendingLog } from '../mongo/mongo-pending-log.js';
import { connectMongo, type MongoDataSource } from '../mongo/mongo-data-source.js';
import { MongoRepository } from '../mongo/mongo-repository.js';
import { PostgresDataSource, maskUrl } from '../postgres/data-source.js';
import { PostgresPendingLog } from '../postgres/pg-pending-log.js';
import { grantAppRole, runMigrations, type MigrationRunReport } from '../postgres/migrations/index.js';
import { MODULES } from '../modules/registry.js';
import { ensurePartitionsAhead, partitionedTablesOf } from '../postgres/partitions.js';
import { RepositoryFactory } from './repository-factory.js';
import { CoreTokens } from './tokens.js';
import { migrationSetsFor } from './migration-sets.js';

export interface RuntimeOptions {
  readonly clock?: Clock;
  readonly modules?: readonly ModuleDefinition[];
  readonly publish?: (event: DualWriteEvent) => void;
  /** Apply startup migrations of the modules on PostgreSQL (default true). */
  readonly migrate?: boolean;
  /** Start the DualWrite reconciler loop when a module is on DualWrite (default false). */
  readonly reconcile?: boolean;
  readonly log?: (line: string) => void;
}

export interface BackendHealth {
  readonly backend: 'Postgres' | 'Mongo';
  readonly target: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

/**
 * A running persistence layer: the Inversify container with every repository token bound to the
 * implementation its module's `Persistence` key selects, its connections, and (optionally) the
 * reconciler loop. Changing a key and building a new runtime is the whole switch (and rollback).
 *
 * @example
 * const runtime = await PersistenceRuntime.start(loadConfig());
 * const users = runtime.get<UserRepository>(AuthorityTokens.user);
 * await runtime.close();
 */
export class PersistenceRuntime {
  private constructor(
    readonly container: Container,
    readonly config: PersistenceConfig,
    readonly modules: readonly ModuleDefinition[],
    readonly postgres: PostgresDataSource | null,
    readonly mongo: MongoDataSource | null,
    readonly reconciler: Reconciler | null,
    readonly startup: readonly MigrationRunReport[],
    /** Applies DualWrite secondary writes after commit (null when no module is on DualWrite). */
    readonly dualWriteApplier: PendingApplier | null,
  ) {}

  static async start(config: PersistenceConfig, options: RuntimeOptions = {}): Promise<PersistenceRuntime> {
    const modules = options.modules ?? MODULES;
    const backends = new Set<Backend>(modules.map((m) => config.Persistence[m.name]));
    const needPg = backends.has('Postgres') || backends.has('DualWrite');
    const needMongo = backends.has('Mongo') || backends.has('DualWrite');
    const log = options.log ?? (() => {});

    let startup: MigrationRunReport[] = [];
    const pgModules = modules.filter((m) => config.Persistence[m.name] !== 'Mongo');
    if (needPg && options.migrate !== false) {
      const adminUrl = adminUrlOf(config)!;
      startup = await runMigrations(adminUrl, migrationSetsFor(pgModules), { categories: ['startup'], log });
      await ensurePartitionsAhead(adminUrl, partitionedTablesOf(pgModules), config.Partitions.MonthsAhead);
      const appUser = decodeURIComponent(new URL(config.Postgres.Url!).username);
      if (appUser && appUser !== decodeURIComponent(new URL(adminUrl).username)) await grantAppRole(adminUrl, appUser);
      for (const r of startup) {
        if (r.pendingRelease.length) log(`${r.module}: ${r.pendingRelease.length} release migration(s) pending (run migrate --release): ${r.pendingRelease.map((m) => m.version).join(', ')}`);
      }
    }
    const postgres = needPg ? new PostgresDataSource(pgSettings(config)) : null;
    let mongo: MongoDataSource | null = null;
    try {
      mongo = needMongo ? await connectMongo(config.Mongo.Url!, config.Mongo.Database) : null;
    } catch (err) {
      await postgres?.close();
      throw err;
    }

    const container = new Container({ defaultScope: 'Singleton' });
    container.bind(CoreTokens.Config).toConstantValue(config);
    container.bind(CoreTokens.Clock).toConstantValue(options.clock ?? systemClock);
    if (postgres) {
      container.bind(CoreTokens.Postgres).toConstantValue(postgres);
      container.bind(CoreTokens.PostgresPendingLog).toConstantValue(new PostgresPendingLog(postgres));
    }
    if (mongo) {
      container.bind(CoreTokens.Mongo).toConstantValue(mongo);
      container.bind(CoreTokens.MongoPendingLog).toConstantValue(new MongoPendingLog(mongo.db));
    }
    if (options.publish) container.bind(CoreTokens.Publisher).toConstantValue(options.publish);
    // One bounded applier for every DualWrite store of this runtime (generic and custom).
    const applier = backends.has('DualWrite')
      ? new PendingApplier({ maxQueued: config.DualWrite.ApplyQueueSize, concurrency: config.DualWrite.ApplyConcurrency, maxWaitMs: config.DualWrite.ApplyMaxWaitMs })
      : null;
    if (applier) container.bind(CoreTokens.DualWriteApplier).toConstantValue(applier);
    container.bind(CoreTokens.RepositoryFactory).to(RepositoryFactory);
    for (const module of modules) {
      for (const spec of module.entities) {
        const token = module.tokens[spec.name];
        if (!token) throw new Error(`${module.name}: entity ${spec.name} has no token`);
        container
          .bind(token)
          .toDynamicValue((ctx) => ctx.container.get<RepositoryFactory>(CoreTokens.RepositoryFactory).create(spec));
      }
    }
    const clock = options.clock ?? systemClock;
    for (const module of modules) {
      for (const custom of module.custom ?? []) {
        container
          .bind(custom.token)
          .toDynamicValue(() => custom.create(config.Persistence[module.name], { postgres, mongo: mongo?.db ?? null, clock, config, ...(applier ? { applier } : {}) }));
      }
    }
    if (mongo) {
      for (const module of modules.filter((m) => config.Persistence[m.name] !== 'Postgres')) {
        const secondary = config.Persistence[module.name] === 'DualWrite' && dualWriteFor(config, module.name).Primary === 'Postgres';
        for (const spec of module.entities) {
          try {
            await new MongoRepository(spec, mongo.db).ensureIndexes();
          } catch (err) {
            // MongoDB as a DualWrite secondary may be down at start; writes queue in the pending log.
            if (!secondary) throw err;
            log(`${module.name}: MongoDB indexes not ensured (secondary unavailable: ${(err as Error).message})`);
          }
        }
      }
    }

    let reconciler: Reconciler | null = null;
    if (backends.has('DualWrite')) {
      reconciler = PersistenceRuntime.buildReconciler(container, config, modules, applier!);
      if (options.reconcile) reconciler.start(config.DualWrite.ReconcileIntervalMs);
    }
    return new PersistenceRuntime(container, config, modules, postgres, mongo, reconciler, startup, applier);
  }

  /** The reconciler over every pending log a DualWrite module of this config writes to. */
  private static buildReconciler(container: Container, config: PersistenceConfig, modules: readonly ModuleDefinition[], applier: PendingApplier): Reconciler {
    const factory = container.get<RepositoryFactory>(CoreTokens.RepositoryFactory);
    const logs: PendingLog[] = [];
    if (container.isBound(CoreTokens.PostgresPendingLog)) logs.push(container.get<PendingLog>(CoreTokens.PostgresPendingLog));
    if (container.isBound(CoreTokens.MongoPendingLog)) logs.push(container.get<PendingLog>(CoreTokens.MongoPendingLog));
    const specs = new Map<string, EntitySpec>();
    for (const m of modules.filter((m) => config.Persistence[m.name] === 'DualWrite')) {
      for (const s of m.entities) specs.set(`${s.module}.${s.name}`, s);
    }
    const cache = new Map<string, EntityRepository<Entity>>();
    return new Reconciler(
      logs,
      (entity, target) => {
        const spec = specs.get(entity);
        if (!spec) return undefined;
        const key = `${entity}|${target}`;
        let repo = cache.get(key);
        if (!repo) {
          repo = target === 'Mongo' ? factory.mongoRepo<Entity>(spec) : factory.pgRepo<Entity>(spec);
          cache.set(key, repo);
        }
        return repo;
      },
      { batchSize: config.DualWrite.ReconcileBatchSize, applier },
    );
  }

  get<T>(token: symbol): T {
    return this.container.get<T>(token);
  }

  /** The repository of a module's entity, by name. */
  repository<E extends Entity>(module: ModuleName, entity: string): EntityRepository<E> {
    const def = this.modules.find((m) => m.name === module);
    const token = def?.tokens[entity];
    if (!token) throw new Error(`unknown repository ${module}.${entity}`);
    return this.container.get<EntityRepository<E>>(token);
  }

  /** Whether each backend in use answers, and how fast. */
  async health(): Promise<BackendHealth[]> {
    const out: BackendHealth[] = [];
    if (this.postgres) out.push({ backend: 'Postgres', target: maskUrl(this.postgres.settings.url), ...(await this.postgres.health()) });
    if (this.mongo) out.push({ backend: 'Mongo', target: this.mongo.kind === 'memory' ? 'memory:' : 'mongodb', ...(await this.mongo.health()) });
    return out;
  }

  /**
   * Waits until every DualWrite secondary write handed over so far is applied, or failed and left
   * with its backoff for the reconciler. Tests call it before reading the secondary.
   *
   * @example
   * await users.insert(ctx, alice);
   * await runtime.flushDualWrite(); // MongoDB holds alice (or her record waits, with its error)
   */
  flushDualWrite(): Promise<void> {
    return this.dualWriteApplier?.drain() ?? Promise.resolve();
  }

  /** The applier's counters (queue depth, applied, failures...), null without DualWrite. */
  dualWriteStats(): PendingApplierStats | null {
    return this.dualWriteApplier?.stats() ?? null;
  }

  /**
   * Stops the reconciler, lets the applier finish what it holds (at most `drainTimeoutMs`; what is
   * left stays in the pending log for the reconciler: never lost), then closes the connections.
   */
  async close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    await this.reconciler?.stop();
    await this.dualWriteApplier?.close(options.drainTimeoutMs ?? 10_000);
    await this.postgres?.close();
    await this.mongo?.close();
  }
}

export function pgSettings(config: PersistenceConfig, url: string = config.Postgres.Url!) {
  return {
    url,
    pool: {
      min: config.Postgres.Pool.Min,
      max: config.Postgres.Pool.Max,
      connectionTimeoutMs: config.Postgres.Pool.ConnectionTimeoutMs,
      idleTimeoutMs: config.Postgres.Pool.IdleTimeoutMs,
      maxLifetimeMs: config.Postgres.Pool.MaxLifetimeMs,
    },
    statementTimeoutMs: config.Postgres.StatementTimeoutMs,
  };
}
