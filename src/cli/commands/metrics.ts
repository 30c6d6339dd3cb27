import type { Command } from 'commander';
import { PersistenceRuntime } from '../../app/persistence-runtime.js';
import { cliLog, configFrom, printJson, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

/**
 * `metrics`: prints the Prometheus exposition once, as a service's `/metrics` would serve it (the
 * gauges read from the stores: DualWrite backlog, conversion progress, job queue; this process's
 * counters are zero). Applies nothing. `--json` prints prom-client's JSON form instead.
 */
export function registerMetrics(program: Command): void {
  withConfigOption(
    program
      .command('metrics')
      .description('Print the Prometheus metrics once (DualWrite backlog, conversion progress, job queue)')
      .option('--module <names...>', 'only these modules (default: all)')
      .option('--json', 'print the metrics as JSON (prom-client\u2019s form) instead of the text exposition'),
  ).action(async (opts: { module?: string[]; json?: boolean; config?: string }) => {
    const config = configFrom(opts);
    const runtime = await PersistenceRuntime.start(config, { modules: selectModules(opts.module), migrate: false, logger: cliLog() });
    try {
      if (opts.json) printJson(await runtime.metricsRegistry.getMetricsAsJSON());
      else {
        const text = await runtime.metrics();
        process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    } finally {
      await runtime.close();
    }
  });
}
