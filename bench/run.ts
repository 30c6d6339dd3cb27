import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench`: runs every compiled `*.bench.js` beside this file, in name order, each printing
 * JSON lines `{name, n, value, unit, baseline, ratio}` (plus `target` and `met` where a ratio has a
 * target) on stdout. `BENCH=queue,sbom` selects some. At the end, every ratio that has a target is
 * printed again on stderr as a table (ratio, target, met), so a run shows at a glance which are met.
 * Benchmarks measure; tests never time anything.
 */
export interface BenchLine {
  name: string;
  n: number;
  value: number;
  unit: string;
  baseline: string | null;
  ratio: number | null;
  /** The ratio's target, when the benchmark has one, and whether `ratio` meets it. */
  target?: number;
  met?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH?.split(',').map((s) => s.trim()).filter(Boolean);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => !only || only.includes(f.replace(/\.bench\.js$/, '')))
  .sort();

let failed = 0;
const targeted: BenchLine[] = [];
for (const file of files) {
  const started = Date.now();
  process.stderr.write(`bench ${file}...\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: (emit: (l: BenchLine) => void) => Promise<void> };
    await mod.default((line) => {
      if (line.target !== undefined) targeted.push(line);
      process.stdout.write(`${JSON.stringify(line)}\n`);
    });
    process.stderr.write(`bench ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    failed++;
    process.stderr.write(`bench ${file} FAILED: ${(err as Error).stack ?? err}\n`);
  }
}
if (targeted.length > 0) {
  const width = Math.max(...targeted.map((l) => l.name.length));
  process.stderr.write(`\nratios against their targets (${new Date().toISOString()}):\n`);
  for (const l of targeted) {
    // A ratio with a target of at most 1.5 on a latency is "at most"; throughput ratios are "at least".
    const atMost = l.baseline !== null && /p\d+/.test(l.name);
    process.stderr.write(`  ${l.name.padEnd(width)}  ${String(l.ratio).padStart(6)}  target ${atMost ? '<=' : '>='} ${l.target}  ${l.met ? 'met' : 'NOT met'}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
