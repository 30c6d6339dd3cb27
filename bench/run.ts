import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench`: runs every compiled `*.bench.js` beside this file, in name order, each printing
 * JSON lines `{name, n, value, unit, baseline, ratio}` (plus `target` and `met` where a ratio has a
 * target) on stdout. `BENCH=queue,sbom` selects some. At the end, every ratio that has a target is
 * printed again on stderr as a table (ratio, target, met), so a run shows at a glance which are met.
 * Each benchmark runs in a process of its own (same node flags), as the measured commands do: one
 * benchmark's heap and leftovers never weigh on the next. Benchmarks measure; tests never time anything.
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

/** Runs one benchmark file in this process (the child side of the loop below). */
async function runOne(file: string): Promise<void> {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: (emit: (l: BenchLine) => void) => Promise<void> };
  await mod.default((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
}

/** Runs one benchmark file in a child process, forwarding its lines; resolves with its exit code. */
function runChild(file: string, onLine: (line: BenchLine) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      process.stdout.write(`${text}\n`);
      try {
        onLine(JSON.parse(text) as BenchLine);
      } catch {
        // not a result line
      }
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const single = process.argv[2] === '--one' ? process.argv[3] : undefined;
if (single !== undefined) {
  await runOne(single);
  process.exit(0);
}

let failed = 0;
const targeted: BenchLine[] = [];
for (const file of files) {
  const started = Date.now();
  process.stderr.write(`bench ${file}...\n`);
  const code = await runChild(file, (line) => {
    if (line.target !== undefined) targeted.push(line);
  });
  if (code === 0) process.stderr.write(`bench ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  else {
    failed++;
    process.stderr.write(`bench ${file} FAILED (exit ${code})\n`);
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
