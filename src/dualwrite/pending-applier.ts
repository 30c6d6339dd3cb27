import type { Entity } from '../interfaces/entity-spec.js';
import type { EntityRepository } from '../interfaces/repository.js';
import type { TenantContext } from '../interfaces/tenant-context.js';
import { applyPending, type DualWriteEvent } from './apply-pending.js';
import type { PendingEntry, PendingLog } from './pending-log.js';

/** One committed pending record handed to the applier (a hint: the pending row is the truth). */
export interface ApplyTask {
  readonly log: PendingLog;
  readonly secondary: EntityRepository<Entity>;
  readonly ctx: TenantContext;
  readonly entry: PendingEntry;
  /** An older record of the same entity was pending when this one was written. */
  readonly hasEarlier: boolean;
  readonly publish?: (event: DualWriteEvent) => void;
}

export interface PendingApplierOptions {
  /** Records waiting to start, at most (the in-memory queue's bound). */
  readonly maxQueued?: number;
  /** Records applied at the same time, at most (of distinct tenants: one tenant's are applied in order). */
  readonly concurrency?: number;
  /**
   * How long a writer waits for room when the queue is full; past it the record is left to the
   * reconciler (it is already durable), so a slow or unreachable secondary cannot hold callers.
   */
  readonly maxWaitMs?: number;
}

/** What the applier has done since it started (for metrics; no metrics library here). */
export interface PendingApplierStats {
  /** Records queued, not started. Never above `maxQueued`. */
  readonly queued: number;
  readonly inFlight: number;
  /** Writers waiting for room in the queue. */
  readonly waiting: number;
  /** The largest `queued` seen. */
  readonly highWater: number;
  readonly applied: number;
  /** Secondary writes that failed (the record stays with its error and backoff). */
  readonly failed: number;
  /** Records left to the reconciler because an older one of the same entity was still pending. */
  readonly deferred: number;
  /** Records left to the reconciler because the queue stayed full or the applier was closing. */
  readonly leftToReconciler: number;
}

interface Chain {
  readonly tasks: ApplyTask[];
  active: boolean;
}

/**
 * The bounded, in-process applier of DualWrite secondary writes (docs/design.md §7 "applied after commit"):
 * a writer commits its primary write together with the pending record, hands the record here and
 * returns; the applier applies it to the secondary and resolves the record, off the caller's path.
 *
 * The in-memory queue is only a hint. The pending row, written in the primary's transaction, is the
 * durable truth: a record the process never got to (it died, the queue stayed full, it closed) stays
 * in the pending log and the reconciler applies it. Nothing is ever dropped.
 *
 * Bounds and back-pressure: at most `maxQueued` records wait and `concurrency` run. When the queue
 * is full a writer waits for room (so a burst is slowed to the secondary's pace instead of piling up
 * records for the reconciler), but never longer than `maxWaitMs`: then its record is left to the
 * reconciler, so an unreachable secondary does not stall the primary's callers.
 *
 * Order: the records of one tenant (per log and target) are applied one after the other, in the
 * order they were handed over (a write's own records in the order it made them), so constraints
 * that span rows (unique keys per tenant, one open bitemporal row per subject) hold on the
 * secondary at every step; tenants are applied in parallel, up to `concurrency`. A record written
 * while an older one of the same entity was pending re-checks the log before applying and is left
 * to the reconciler when the older one is still there (it failed, or belongs to another process):
 * a replay never runs ahead of an older change.
 *
 * @example
 * const applier = new PendingApplier({ maxQueued: 1000, concurrency: 4 });
 * await applier.submit({ log, secondary, ctx, entry, hasEarlier: false }); // returns once queued
 * await applier.drain(); // tests, shutdown: everything handed over so far is applied or left pending
 */
export class PendingApplier {
  readonly maxQueued: number;
  readonly concurrency: number;
  readonly maxWaitMs: number;
  private readonly chains = new Map<string, Chain>();
  /** Tenants whose next record can start now, oldest first; each at most once. */
  private readonly ready: string[] = [];
  /** Records handed over and not finished (queued or running), by `store|seq`: the reconciler skips them. */
  private readonly held = new Set<string>();
  private readonly waiters: { admit: (granted: boolean) => void }[] = [];
  /** Slots granted to waiting writers that have not enqueued yet. */
  private reserved = 0;
  private idle: { promise: Promise<void>; resolve: () => void } | null = null;
  private closed = false;
  private pumpScheduled = false;
  private counts = { queued: 0, inFlight: 0, highWater: 0, applied: 0, failed: 0, deferred: 0, leftToReconciler: 0 };

