import type { Backend, ModuleName } from '../interfaces/modules.js';

/** Settings of the DualWrite repositories of one module (global block merged with its override). */
export interface DualWriteSettings {
  readonly Primary: 'Postgres' | 'Mongo';
  readonly WriteToBoth: boolean;
  readonly FallbackToMongo: boolean;
  readonly ConvertOnRead: boolean;
  readonly ShadowReadSampleRate: number;
  readonly ReconcileIntervalMs: number;
  readonly ReconcileBatchSize: number;
  /** The after-commit applier (src/dualwrite/pending-applier.ts): queue bound, concurrency, writer's wait. */
  readonly ApplyQueueSize: number;
  readonly ApplyConcurrency: number;
  readonly ApplyMaxWaitMs: number;
}

/** The validated, frozen configuration. */
export interface PersistenceConfig {
  readonly Persistence: Readonly<Record<ModuleName, Backend>>;
  readonly DualWrite: DualWriteSettings;
  readonly DualWriteOverrides: Readonly<Record<ModuleName, Partial<Record<keyof DualWriteSettings, unknown>>>>;
  readonly Postgres: {
    readonly Url: string | null;
    readonly AdminUrl: string | null;
    readonly Pool: {
      readonly Min: number;
      readonly Max: number;
      readonly ConnectionTimeoutMs: number;
      readonly IdleTimeoutMs: number;
      readonly MaxLifetimeMs: number;
    };
    readonly StatementTimeoutMs: number;
  };
  readonly Mongo: { readonly Url: string | null; readonly Database: string };
  readonly Conversion: { readonly BatchSize: number; readonly RangeSize: number };
  readonly Partitions: { readonly MonthsAhead: number };
  /** Pinned tenants: legacy tenant key -> tenant UUID (README "Tenant registry"). */
  readonly Tenants: readonly { readonly Key: string; readonly TenantId: string }[];
}

/** The pins of `Tenants` as a map (the TenantRegistry's input). */
export function tenantPinsOf(config: PersistenceConfig): Record<string, string> {
  return Object.fromEntries((config.Tenants ?? []).map((p) => [p.Key, p.TenantId]));
}

/** The DualWrite block for one module: its override's non-null values win. */
export function dualWriteFor(config: PersistenceConfig, module: ModuleName): DualWriteSettings {
  const override = config.DualWriteOverrides[module] ?? {};
  const merged: Record<string, unknown> = { ...config.DualWrite };
  for (const [key, value] of Object.entries(override)) if (value !== null && value !== undefined) merged[key] = value;
  return Object.freeze(merged) as unknown as DualWriteSettings;
}

/** The admin URL, falling back to the application URL (docs/design.md §3). */
export function adminUrlOf(config: PersistenceConfig): string | null {
  return config.Postgres.AdminUrl ?? config.Postgres.Url;
}
