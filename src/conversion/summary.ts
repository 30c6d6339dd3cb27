import type { JobRow, PassRow, PassTotals } from './job-store.js';

/** What one `convert` run did for one collection (also the `--json` output, one per collection). */
export interface CollectionSummary {
  readonly jobId: string;
  readonly module: string;
  readonly collection: string;
  readonly entity: string;
  readonly tier: 'A' | 'B' | 'C';
  readonly tierDescription: string;
  /**
   * completed: this run took the pass to its end; already-finished: nothing to do (see --rerun);
   * schema-only: tier C; joined: a worker whose pass another worker finished; failed: stopped, resumable.
   */
  readonly outcome: 'completed' | 'already-finished' | 'schema-only' | 'joined' | 'failed';
  readonly pass: number | null;
  /** The job's fixed "now" of tier-B windows (ISO). */
  readonly referenceTime: string | null;
  /** Documents of the pass that are in PostgreSQL: inserted by it, or already there. */
  readonly converted: number;
  readonly inserted: number;
  readonly alreadyPresent: number;
  readonly skipped: number;
  readonly quarantined: number;
  /** Documents the planner saw, and the source's count when the pass finished. */
  readonly planned: number;
  readonly sourceCount: number | null;
  /** Documents processed by this run (all its workers). */
  readonly processed: number;
  readonly durationMs: number;
  readonly rowsPerSecond: number;
  readonly error?: string;
}

/** The whole run. */
export interface ConversionReport {
  readonly module: string;
  readonly ok: boolean;
  readonly collections: readonly CollectionSummary[];
}

/** One human line per collection, plus notes when something deserves attention. */
export function formatSummary(s: CollectionSummary): string[] {
  const head = `${s.jobId} (tier ${s.tier})`;
  const counts = `converted ${s.converted} (new ${s.inserted}, already present ${s.alreadyPresent}), skipped by tier ${s.skipped}, quarantined ${s.quarantined}`;
  const timing = `${(s.durationMs / 1000).toFixed(2)} s, ${s.rowsPerSecond} rows/s`;
  const lines: string[] = [];
  switch (s.outcome) {
    case 'already-finished':
      lines.push(`${head}: job already finished (pass ${s.pass}); nothing to do. ${counts}. Use --rerun to add documents written since.`);
      break;
    case 'schema-only':
      lines.push(`${head}: schema only (${s.tierDescription}); ${s.skipped} legacy documents left behind by design.`);
      break;
    case 'failed':
      lines.push(`${head}: FAILED in pass ${s.pass ?? '-'} after ${(s.durationMs / 1000).toFixed(2)} s: ${s.error}`);
      lines.push(`  so far: ${counts}. The job is resumable: run the same command again.`);
      break;
    default:
      lines.push(`${head}: ${s.outcome} pass ${s.pass}: ${counts}; ${s.processed} documents in ${timing}.`);
  }
  if (s.quarantined > 0 && s.outcome !== 'failed') {
    lines.push(`  ${s.quarantined} document(s) in quarantine: select legacy_id, reason from core.conversion_quarantine where module = '${s.module}' and collection = '${s.collection}'`);
  }
  const read = s.converted + s.skipped + s.quarantined;
  if (s.outcome === 'completed' && s.sourceCount !== null && s.sourceCount > read) {
    lines.push(`  the source now holds ${s.sourceCount} documents, ${s.sourceCount - read} more than this pass read (written meanwhile?): convert --rerun adds them`);
  }
  return lines;
}

/** The fields of a summary that name the collection and its tier. */
export type SummaryBase = Pick<CollectionSummary, 'jobId' | 'module' | 'collection' | 'entity' | 'tier' | 'tierDescription'>;

/** A worker that found no running pass to join. */
export function nothingToJoinSummary(base: SummaryBase, began: number): CollectionSummary {
  return { ...base, outcome: 'joined', pass: null, referenceTime: null, converted: 0, inserted: 0, alreadyPresent: 0, skipped: 0, quarantined: 0, planned: 0, sourceCount: null, processed: 0, durationMs: Date.now() - began, rowsPerSecond: 0 };
}

/** A pass this run worked to its end (`joined`: as a worker). */
export function completedSummary(base: SummaryBase, outcome: 'completed' | 'joined', job: JobRow, pass: PassRow, totals: PassTotals, processedNow: number, began: number): CollectionSummary {
  const durationMs = Date.now() - began;
  return {
    ...base,
    outcome,
    pass: pass.pass,
    referenceTime: job.referenceTime.toISOString(),
    converted: Number(totals.converted + totals.present),
    inserted: Number(totals.converted),
    alreadyPresent: Number(totals.present),
    skipped: Number(totals.skipped),
    quarantined: Number(totals.quarantined),
    planned: Number(pass.planned),
    sourceCount: pass.sourceCount === null ? null : Number(pass.sourceCount),
    processed: processedNow,
    durationMs,
    rowsPerSecond: durationMs > 0 ? Math.round((processedNow * 1000) / durationMs) : 0,
  };
}

/** A collection that stopped on an error, with what its pass holds so far (`totals`, when readable). */
export function failedSummary(base: SummaryBase, pass: number | null, referenceTime: Date | null, totals: PassTotals | null, error: string, began: number): CollectionSummary {
  return {
    ...base,
    outcome: 'failed',
    pass,
    referenceTime: referenceTime?.toISOString() ?? null,
    converted: totals ? Number(totals.converted + totals.present) : 0,
    inserted: totals ? Number(totals.converted) : 0,
    alreadyPresent: totals ? Number(totals.present) : 0,
    skipped: totals ? Number(totals.skipped) : 0,
    quarantined: totals ? Number(totals.quarantined) : 0,
    planned: 0,
    sourceCount: null,
    processed: 0,
    durationMs: Date.now() - began,
    rowsPerSecond: 0,
    error,
  };
}

/** A job with nothing to do (finished, see --rerun) or nothing to load (tier C). */
export function finishedSummary(
  base: SummaryBase,
  kind: 'already-finished' | 'schema-only',
  job: JobRow,
  pass: PassRow | null,
  began: number,
): CollectionSummary {
  return {
    ...base,
    outcome: kind,
    pass: pass?.pass ?? null,
    referenceTime: job.referenceTime.toISOString(),
    converted: Number(job.converted),
    inserted: 0,
    alreadyPresent: 0,
    skipped: Number(job.skipped),
    quarantined: Number(job.quarantined),
    planned: pass ? Number(pass.planned) : 0,
    sourceCount: pass?.sourceCount === null || !pass ? null : Number(pass.sourceCount),
    processed: 0,
    durationMs: Date.now() - began,
    rowsPerSecond: 0,
  };
}
