import type { TenantContext } from '../interfaces/tenant-context.js';

/** One secondary write waiting to be applied. */
export interface PendingEntry {
  readonly seq: string;
  readonly module: string;
  readonly entity: string;
  readonly tenantId: string;
  readonly entityId: string;
  readonly target: 'Mongo' | 'Postgres';
  readonly op: 'upsert' | 'delete';
  /** The change in lossless JSON (codec/entity-json). */
  readonly change: Record<string, unknown>;
  readonly attempts: number;
  readonly lastError: string | null;
}

export type NewPendingEntry = Omit<PendingEntry, 'seq' | 'attempts' | 'lastError'>;

/**
 * Durable log of secondary writes, kept in the PRIMARY store (docs/design.md §7): a record is written with
 * the primary write (same transaction on PostgreSQL), removed once the secondary applied it.
 */
export interface PendingLog {
  readonly store: 'Postgres' | 'Mongo';
  /**
   * Inside the primary write; `tx` is what the primary repository's change hook received. Also
   * tells whether an older record of the same entity is still pending (one round trip, not two).
   */
  record(tx: unknown, ctx: TenantContext, entry: NewPendingEntry): Promise<{ seq: string; hasEarlier: boolean }>;
  /** An older record for the same entity is still pending (replays must stay in order). */
  hasEarlier(ctx: TenantContext, entry: PendingEntry): Promise<boolean>;
  /** Some record of this entity is still pending for `target` (its copy there may be stale). */
  hasPending(ctx: TenantContext, entity: string, entityId: string, target: 'Mongo' | 'Postgres'): Promise<boolean>;
  resolve(ctx: TenantContext, seq: string): Promise<void>;
  /** Keeps the record, counts the attempt, schedules the next one. */
  fail(ctx: TenantContext, seq: string, error: string, retryAt: Date): Promise<void>;
  /** Due records of every tenant, oldest first: (seq, tenant) pairs. */
  due(limit: number, now: Date): Promise<{ seq: string; tenantId: string }[]>;
  read(ctx: TenantContext, seq: string): Promise<PendingEntry | null>;
  count(): Promise<number>;
}

/** Exponential backoff of failed secondary writes: 1 s, 2 s, 4 s ... capped at 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.min(attempts, 20));
}

/** Pending DualWrite records of one module in one store's pending log. */
export interface PendingBacklog {
  readonly store: 'Postgres' | 'Mongo';
  readonly module: string;
  readonly pending: number;
  /** Seconds since the oldest pending record was written (null when none is pending). */
  readonly oldestAgeSeconds: number | null;
}
