import type { BenchLine } from './run.js';
import { runLiveCutoverFresh, type HarnessReport } from './cutover-harness.js';
import { WORKLOADS } from './cutover-workloads.js';

/**
 * The cutover of a module under live traffic (see cutover-harness.ts), for Authority (generic
 * stores) and Scheduler (plus its custom job-queue store): per phase, writes attempted and
 * acknowledged, caller errors and caller p50/p99; overall, writes lost, the follower's lag and
 * catch-up time, and each verify's mismatches and in-flight rows, for the forward walk with the
 * converter and the follower killed (kill -9) and restarted, and for the rollback from DualWrite
 * (Primary Postgres) to Mongo.
 */
const RATE = Number(process.env.BENCH_CUTOVER_RATE ?? 20);
const PHASE_MS = Number(process.env.BENCH_CUTOVER_PHASE_MS ?? 2000);
const INITIAL = Number(process.env.BENCH_CUTOVER_DOCS ?? 1_000);
const DIRECT_MS = Number(process.env.BENCH_CUTOVER_DIRECT_MS ?? 200);
const MODULES = (process.env.BENCH_CUTOVER_MODULES ?? 'Authority,Scheduler').split(',').map((m) => m.trim()).filter(Boolean);

function emitReport(emit: (line: BenchLine) => void, r: HarnessReport): void {
  const k = `cutover.${r.module.toLowerCase()}.${r.scenario}`;
  for (const p of r.phases) {
    emit({ name: `${k}.${p.phase}.writes`, n: p.attempted, value: p.acknowledged, unit: 'acknowledged', baseline: null, ratio: null });
    emit({ name: `${k}.${p.phase}.caller_errors`, n: p.attempted, value: p.callerErrors, unit: 'writes', baseline: 'target 0', ratio: null });
    emit({ name: `${k}.${p.phase}.p50`, n: p.acknowledged, value: p.p50Ms, unit: 'ms', baseline: null, ratio: null });
    emit({ name: `${k}.${p.phase}.p99`, n: p.acknowledged, value: p.p99Ms, unit: 'ms', baseline: null, ratio: null });
  }
  emit({ name: `${k}.attempted`, n: r.attempted, value: r.attempted, unit: 'writes', baseline: `rate ${r.rate}/s`, ratio: null });
  emit({ name: `${k}.acknowledged`, n: r.attempted, value: r.acknowledged, unit: 'writes', baseline: null, ratio: null });
  emit({ name: `${k}.lost`, n: r.acknowledged, value: r.lost, unit: 'writes', baseline: 'target 0', ratio: null });
  emit({ name: `${k}.direct_writes`, n: r.directWrites, value: r.directWrites, unit: 'writes', baseline: null, ratio: null });
  if (r.jobOps) emit({ name: `${k}.job_queue_calls`, n: r.jobOps, value: r.jobOps, unit: 'calls', baseline: null, ratio: null });
  emit({ name: `${k}.follow_lag_max`, n: r.directWrites, value: r.followLagMs, unit: 'ms', baseline: null, ratio: null });
  emit({ name: `${k}.catch_up`, n: r.directWrites, value: r.catchUpMs, unit: 'ms', baseline: null, ratio: null });
  emit({ name: `${k}.kills`, n: r.kills.converter + r.kills.follower, value: r.kills.converter + r.kills.follower, unit: `kill -9 (${r.kills.converter} convert, ${r.kills.follower} follow)`, baseline: null, ratio: null });
  for (const p of r.parity) {
    emit({ name: `${k}.verify.${p.phase}.mismatches`, n: p.matchedRows, value: p.mismatches, unit: 'mismatches', baseline: 'target 0', ratio: null });
    emit({ name: `${k}.verify.${p.phase}.in_flight`, n: p.matchedRows, value: p.inFlightRows, unit: `rows (${p.inFlightProbes} probes, ${p.settledRows} settled)`, baseline: null, ratio: null });
    emit({ name: `${k}.verify.${p.phase}.duration`, n: p.matchedRows, value: p.durationMs, unit: 'ms', baseline: null, ratio: null });
  }
  if (r.errors.length) process.stderr.write(`${k}: ${r.errors.join('\n')}\n`);
}

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  for (const name of MODULES) {
    const workload = WORKLOADS[name];
    if (!workload) throw new Error(`BENCH_CUTOVER_MODULES: no workload for ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);
    emitReport(emit, await runLiveCutoverFresh({ workload, writers: 4, rate: RATE, phaseMs: PHASE_MS, initialDocs: INITIAL, directIntervalMs: DIRECT_MS, scenario: 'forward', kill: { seed: 10, converter: 2, follower: 2 } }));
    emitReport(emit, await runLiveCutoverFresh({ workload, writers: 4, rate: RATE, phaseMs: PHASE_MS, initialDocs: INITIAL, directIntervalMs: DIRECT_MS, scenario: 'rollback' }));
  }
}
