import type { DualWriteSettings } from '../config/persistence-config.js';
import { dualWriteFor, type PersistenceConfig } from '../config/persistence-config.js';
import { ChangeReplicator } from '../dualwrite/change-replicator.js';
import type { PendingApplier } from '../dualwrite/pending-applier.js';
import type { Clock } from '../interfaces/clock.js';
import type { CustomBinding } from '../interfaces/module-definition.js';
import type { Backend, ModuleName } from '../interfaces/modules.js';
import { qualifiedName } from '../codec/fields.js';
import { MongoPendingLog } from '../mongo/mongo-pending-log.js';
import type { MongoDbLike } from '../mongo/mongo-types.js';
import { MongoRepository } from '../mongo/mongo-repository.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { PostgresPendingLog } from '../postgres/pg-pending-log.js';
import { PostgresRepository } from '../postgres/postgres-repository.js';

/**
 * What the container hands a custom store (`ModuleDefinition.custom`; module-definition.ts types it
 * loosely because src/interfaces knows no database).
 */
export interface CustomStoreDeps {
  /** PostgresDataSource, or null when not configured. */
  readonly postgres: unknown;
  /** MongoDbLike, or null when not configured. */
  readonly mongo: unknown;
  /** Clock. */
  readonly clock: unknown;
  /** The runtime's PersistenceConfig: the module's DualWrite block is read from it. */
  readonly config?: unknown;
  /** The module's DualWrite block given explicitly (tests); takes precedence over `config`. */
  readonly dualWrite?: Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'>;
  /** The runtime's DualWrite applier, shared by every DualWrite store of the runtime. */
  readonly applier?: unknown;
}

/** What a store's DualWrite form is built from: the primary, and the replicator to the other store. */
export interface DualWriteParts<P> {
  /** The store built on the primary (settings.Primary). */
  readonly primary: P;
  readonly settings: Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'>;
  /**
   * Records each change in the primary's pending log (same transaction) and applies it after commit
   * to the generic repositories of the other store (src/dualwrite/change-replicator.ts).
   */
  readonly replicator: ChangeReplicator;
  /** The store on either backend (e.g. a PostgreSQL-only refresh). */
  readonly build: (store: 'Postgres' | 'Mongo') => P;
}

/**
 * One custom store of a module, declared once: how to build it on each backend and how its DualWrite
 * form wraps the primary. `customStore` does the rest (which backend, what is configured, settings,
 * replicator, applier) for every store alike.
 */
export interface CustomStoreDeclaration<P, S, O> {
  readonly module: ModuleName;
  readonly token: symbol;
  /** How errors name the store, e.g. `Scheduler job queue`. */
  readonly what: string;
  readonly postgres: (ds: PostgresDataSource, clock: Clock, options: O) => P;
  readonly mongo: (db: MongoDbLike, clock: Clock, options: O) => P;
  /**
   * The DualWrite form. Called only when writes go to both stores (`WriteToBoth`), else the primary
   * is the store, unless `wrapAlways` (a store whose DualWrite form does more than replicate).
   */
  readonly dualWrite: (parts: DualWriteParts<P>) => S;
  readonly wrapAlways?: boolean;
}

/** A custom store's container binding, plus `create` for callers that build one themselves. */
export interface CustomStore<P, S, O> extends CustomBinding {
  readonly create: (backend: Backend, deps: CustomStoreDeps, options?: O) => P | S;
}

/**
 * Declares a custom store (job queue, deliveries, unknowns...): the result is its
 * `ModuleDefinition.custom` binding and its `create(backend, deps)`.
 *
 * @example
 * export const jobQueueStore = customStore<PostgresJobQueue | MongoJobQueue, DualWriteJobQueue, Partial<JobQueueOptions>>({
 *   module: 'Scheduler', token: JOB_QUEUE_TOKEN, what: 'Scheduler job queue',
 *   postgres: (ds, clock, o) => new PostgresJobQueue(ds, clock, o),
 *   mongo: (db, clock, o) => new MongoJobQueue(db, clock, o),
 *   dualWrite: ({ primary, replicator }) => new DualWriteJobQueue(primary.onChange(replicator.hook(queuedJob)), replicator),
 * });
 * const queue = jobQueueStore.create('Postgres', { postgres: ds, mongo: null, clock: systemClock });
 */
export function customStore<P, S, O = undefined>(decl: CustomStoreDeclaration<P, S, O>): CustomStore<P, S, O> {
  const create = (backend: Backend, deps: CustomStoreDeps, options?: O): P | S => {
    const clock = deps.clock as Clock;
    const opts = options as O;
    const pg = () => configured<PostgresDataSource>(deps.postgres, decl.what, 'PostgreSQL');
    const mongo = () => configured<MongoDbLike>(deps.mongo, decl.what, 'MongoDB');
    const build = (store: 'Postgres' | 'Mongo') => (store === 'Postgres' ? decl.postgres(pg(), clock, opts) : decl.mongo(mongo(), clock, opts));
    if (backend !== 'DualWrite') return build(backend);
    const postgres = pg();
    const db = mongo();
    const settings = customDualWriteSettings(decl.module, deps);
    const primary = build(settings.Primary);
    if (!settings.WriteToBoth && !decl.wrapAlways) return primary;
    const replicator = changeReplicatorFor(decl.module, { postgres, mongo: db, clock, applier: deps.applier }, settings);
    return decl.dualWrite({ primary, settings, replicator, build });
  };
  return Object.freeze({ token: decl.token, create });
}

/** A backend the store needs, or an error naming the store and the backend. */
function configured<T>(value: unknown, what: string, backend: string): T {
  if (!value) throw new Error(`${what} needs ${backend}, which is not configured`);
  return value as T;
}

/**
 * The replicator of a custom store under DualWrite: the pending log in the primary store, the
 * generic repositories of the other store as secondary, and the runtime's applier so every store
 * shares one bounded queue.
 */
function changeReplicatorFor(
  module: ModuleName,
  deps: { readonly postgres: PostgresDataSource; readonly mongo: MongoDbLike; readonly clock: Clock; readonly applier?: unknown },
  settings: Pick<DualWriteSettings, 'Primary'>,
): ChangeReplicator {
  const pgPrimary = settings.Primary === 'Postgres';
  return new ChangeReplicator({
    pendingLog: pgPrimary ? new PostgresPendingLog(deps.postgres) : new MongoPendingLog(deps.mongo),
    target: pgPrimary ? 'Mongo' : 'Postgres',
    secondary: (spec) => {
      if (spec.module !== module) throw new Error(`${qualifiedName(spec)} is not an entity of ${module}`);
      return pgPrimary ? new MongoRepository(spec, deps.mongo, deps.clock) : new PostgresRepository(spec, deps.postgres, deps.clock);
    },
    ...(deps.applier ? { applier: deps.applier as PendingApplier } : {}),
  });
}

/** The DualWrite settings a custom store works with: given explicitly, else the module's block of the config. */
function customDualWriteSettings(module: ModuleName, deps: CustomStoreDeps): Pick<DualWriteSettings, 'Primary' | 'WriteToBoth'> {
  if (deps.dualWrite) return deps.dualWrite;
  if (!deps.config) throw new Error(`${module}: a DualWrite custom store needs the config (deps.config)`);
  const s = dualWriteFor(deps.config as PersistenceConfig, module);
  return { Primary: s.Primary, WriteToBoth: s.WriteToBoth };
}
