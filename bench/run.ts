import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench`: runs every compiled `*.bench.js` beside this file, in name order, each printing
 * JSON lines `{name, n, value, unit, baseline, ratio}` (plus `target` and `met` where a ratio has a
 * target) on stdout. `BENCH=queue,sbom` selects some.
 * Benchmarks measure; tests never time anything.
 */
export interface BenchLine {
  name: string;
  n: number;
  value: number;
  unit: string;
  baseline: string | null;
  ratio: number | null;
  /** The ratio the issue asks for, and whether this run met it (lines that have a target). */
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
for (const file of files) {
  const started = Date.now();
  process.stderr.write(`bench ${file}...\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: (emit: (l: BenchLine) => void) => Promise<void> };
    await mod.default((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
    process.stderr.write(`bench ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    failed++;
    process.stderr.write(`bench ${file} FAILED: ${(err as Error).stack ?? err}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
