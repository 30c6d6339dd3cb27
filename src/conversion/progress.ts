import cliProgress from 'cli-progress';

/**
 * Progress of one collection's pass: a `cli-progress` bar (rows, rows/s, ETA) when stderr is a
 * terminal, plain log lines every few seconds otherwise (CI logs, files), and nothing for workers
 * whose parent reports for them. Fed from the committed counters in PostgreSQL, so it shows the work
 * of every worker of the job, wherever it runs.
 */
export type ProgressMode = 'auto' | 'bar' | 'log' | 'none';

export interface ProgressReporter {
  update(processed: number): void;
  stop(processed: number): void;
  /** Prints a diagnostic line without tearing the bar apart. */
  log(line: string): void;
}

const LOG_EVERY_MS = 5000;

function rate(rows: number, ms: number): number {
  return ms > 0 ? Math.round((rows * 1000) / ms) : 0;
}

function eta(remaining: number, perSecond: number): string {
  if (perSecond <= 0 || remaining <= 0) return remaining <= 0 ? '0s' : '?';
  const s = Math.ceil(remaining / perSecond);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/**
 * @param label e.g. `Authority/authority_users`
 * @param total documents planned for the pass
 * @param start documents already processed when this run began (a resumed pass)
 *
 * @example
 * const p = progressReporter('auto', 'Authority/authority_users', 100_000, 0, console.error);
 * p.update(5_000); p.stop(100_000);
 */
export function progressReporter(mode: ProgressMode, label: string, total: number, start: number, log: (line: string) => void): ProgressReporter {
  const chosen = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'log') : mode;
  const began = Date.now();
  if (chosen === 'none') return { update() {}, stop() {}, log };
  if (chosen === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, start), start, { rate: 0 });
    let active = true;
    return {
      log(line) {
        if (!active) return log(line);
        // Clear the bar's line, print, and let the next update redraw the bar below.
        process.stderr.write('\r\x1b[K');
        log(line);
        bar.render();
      },
      update(processed) {
        if (processed > bar.getTotal()) bar.setTotal(processed);
        bar.update(processed, { rate: rate(processed - start, Date.now() - began) });
      },
      stop(processed) {
        if (processed > bar.getTotal()) bar.setTotal(processed);
        bar.update(processed, { rate: rate(processed - start, Date.now() - began) });
        bar.stop();
        active = false;
      },
    };
  }
  let lastLog = began;
  const line = (processed: number) => {
    const perSecond = rate(processed - start, Date.now() - began);
    const pct = total > 0 ? Math.min(100, Math.floor((processed * 100) / total)) : 100;
    log(`${label}: ${processed}/${total} rows (${pct}%), ${perSecond} rows/s, ETA ${eta(total - processed, perSecond)}`);
  };
  return {
    update(processed) {
      if (Date.now() - lastLog >= LOG_EVERY_MS) {
        lastLog = Date.now();
        line(processed);
      }
    },
    stop(processed) {
      line(processed);
    },
    log,
  };
}
