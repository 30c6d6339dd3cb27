import { Counter, Gauge, Registry } from 'prom-client';
import type { DualWriteEvent } from '../dualwrite/apply-pending.js';
import type { ReconcileReport } from '../dualwrite/reconciler.js';
import { mongoPendingBacklog } from '../mongo/mongo-pending-backlog.js';
import type { MongoDbLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import {
  conversionProgress,
  postgresPendingBacklog,
  quarantineCounts,
  queueDepth,
  type ConversionProgress,
  type PendingBacklog,
  type QueueDepth,
} from '../postgres/observability-queries.js';

/** What the scrape-time gauges read. */
export interface MetricsSources {
  /** A data source on the maintenance role (POSTGRES_ADMIN_URL): pending log, conversion state, job queue. */
  readonly postgres?: PostgresDataSource | null;
  /** The legacy MongoDB, for the pending log of modules whose DualWrite primary is Mongo. */
  readonly mongo?: () => MongoDbLike | null;
  /** Modules on DualWrite and the store holding their pending log: their backlog is reported even at zero. */
  readonly dualWrite?: readonly { readonly module: string; readonly store: 'Postgres' | 'Mongo' }[];
  /** Told when a source cannot be read during a scrape (the scrape still answers, with `stellaops_metrics_source_up 0`). */
  readonly onSourceError?: (source: MetricsSource, error: Error) => void;
}

export const METRICS_SOURCES = ['postgres_pending', 'mongo_pending', 'conversion', 'job_queue'] as const;
export type MetricsSource = (typeof METRICS_SOURCES)[number];

interface Snapshot {
  backlog: PendingBacklog[];
  conversion: ConversionProgress[];
  quarantine: { module: string; collection: string; documents: number }[];
  queue: QueueDepth[];
  /** Only the sources this runtime reads: 1 read, 0 failed. */
  up: Partial<Record<MetricsSource, number>>;
}

/** `Authority.user` -> module and entity labels. */
function entityLabels(qualified: string): { module: string; entity: string } {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { module: qualified, entity: qualified } : { module: qualified.slice(0, dot), entity: qualified.slice(dot + 1) };
}

/**
 * The Prometheus metrics of one runtime, in its own prom-client Registry (never the global one, so
 * two runtimes in a process do not clash). Counters count what happens in this process (DualWrite
 * events, reconciler passes); gauges are read from the stores at scrape time, so they show the work
 * of every process (pending backlog, conversion progress of all workers, job queue).
 *
 * @example
 * const metrics = new PersistenceMetrics({ postgres: adminDataSource });
 * metrics.observe({ kind: 'secondary-failed', entity: 'Authority.user', id, error: 'timeout' });
 * const text = await metrics.metrics(); // Prometheus text exposition
 */
export class PersistenceMetrics {
  readonly registry = new Registry();
  private readonly secondaryFailures: Counter<'module' | 'entity'>;
  private readonly shadowReads: Counter<'module' | 'entity' | 'operation'>;
  private readonly shadowMismatches: Counter<'module' | 'entity' | 'operation'>;
  private readonly reconcilerRecords: Counter<'outcome'>;
  private readonly reconcilerPasses: Counter;
  private readonly reconcilerErrors: Counter;
  private inflight: Promise<Snapshot> | null = null;

  constructor(private readonly sources: MetricsSources = {}) {
    const registers = [this.registry];
    this.secondaryFailures = new Counter({
      name: 'stellaops_dualwrite_secondary_failures_total',
      help: 'DualWrite secondary writes that failed (kept in the pending log and retried by the reconciler)',
      labelNames: ['module', 'entity'],
      registers,
    });
    this.shadowReads = new Counter({
      name: 'stellaops_dualwrite_shadow_reads_total',
      help: 'Shadow reads compared between the primary and the secondary store',
      labelNames: ['module', 'entity', 'operation'],
      registers,
    });
    this.shadowMismatches = new Counter({
      name: 'stellaops_dualwrite_shadow_mismatches_total',
      help: 'Shadow reads whose secondary answer differed from the primary (or failed)',
      labelNames: ['module', 'entity', 'operation'],
      registers,
    });
    this.reconcilerRecords = new Counter({
      name: 'stellaops_reconciler_records_total',
      help: 'Pending DualWrite records handled by the reconciler, by outcome (applied, failed, deferred, unknown)',
      labelNames: ['outcome'],
      registers,
    });
    this.reconcilerPasses = new Counter({ name: 'stellaops_reconciler_passes_total', help: 'Reconciler passes completed', registers });
    this.reconcilerErrors = new Counter({ name: 'stellaops_reconciler_errors_total', help: 'Reconciler passes that stopped on an error', registers });
    for (const outcome of ['applied', 'failed', 'deferred', 'unknown']) this.reconcilerRecords.inc({ outcome }, 0);

    const snapshot = () => this.snapshot();
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, s: Snapshot) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const s = await snapshot();
          this.reset();
          fill(this, s);
        },
      });
    gauge('stellaops_dualwrite_pending_records', 'DualWrite secondary writes waiting in the pending log, per module and store', ['store', 'module'], (g, s) => {
      for (const b of s.backlog) g.set({ store: b.store, module: b.module }, b.pending);
    });
    gauge('stellaops_dualwrite_pending_oldest_age_seconds', 'Age of the oldest pending DualWrite record (0 when none is pending)', ['store', 'module'], (g, s) => {
      for (const b of s.backlog) g.set({ store: b.store, module: b.module }, b.oldestAgeSeconds ?? 0);
    });
    gauge('stellaops_conversion_documents', 'Documents of the latest conversion pass, by result (inserted, already_present, skipped, quarantined)', ['module', 'collection', 'result'], (g, s) => {
      for (const c of s.conversion) {
        const at = { module: c.module, collection: c.collection };
        g.set({ ...at, result: 'inserted' }, c.inserted);
        g.set({ ...at, result: 'already_present' }, c.alreadyPresent);
        g.set({ ...at, result: 'skipped' }, c.skipped);
        g.set({ ...at, result: 'quarantined' }, c.quarantined);
      }
    });
    gauge('stellaops_conversion_planned_documents', 'Documents the latest conversion pass planned to read', ['module', 'collection'], (g, s) => {
      for (const c of s.conversion) g.set({ module: c.module, collection: c.collection }, c.planned);
    });
    gauge('stellaops_conversion_lag_documents', 'Documents PostgreSQL is behind the legacy collection: still to read by the running pass, or written since the finished one', ['module', 'collection'], (g, s) => {
      for (const c of s.conversion) g.set({ module: c.module, collection: c.collection }, c.lag);
    });
    gauge('stellaops_conversion_pass_running', '1 while the latest conversion pass of a job is running', ['module', 'collection'], (g, s) => {
      for (const c of s.conversion) g.set({ module: c.module, collection: c.collection }, c.running ? 1 : 0);
    });
    gauge('stellaops_conversion_quarantine_documents', 'Documents in core.conversion_quarantine', ['module', 'collection'], (g, s) => {
      for (const q of s.quarantine) g.set({ module: q.module, collection: q.collection }, q.documents);
    });
    gauge('stellaops_job_queue_jobs', 'Jobs of the Scheduler job queue (scheduler.job_queue) by kind and state', ['kind', 'state'], (g, s) => {
      for (const q of s.queue) g.set({ kind: q.kind, state: q.state }, q.jobs);
    });
    gauge('stellaops_metrics_source_up', '1 when the source of the scrape-time gauges was read, 0 when it failed (see the logs)', ['source'], (g, s) => {
      for (const source of METRICS_SOURCES) if (s.up[source] !== undefined) g.set({ source }, s.up[source]!);
    });
  }

  /** Counts a DualWrite event (publish it here from the runtime's publisher). */
  observe(event: DualWriteEvent): void {
    switch (event.kind) {
      case 'secondary-failed':
        if (event.entity === '*') this.reconcilerErrors.inc();
        else this.secondaryFailures.inc(entityLabels(event.entity));
        break;
      case 'shadow-compared': {
        const labels = { ...entityLabels(event.entity), operation: event.operation };
        this.shadowReads.inc(labels);
        if (!event.matched) this.shadowMismatches.inc(labels);
        break;
      }
      case 'shadow-mismatch':
        // Counted from its 'shadow-compared' event.
        break;
    }
  }

  /** Counts one reconciler pass. */
  observeReconcile(report: ReconcileReport): void {
    this.reconcilerPasses.inc();
    this.reconcilerRecords.inc({ outcome: 'applied' }, report.applied);
    this.reconcilerRecords.inc({ outcome: 'failed' }, report.failed);
    this.reconcilerRecords.inc({ outcome: 'deferred' }, report.deferred);
    this.reconcilerRecords.inc({ outcome: 'unknown' }, report.unknown);
  }

  /**
   * The DualWrite pending backlog per module and store: what `status` shows and the
   * `stellaops_dualwrite_pending_*` gauges export. Throws when a store cannot be read.
   */
  async pendingBacklog(): Promise<PendingBacklog[]> {
    const rows: PendingBacklog[] = [];
    if (this.sources.postgres) rows.push(...(await postgresPendingBacklog(this.sources.postgres)));
    const mongo = this.sources.mongo?.();
    if (mongo && this.sources.dualWrite?.some((d) => d.store === 'Mongo')) rows.push(...(await mongoPendingBacklog(mongo)));
    return this.withZeroes(rows, ['Postgres', 'Mongo']);
  }

  /** Text exposition of every metric (the body of `GET /metrics`). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Modules on DualWrite with nothing pending still get their series (at 0), so alerts see them;
   * only for stores that were read (a store that failed has no series, never a false zero).
   */
  private withZeroes(rows: PendingBacklog[], read: readonly ('Postgres' | 'Mongo')[]): PendingBacklog[] {
    const all = [...rows];
    for (const d of this.sources.dualWrite ?? []) {
      if (read.includes(d.store) && !all.some((r) => r.module === d.module && r.store === d.store)) all.push({ store: d.store, module: d.module, pending: 0, oldestAgeSeconds: null });
    }
    return all.sort((a, b) => (a.store + a.module < b.store + b.module ? -1 : a.store + a.module > b.store + b.module ? 1 : 0));
  }

  /** One read of every source per scrape, shared by all the gauges of that scrape. */
  private snapshot(): Promise<Snapshot> {
    this.inflight ??= this.read().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async read(): Promise<Snapshot> {
    const s: Snapshot = { backlog: [], conversion: [], quarantine: [], queue: [], up: {} };
    const attempt = async (source: MetricsSource, enabled: boolean, fn: () => Promise<void>) => {
      if (!enabled) return;
      s.up[source] = 0;
      try {
        await fn();
        s.up[source] = 1;
      } catch (err) {
        this.sources.onSourceError?.(source, err as Error);
      }
    };
    const pg = this.sources.postgres ?? null;
    const mongo = this.sources.mongo?.() ?? null;
    const backlog: PendingBacklog[] = [];
    await attempt('postgres_pending', pg !== null, async () => void backlog.push(...(await postgresPendingBacklog(pg!))));
    await attempt('mongo_pending', mongo !== null && (this.sources.dualWrite ?? []).some((d) => d.store === 'Mongo'), async () => void backlog.push(...(await mongoPendingBacklog(mongo!))));
    s.backlog = this.withZeroes(backlog, [...(s.up.postgres_pending === 1 ? ['Postgres' as const] : []), ...(s.up.mongo_pending === 1 ? ['Mongo' as const] : [])]);
    await attempt('conversion', pg !== null, async () => {
      s.conversion = await conversionProgress(pg!);
      s.quarantine = await quarantineCounts(pg!);
    });
    await attempt('job_queue', pg !== null, async () => void (s.queue = await queueDepth(pg!)));
    return s;
  }
}