  constructor(options: PendingApplierOptions = {}) {
    this.maxQueued = positive(options.maxQueued ?? 1000, 'maxQueued');
    this.concurrency = positive(options.concurrency ?? 4, 'concurrency');
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 1000);
  }

  /**
   * Hands a committed record over. Resolves once it is queued, or once it is left to the reconciler
   * (queue full past `maxWaitMs`, or closing). Never rejects: the caller's write already succeeded.
   */
  async submit(task: ApplyTask): Promise<void> {
    if (this.held.has(heldId(task.log, task.entry.seq))) return;
    // First come, first served: a writer does not overtake those already waiting for room.
    const full = this.counts.queued + this.reserved >= this.maxQueued || this.waiters.length > 0;
    if (!this.closed && full) {
      const granted = await this.room();
      if (!granted) {
        this.counts.leftToReconciler++;
        return;
      }
      this.reserved--;
    }
    if (this.closed) {
      this.counts.leftToReconciler++;
      return;
    }
    this.enqueue(task);
  }

  /** Whether this record is queued or being applied here (the reconciler leaves it alone). */
  holds(log: PendingLog, seq: string): boolean {
    return this.held.has(heldId(log, seq));
  }

  /**
   * Marks a record as being applied by someone else in this process (the reconciler), so the
   * applier does not apply it at the same time. False when the applier holds it already.
   */
  claim(log: PendingLog, seq: string): boolean {
    const id = heldId(log, seq);
    if (this.held.has(id)) return false;
    this.held.add(id);
    return true;
  }

  release(log: PendingLog, seq: string): void {
    this.held.delete(heldId(log, seq));
  }

  /** Resolves when nothing is queued or running (what was handed over is applied, or left pending). */
  drain(): Promise<void> {
    if (this.counts.queued === 0 && this.counts.inFlight === 0) return Promise.resolve();
    if (!this.idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.idle = { promise, resolve };
    }
    return this.idle.promise;
  }

  /**
   * Stops taking records (later ones are left to the reconciler) and waits for the queue to empty,
   * at most `timeoutMs`. What did not start by then stays in the pending log for the reconciler.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.admit(false);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const [key, chain] of this.chains) {
      // Not started: the pending rows remain; forget the hints.
      for (const t of chain.tasks.splice(0)) {
        this.held.delete(heldId(t.log, t.entry.seq));
        this.counts.queued--;
        this.counts.leftToReconciler++;
      }
      if (!chain.active) this.chains.delete(key);
    }
    this.ready.length = 0;
    this.settleIfIdle();
  }

  stats(): PendingApplierStats {
    return { ...this.counts, waiting: this.waiters.length };
  }

  /** Waits for a free slot (reserved for this writer when granted); false after `maxWaitMs` or on close. */
  private room(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter = {
        admit: (granted: boolean) => {
          clearTimeout(timer);
          resolve(granted);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, this.maxWaitMs);
      this.waiters.push(waiter);
    });
  }

  private enqueue(task: ApplyTask): void {
    this.held.add(heldId(task.log, task.entry.seq));
    const key = chainKey(task);
    let chain = this.chains.get(key);
    if (!chain) {
      chain = { tasks: [], active: false };
      this.chains.set(key, chain);
      this.ready.push(key);
    }
    chain.tasks.push(task);
    this.counts.queued++;
    this.counts.highWater = Math.max(this.counts.highWater, this.counts.queued);
    this.pump();
  }

  /** Hands freed slots to waiting writers, oldest first. */
  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.counts.queued + this.reserved < this.maxQueued) {
      this.reserved++;
      this.waiters.shift()!.admit(true);
    }
  }

  /**
   * Starts what may start, on a later turn of the event loop: a secondary write begins with
   * synchronous work (decoding the change, encoding the document; all of it with the `memory:`
   * store), which must not run before the writer that handed the record over gets its answer.
   */
  private pump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.startReady();
    });
  }

  private startReady(): void {
    while (this.counts.inFlight < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const chain = this.chains.get(key)!;
      const task = chain.tasks.shift()!;
      chain.active = true;
      this.counts.queued--;
      this.counts.inFlight++;
      void this.run(task).finally(() => {
        this.counts.inFlight--;
        this.held.delete(heldId(task.log, task.entry.seq));
        chain.active = false;
        if (chain.tasks.length > 0) this.ready.push(key);
        else this.chains.delete(key);
        this.startReady();
        this.settleIfIdle();
      });
    }
    // Records started: room for waiting writers.
    this.admitWaiters();
  }

  private async run(task: ApplyTask): Promise<void> {
    // An older record was pending at write time: applyPending re-checks and defers if it still is.
    const outcome = await applyPending(task.log, task.secondary, task.ctx, task.entry, task.publish, { checkEarlier: task.hasEarlier });
    this.counts[outcome === 'applied' ? 'applied' : outcome === 'failed' ? 'failed' : 'deferred']++;
  }

  private settleIfIdle(): void {
    if (this.idle && this.counts.queued === 0 && this.counts.inFlight === 0) {
      const { resolve } = this.idle;
      this.idle = null;
      resolve();
    }
  }
}

function chainKey(t: ApplyTask): string {
  return `${t.log.store}|${t.entry.tenantId}|${t.entry.target}`;
}

function heldId(log: PendingLog, seq: string): string {
  return `${log.store}|${seq}`;
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`PendingApplier: ${name} must be a positive integer, got ${n}`);
  return n;
}
