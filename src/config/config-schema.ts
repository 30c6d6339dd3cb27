import convict from 'convict';
import { BACKENDS, MODULE_NAMES } from '../interfaces/modules.js';

/**
 * The convict schema: every key, its default, its environment variable and what it allows.
 * README.md's configuration table mirrors this file.
 */

const backend = {
  name: 'backend',
  validate(value: unknown) {
    if (!(BACKENDS as readonly unknown[]).includes(value)) {
      throw new Error(`${JSON.stringify(value)} is not allowed; allowed: ${BACKENDS.join(', ')}`);
    }
  },
};

const primary = {
  name: 'primary',
  validate(value: unknown) {
    if (value !== 'Postgres' && value !== 'Mongo') {
      throw new Error(`${JSON.stringify(value)} is not allowed; allowed: Postgres, Mongo`);
    }
  },
};

/** A connection URL; the value itself is never echoed (it may hold a password). */
function urlFormat(name: string, schemes: readonly string[]) {
  return {
    name,
    validate(value: unknown) {
      if (value === null) return;
      if (typeof value !== 'string' || !schemes.some((s) => value.startsWith(s))) {
        throw new Error(`must be a URL starting with ${schemes.join(' or ')} (value not shown: it may hold a secret)`);
      }
    },
  };
}

function nullable<T>(name: string, inner: (v: unknown) => void) {
  return { name, validate: (v: T | null) => (v === null ? undefined : inner(v)) };
}

