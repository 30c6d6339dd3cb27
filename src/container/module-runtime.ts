import 'reflect-metadata';
import { Container } from 'inversify';
import type { PersistenceConfig } from '../config/persistence-config.js';
import { adminUrlOf, dualWriteFor, tenantPinsOf } from '../config/persistence-config.js';
import { pgSettings, taskPoolSettings } from '../postgres/pool-settings.js';
import { TenantRegistry } from '../codec/tenant-registry.js';
import { brokenIndexLine, type BrokenIndex } from '../mongo/broken-index.js';
import { attachTenantRegistry } from '../mongo/tenant-keys.js';
import { adoptRecordedTenants, readRecordedTenants, TenantRegistryConflictError } from '../postgres/tenant-registry-store.js';
import { withDataSource } from '../postgres/migrations/data-source-for.js';
import type { DualWriteEvent } from '../dualwrite/dual-write-repository.js';
import { PendingApplier, type PendingApplierStats } from '../dualwrite/pending-applier.js';
import type { PendingLog } from '../dualwrite/pending-log.js';
import { Reconciler, type ReconcileReport } from '../dualwrite/reconciler.js';
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
import { ensurePartitionsAhead, partitionedTablesOf } from '../postgres/partitions.js';
import type { Logger } from '../logging/logger.js';
import { PersistenceMetrics } from '../metrics/persistence-metrics.js';
import type { PendingBacklog } from '../postgres/observability-queries.js';
import { RepositoryFactory } from './repository-factory.js';
import { CoreTokens } from './tokens.js';
import { migrationSetsFor } from './migration-sets.js';

export interface RuntimeOptions {
  readonly clock?: Clock;
  /** The modules to bind (default, in PersistenceRuntime of src/app: every registered module). */
  readonly modules?: readonly ModuleDefinition[];
  readonly publish?: (event: DualWriteEvent) => void;
  /** Apply startup migrations of the modules on PostgreSQL (default true). */
  readonly migrate?: boolean;
  /** Start the DualWrite reconciler loop when a module is on DualWrite (default false). */
  readonly reconcile?: boolean;
  readonly log?: (line: string) => void;
  /**
   * A pino logger (createLogger): start-up lines go to it at info (unless `log` is given), DualWrite
   * secondary failures and shadow-read mismatches at warn, with module, entity and tenant fields.
   */
  readonly logger?: Logger;
}

export interface BackendHealth {
  readonly backend: 'Postgres' | 'Mongo';
  readonly target: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
  /**
   * MongoDB: declared unique indexes the legacy data breaks, not built (the service serves without
   * them, as the legacy one did; README "Broken legacy unique keys"). They do not make `ok` false.
   */
  readonly brokenIndexes?: readonly BrokenIndex[];
}

/** RuntimeOptions with the modules given: the container binds what it is handed, it imports no module. */
export type ModuleRuntimeOptions = RuntimeOptions & { readonly modules: readonly ModuleDefinition[] };

/**
 * A running persistence layer over the modules it is given: the Inversify container with every
 * repository token bound to the implementation its module's `Persistence` key selects, its
 * connections, and (optionally) the reconciler loop. Changing a key and building a new runtime is
 * the whole switch (and rollback). Services use PersistenceRuntime (src/app), which passes every
 * registered module.
 *
 * @example
 * const runtime = await ModuleRuntime.start(loadConfig(), { modules: [authorityModule] });
 * const users = runtime.get<UserRepository>(AuthorityTokens.user);
 * await runtime.close();
 */
export class ModuleRuntime {
  protected constructor(
    readonly container: Container,
    readonly config: PersistenceConfig,
    readonly modules: readonly ModuleDefinition[],
    readonly postgres: PostgresDataSource | null,
    readonly mongo: MongoDataSource | null,
    readonly reconciler: Reconciler | null,
    readonly startup: readonly MigrationRunReport[],
    /** The maintenance-role pool of the reconciler's cross-tenant scan, when it is not `postgres`. */
    private readonly maintenance: PostgresDataSource | null,
    private readonly metricsOf: { readonly metrics: PersistenceMetrics; readonly close: () => Promise<void> },
    /** Applies DualWrite secondary writes after commit (null when no module is on DualWrite). */
    readonly dualWriteApplier: PendingApplier | null,
    /** Legacy tenant keys <-> tenant UUIDs of this runtime (README "Tenant registry"). */
    readonly tenants: TenantRegistry,
    /** Declared unique indexes MongoDB could not build over the legacy data (see BackendHealth.brokenIndexes). */
    readonly brokenIndexes: readonly BrokenIndex[],
  ) {}

