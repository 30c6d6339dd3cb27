import type { BenchLine } from './run.js';
import { runLiveCutoverFresh } from './cutover-harness.js';
import { authorityModule } from '../src/modules/authority/index.js';

/**
 * The cutover of Authority under live traffic (see cutover-harness.ts): per phase, caller p50/p99
 * and errors; overall, writes attempted/acknowledged/lost, the follower's lag and the final parity,
 * for the forward walk and for the rollback from DualWrite (Primary Postgres) to Mongo.
 */
const RATE = Number(process.env.BENCH_CUTOVER_RATE ?? 200);
const PHASE_MS = Number(process.env.BENCH_CUTOVER_PHASE_MS ?? 5000);
const INITIAL = Number(process.env.BENCH_CUTOVER_DOCS ?? 20_000);

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  for (const scenario of ['forward', 'rollback'] as const) {
    const r = await runLiveCutoverFresh({ module: authorityModule, writers: 4, rate: RATE, phaseMs: PHASE_MS, initialDocs: INITIAL, scenario });
    for (const p of r.phases) {
      emit({ name: `cutover.${scenario}.${p.phase}.p50`, n: p.acknowledged, value: p.p50Ms, unit: 'ms', baseline: null, ratio: null });
      emit({ name: `cutover.${scenario}.${p.phase}.p99`, n: p.acknowledged, value: p.p99Ms, unit: 'ms', baseline: null, ratio: null });
      emit({ name: `cutover.${scenario}.${p.phase}.caller_errors`, n: p.attempted, value: p.callerErrors, unit: 'writes', baseline: null, ratio: null });
    }
    emit({ name: `cutover.${scenario}.attempted`, n: r.attempted, value: r.attempted, unit: 'writes', baseline: `rate ${RATE}/s`, ratio: null });
    emit({ name: `cutover.${scenario}.acknowledged`, n: r.attempted, value: r.acknowledged, unit: 'writes', baseline: null, ratio: null });
    emit({ name: `cutover.${scenario}.lost`, n: r.acknowledged, value: r.lost, unit: 'writes', baseline: 'target 0', ratio: null });
    emit({ name: `cutover.${scenario}.direct_writes`, n: r.directWrites, value: r.directWrites, unit: 'writes', baseline: null, ratio: null });
    emit({ name: `cutover.${scenario}.follow_lag`, n: r.directWrites, value: r.followLagMs, unit: 'ms', baseline: null, ratio: null });
    emit({ name: `cutover.${scenario}.parity_mismatches`, n: INITIAL, value: r.parityMismatches, unit: 'mismatches', baseline: 'target 0', ratio: null });
    if (r.errors.length) process.stderr.write(`cutover ${scenario}: ${r.errors.join('\n')}\n`);
  }
}