convict.addFormats({
  backend,
  primary,
  'postgres-url': urlFormat('postgres-url', ['postgres://', 'postgresql://']),
  'mongo-url': urlFormat('mongo-url', ['mongodb://', 'mongodb+srv://', 'memory:']),
  'nullable-primary': nullable('nullable-primary', primary.validate),
  'nullable-boolean': nullable('nullable-boolean', (v) => {
    if (typeof v !== 'boolean') throw new Error(`${JSON.stringify(v)} is not allowed; allowed: true, false`);
  }),
  'sample-rate': {
    name: 'sample-rate',
    validate(v: unknown) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${JSON.stringify(v)} is not allowed; allowed: a number from 0 to 1`);
    },
    coerce: (v: unknown) => Number(v),
  },
  // Pinned tenants (README "Tenant registry"): a list, since a legacy key may be any string (dots included).
  'tenant-pins': {
    name: 'tenant-pins',
    validate(v: unknown) {
      if (!Array.isArray(v)) throw new Error('must be a list of { "Key": legacy tenant key, "TenantId": tenant UUID }');
      const seen = new Set<string>();
      v.forEach((pin: unknown, i) => {
        const { Key, TenantId, ...rest } = (typeof pin === 'object' && pin !== null ? pin : {}) as Record<string, unknown>;
        if (typeof Key !== 'string') throw new Error(`[${i}].Key: must be a string (the legacy tenant key)`);
        if (typeof TenantId !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(TenantId)) {
          throw new Error(`[${i}] (Key ${JSON.stringify(Key)}).TenantId: ${JSON.stringify(TenantId)} is not allowed; allowed: a lowercase UUID`);
        }
        if (Object.keys(rest).length) throw new Error(`[${i}]: unknown key ${Object.keys(rest)[0]}; allowed: Key, TenantId`);
        if (seen.has(Key)) throw new Error(`[${i}]: Key ${JSON.stringify(Key)} is pinned twice`);
        seen.add(Key);
      });
    },
  },
  'positive-int': {
    name: 'positive-int',
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${JSON.stringify(v)} is not allowed; allowed: an integer >= 1`);
    },
    coerce: (v: unknown) => Number(v),
  },
  'non-negative-int': {
    name: 'non-negative-int',
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${JSON.stringify(v)} is not allowed; allowed: an integer >= 0`);
    },
    coerce: (v: unknown) => Number(v),
  },
});

const persistence = Object.fromEntries(
  MODULE_NAMES.map((m) => [
    m,
    { doc: `Backend of the ${m} module`, format: 'backend', default: 'Mongo', env: `PERSISTENCE_${m.toUpperCase()}` },
  ]),
);

const overrides = Object.fromEntries(
  MODULE_NAMES.map((m) => [
    m,
    {
      Primary: { doc: `${m}: overrides DualWrite.Primary`, format: 'nullable-primary', default: null },
      WriteToBoth: { doc: `${m}: overrides DualWrite.WriteToBoth`, format: 'nullable-boolean', default: null },
      FallbackToMongo: { doc: `${m}: overrides DualWrite.FallbackToMongo`, format: 'nullable-boolean', default: null },
      ConvertOnRead: { doc: `${m}: overrides DualWrite.ConvertOnRead`, format: 'nullable-boolean', default: null },
    },
  ]),
);

export const configSchema = {
  Persistence: persistence,
  DualWrite: {
    Primary: { doc: 'Store written first and read from', format: 'primary', default: 'Postgres' },
    WriteToBoth: { doc: 'Also write the secondary store (through the pending log)', format: Boolean, default: true },
    FallbackToMongo: { doc: 'A primary miss on a lookup falls back to MongoDB', format: Boolean, default: true },
    ConvertOnRead: { doc: 'What a fallback found in MongoDB is written into PostgreSQL', format: Boolean, default: false },
    ShadowReadSampleRate: { doc: 'Fraction of reads also sent to the secondary and compared', format: 'sample-rate', default: 0 },
    ReconcileIntervalMs: { doc: 'Background reconciler period (0 disables the loop)', format: 'non-negative-int', default: 5000 },
    ReconcileBatchSize: { doc: 'Pending records applied per reconciler pass', format: 'positive-int', default: 500 },
    ApplyQueueSize: { doc: 'Committed secondary writes waiting in memory for the applier, at most', format: 'positive-int', default: 1000 },
    ApplyConcurrency: { doc: 'Secondary writes the applier runs at the same time, at most', format: 'positive-int', default: 4 },
    ApplyMaxWaitMs: { doc: 'How long a writer waits for room in a full applier queue before leaving its record to the reconciler', format: 'non-negative-int', default: 1000 },
  },
  DualWriteOverrides: overrides,
  Postgres: {
    Url: { doc: 'Application role URL', format: 'postgres-url', default: null, env: 'POSTGRES_URL', sensitive: true },
    AdminUrl: {
      doc: 'Owner/maintenance role URL (migrate, convert, verify, partitions); defaults to Postgres.Url',
      format: 'postgres-url',
      default: null,
      env: 'POSTGRES_ADMIN_URL',
      sensitive: true,
    },
    Pool: {
      Min: { doc: 'Minimum pooled connections', format: 'non-negative-int', default: 5 },
      Max: { doc: 'Maximum pooled connections', format: 'positive-int', default: 20 },
      ConnectionTimeoutMs: { doc: 'Wait for a connection', format: 'positive-int', default: 5000 },
      IdleTimeoutMs: { doc: 'Close idle connections after', format: 'positive-int', default: 600000 },
      MaxLifetimeMs: { doc: 'Recycle connections after', format: 'positive-int', default: 1800000 },
    },
    StatementTimeoutMs: { doc: 'statement_timeout of every session', format: 'non-negative-int', default: 30000 },
  },
  Mongo: {
    Url: { doc: 'MongoDB URL, or memory: / memory:/folder', format: 'mongo-url', default: null, env: 'MONGO_URL', sensitive: true },
    Database: { doc: 'Legacy database name', format: String, default: 'stellaops', env: 'MONGO_DATABASE' },
  },
  Conversion: {
    BatchSize: { doc: 'Documents per conversion batch', format: 'positive-int', default: 1000 },
    RangeSize: { doc: 'Documents per claimed key range', format: 'positive-int', default: 10000 },
  },
  Partitions: {
    MonthsAhead: { doc: 'Monthly partitions created ahead of now', format: 'positive-int', default: 3 },
  },
  Tenants: { doc: 'Pinned tenants: [{ Key, TenantId }] (other legacy tenant keys map to their UUIDv5)', format: 'tenant-pins', default: [] },
};