  static async start(config: PersistenceConfig, options: ModuleRuntimeOptions): Promise<ModuleRuntime> {
    const modules = options.modules;
    const backends = new Set<Backend>(modules.map((m) => config.Persistence[m.name]));
    const needPg = backends.has('Postgres') || backends.has('DualWrite');
    const needMongo = backends.has('Mongo') || backends.has('DualWrite');
    const logger = options.logger;
    const log = options.log ?? (logger ? (line: string) => logger.info(line) : () => {});

    // The tenant registry of the config's pins (a bad pin stops start-up here), checked against the
    // keys conversion recorded: a pin that would move or merge a converted tenant stops it too.
    const tenants = new TenantRegistry(tenantPinsOf(config));
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
    if (needPg) {
      try {
        await withDataSource(adminUrlOf(config)!, async (ds) => adoptRecordedTenants(tenants, (await readRecordedTenants(ds)) ?? []), 'stellaops-tenants');
      } catch (err) {
        if (err instanceof TenantRegistryConflictError) throw err;
        // PostgreSQL unreachable: the pools below report it; the pins are checked again by every `convert`.
        log(`tenant registry not checked against core.tenant_registry: ${(err as Error).message}`);
      }
    }
    const postgres = needPg ? new PostgresDataSource(pgSettings(config)) : null;
    // core.dualwrite_due is the maintenance role's (core 032): a small pool of its own, opened on first use.
    const maintenance = postgres ? maintenanceDataSource(config) : null;
    let mongo: MongoDataSource | null = null;
    try {
      mongo = needMongo ? await connectMongo(config.Mongo.Url!, config.Mongo.Database) : null;
    } catch (err) {
      await postgres?.close();
      await maintenance?.close();
      throw err;
    }

    const metricsPart = ModuleRuntime.buildMetrics(config, modules, () => mongo?.db ?? null, logger);
    // Every DualWrite event is counted and logged, then handed to the caller's publisher.
    const publish = (event: DualWriteEvent) => {
      metricsPart.metrics.observe(event);
      if (logger) logEvent(logger, event);
      options.publish?.(event);
    };

    const container = new Container({ defaultScope: 'Singleton' });
    container.bind(CoreTokens.Config).toConstantValue(config);
    container.bind(CoreTokens.Clock).toConstantValue(options.clock ?? systemClock);
    if (postgres) {
      container.bind(CoreTokens.Postgres).toConstantValue(postgres);
      container.bind(CoreTokens.PostgresPendingLog).toConstantValue(new PostgresPendingLog(postgres, maintenance ?? postgres));
    }
    if (mongo) {
      attachTenantRegistry(mongo.db, tenants);
      container.bind(CoreTokens.Mongo).toConstantValue(mongo);
      container.bind(CoreTokens.MongoPendingLog).toConstantValue(new MongoPendingLog(mongo.db));
    }
    container.bind(CoreTokens.Publisher).toConstantValue(publish);
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
    const brokenIndexes: BrokenIndex[] = [];
    if (mongo) {
      for (const module of modules.filter((m) => config.Persistence[m.name] !== 'Postgres')) {
        const secondary = config.Persistence[module.name] === 'DualWrite' && dualWriteFor(config, module.name).Primary === 'Postgres';
        for (const spec of module.entities) {
          try {
            for (const broken of await new MongoRepository(spec, mongo.db).ensureIndexes()) {
              brokenIndexes.push(broken);
              // The legacy data breaks a declared unique key: serve without the index, loudly.
              if (logger) logger.warn({ module: module.name, entity: broken.entity, index: broken.index, duplicateKeys: broken.duplicateKeys, examples: broken.examples }, brokenIndexLine(broken));
              else log(`warning: ${brokenIndexLine(broken)}`);
            }
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
      reconciler = ModuleRuntime.buildReconciler(container, config, modules, applier!, publish, (r) => metricsPart.metrics.observeReconcile(r));
      if (options.reconcile) reconciler.start(config.DualWrite.ReconcileIntervalMs);
    }
    return new this(container, config, modules, postgres, mongo, reconciler, startup, maintenance, metricsPart, applier, tenants, brokenIndexes);
  }

  /**
   * The runtime's metrics: its own registry, gauges read at scrape time through a one-connection
   * pool on the maintenance role (the pending log has forced RLS: only that role sees every tenant).
   */
  private static buildMetrics(config: PersistenceConfig, modules: readonly ModuleDefinition[], mongo: () => MongoDataSource['db'] | null, logger: Logger | undefined) {
    const adminUrl = adminUrlOf(config);
    const admin = adminUrl
      ? new PostgresDataSource(taskPoolSettings(config, adminUrl, { max: 1, applicationName: 'stellaops-metrics', idleTimeoutMs: 10_000, statementTimeoutMs: Math.min(config.Postgres.StatementTimeoutMs, 10_000) }))
      : null;
    const reported = new Set<string>();
    const metrics = new PersistenceMetrics({
      postgres: admin,
      mongo,
      dualWrite: modules.filter((m) => config.Persistence[m.name] === 'DualWrite').map((m) => ({ module: m.name, store: dualWriteFor(config, m.name).Primary })),
      onSourceError: (source, error) => {
        // Once per source and message: a scrape every 15 s must not flood the log.
        const key = `${source}|${error.message}`;
        if (reported.has(key)) return;
        reported.add(key);
        logger?.warn({ source, err: error }, `metrics: ${source} cannot be read: ${error.message}`);
      },
    });
    return { metrics, close: async () => void (await admin?.close()) };
  }

  /** The reconciler over every pending log a DualWrite module of this config writes to. */
  private static buildReconciler(
    container: Container,
    config: PersistenceConfig,
    modules: readonly ModuleDefinition[],
    applier: PendingApplier,
    publish: (event: DualWriteEvent) => void,
    onPass: (report: ReconcileReport) => void,
  ): Reconciler {
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
      { batchSize: config.DualWrite.ReconcileBatchSize, publish, onPass, applier },
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
    if (this.mongo) {
      out.push({
        backend: 'Mongo',
        target: this.mongo.kind === 'memory' ? 'memory:' : 'mongodb',
        ...(await this.mongo.health()),
        ...(this.brokenIndexes.length ? { brokenIndexes: this.brokenIndexes } : {}),
      });
    }
    return out;
  }

  /**
   * The Prometheus text exposition of this runtime's metrics (README "Metrics"); serve it with
   * `metricsHandler(runtime)`.
   *
   * @example
   * const body = await runtime.metrics(); // 'stellaops_dualwrite_pending_records{store="Postgres",module="Authority"} 0 ...'
   */
  metrics(): Promise<string> {
    return this.metricsOf.metrics.metrics();
  }

  /** The Content-Type of {@link metrics}. */
  get metricsContentType(): string {
    return this.metricsOf.metrics.contentType;
  }

  /** This runtime's prom-client metrics (its Registry is `.registry`: add your own metrics there). */
  get metricsRegistry(): PersistenceMetrics['registry'] {
    return this.metricsOf.metrics.registry;
  }

  /**
   * DualWrite records waiting per module and store, with the age of the oldest (as the maintenance
   * role sees them; throws when that role cannot see every tenant).
   */
  pendingBacklog(): Promise<PendingBacklog[]> {
    return this.metricsOf.metrics.pendingBacklog();
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
    await this.metricsOf.close();
    await this.postgres?.close();
    await this.maintenance?.close();
    await this.mongo?.close();
  }
}

/** A two-connection pool on Postgres.AdminUrl, or null when that is Postgres.Url itself. */
function maintenanceDataSource(config: PersistenceConfig): PostgresDataSource | null {
  const adminUrl = adminUrlOf(config);
  if (!adminUrl || adminUrl === config.Postgres.Url) return null;
  return new PostgresDataSource(taskPoolSettings(config, adminUrl, { max: 2, applicationName: 'stellaops-reconcile' }));
}

/** One log record per DualWrite event worth a person's attention. */
function logEvent(logger: Logger, event: DualWriteEvent): void {
  if (event.kind === 'secondary-failed') {
    const module = event.entity.split('.')[0];
    logger.warn({ module, entity: event.entity, id: event.id, tenant: event.tenantId, error: event.error }, `DualWrite secondary write failed (kept in the pending log; the reconciler retries it): ${event.entity} ${event.id}: ${event.error}`);
  } else if (event.kind === 'shadow-mismatch') {
    const r = event.result;
    logger.warn({ module: r.name.split('.')[0], experiment: r.name, candidateError: r.candidateError }, `shadow read mismatch: ${r.name}`);
  }
}
