import type { Command } from 'commander';
import { PersistenceRuntime } from '../../app/persistence-runtime.js';
import { cliLog, configFrom, ExitCode, out, positiveInt, withConfigOption } from '../cli-support.js';

/**
 * `reconcile`: applies pending DualWrite records (secondary writes that failed or were not yet
 * applied) idempotently, never overwriting newer data with older. Once by default; `--loop` keeps
 * going every `--interval-ms` until interrupted. Exit 1 when records remain unapplied.
 */
export function registerReconcile(program: Command): void {
  withConfigOption(
    program
      .command('reconcile')
      .description('Apply pending DualWrite secondary writes (once, or --loop)')
      .option('--loop', 'keep reconciling until interrupted (honours each record\'s retry backoff)')
      .option('--due-only', 'once: only records whose retry backoff has passed (default: every pending record)')
      .option('--interval-ms <n>', 'loop period', positiveInt('--interval-ms'))
      .option('--json', 'print the report as one JSON document on stdout (with --loop: one JSON line per pass)'),
  ).action(async (opts: { loop?: boolean; dueOnly?: boolean; intervalMs?: number; json?: boolean; config?: string }) => {
    const config = configFrom(opts);
    // The runtime logs each failed secondary write (warn, with module, entity and tenant).
    const runtime = await PersistenceRuntime.start(config, { logger: cliLog() });
    try {
      const print = (r: object) => out(opts.json ? JSON.stringify({ dualWrite: true, ...r }) : Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' '));
      if (!runtime.reconciler) {
        if (opts.json) out(JSON.stringify({ dualWrite: false, applied: 0, failed: 0, deferred: 0, unknown: 0, remaining: 0 }));
        else out('no module is on DualWrite: nothing to reconcile');
        return;
      }
      if (!opts.loop) {
        const report = await runtime.reconciler.runOnce({ all: !opts.dueOnly });
        print(report);
        if (report.remaining > 0) throw new ExitCode(1);
        return;
      }
      const interval = opts.intervalMs ?? config.DualWrite.ReconcileIntervalMs;
      let stop = false;
      const onSignal = () => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      while (!stop) {
        print(await runtime.reconciler.runOnce());
        await new Promise((r) => setTimeout(r, interval));
      }
    } finally {
      await runtime.close();
    }
  });
}
