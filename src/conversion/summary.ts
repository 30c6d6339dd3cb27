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
