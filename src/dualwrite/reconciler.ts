import type { Entity } from '../interfaces/entity-spec.js';
import type { EntityRepository } from '../interfaces/repository.js';
import { tenantContext } from '../interfaces/tenant-context.js';
import { applyPending, type DualWriteEvent } from './dual-write-repository.js';
import type { PendingApplier } from './pending-applier.js';
import type { PendingLog } from './pending-log.js';

/** Where the reconciler applies a pending record: its secondary repository, by entity and target. */
export type SecondaryLookup = (entity: string, target: 'Mongo' | 'Postgres') => EntityRepository<Entity> | undefined;

export interface ReconcileReport {
  applied: number;
  failed: number;
  deferred: number;
  /** Records naming an entity this process does not know (another module's, or removed). */
  unknown: number;
  remaining: number;
}

/**
 * Applies pending DualWrite records until none is due: oldest first, per entity in order, each
 * replay idempotent and never overwriting newer data with older (the repositories' applyReplica).
 * Runs once from the `reconcile` command, or as a background loop inside a service.
 *
 * @example
 * const reconciler = new Reconciler([pgPendingLog], lookup);
 * const report = await reconciler.runOnce();
 * reconciler.start(5000); // background loop
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport> | null = null;

  constructor(
    private readonly logs: readonly PendingLog[],
    private readonly lookup: SecondaryLookup,
    private readonly options: {
      batchSize?: number;
      publish?: (event: DualWriteEvent) => void;
      now?: () => Date;
      /** This process's after-commit applier: a record it holds is not applied twice at once. */
      applier?: PendingApplier;
      /** Called after each pass (the runtime's metrics count what it did). */
      onPass?: (report: ReconcileReport) => void;
    } = {},
  ) {}

  /**
   * One pass over everything due now; with `all`, over every pending record regardless of its
   * backoff (an operator's `reconcile` after an outage), after this process's applier has drained.
   * Concurrent calls share the same pass.
   */
  runOnce(options: { all?: boolean } = {}): Promise<ReconcileReport> {
    this.running ??= this.pass(options.all ?? false).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(all: boolean): Promise<ReconcileReport> {
    // An operator's full pass (or a quiesced service) first lets this process's applier finish what
    // it holds, so the report counts what is really left.
    if (all) await this.options.applier?.drain();
    const report: ReconcileReport = { applied: 0, failed: 0, deferred: 0, unknown: 0, remaining: 0 };
    const batch = this.options.batchSize ?? 500;
    for (const log of this.logs) {
      const seen = new Set<string>();
      for (;;) {
        // The latest instant both stores represent: every record is due.
        const now = all ? new Date(8.64e15) : (this.options.now?.() ?? new Date());
        const due = (await log.due(batch, now)).filter((d) => !seen.has(d.seq));
        if (due.length === 0) break;
        // An entity whose older record failed in this pass waits for the next pass (order matters).
        const blocked = new Set<string>();
        for (const { seq, tenantId } of due) {
          seen.add(seq);
          // The applier has it queued or running: it applies it (in order), not us.
          if (this.options.applier && !this.options.applier.claim(log, seq)) continue;
          try {
            const ctx = tenantContext(tenantId);
            const entry = await log.read(ctx, seq);
            if (!entry) continue;
            const key = `${entry.entity}|${entry.entityId}|${entry.target}`;
            const repo = this.lookup(entry.entity, entry.target);
            if (!repo) {
              report.unknown++;
              continue;
            }
            if (blocked.has(key)) {
              report.deferred++;
              continue;
            }
            const outcome = await applyPending(log, repo, ctx, entry, this.options.publish);
            if (outcome === 'applied') report.applied++;
            else {
              blocked.add(key);
              if (outcome === 'failed') report.failed++;
              else report.deferred++;
            }
          } finally {
            this.options.applier?.release(log, seq);
          }
        }
      }
      report.remaining += await log.count();
    }
    this.options.onPass?.(report);
    return report;
  }

  /** Starts the background loop; errors of one pass are published and the loop goes on. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    const tick = async () => {
      try {
        await this.runOnce();
      } catch (err) {
        this.options.publish?.({ kind: 'secondary-failed', entity: '*', id: '*', error: (err as Error).message });
      }
      if (this.timer) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => undefined);
  }
}
