import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * `--workers N`: N worker processes of the same binary (`convert ... --worker`), each claiming
 * ranges of the already planned pass until none is left. They share the job exactly as processes
 * on other hosts would: through the range table only.
 */
export interface WorkerProcessSpec {
  readonly module: string;
  readonly collection: string;
  readonly tier: 'A' | 'B' | 'C';
  readonly batchSize: number;
  readonly leaseSeconds: number;
  readonly throttleMs: number;
  /** `--config FILE` to hand down, when the parent had one. */
  readonly configFile: string | null;
  /** Connection settings for the children (environment variables of docs/design.md §3). */
  readonly env: Readonly<Record<string, string>>;
}

/** The CLI entry point beside this module (works from `dist/` and from any `--outDir`). */
export function cliEntryPoint(): string {
  return fileURLToPath(new URL('../cli/main.js', import.meta.url));
}

/**
 * Runs `count` worker processes to completion; resolves with one message per failed worker
 * (its exit code and last lines of stderr), empty when all succeeded.
 *
 * @example
 * const failures = await runWorkerProcesses(4, spec, (l) => process.stderr.write(l + '\n'));
 */
export async function runWorkerProcesses(count: number, spec: WorkerProcessSpec, log: (line: string) => void): Promise<string[]> {
  const args = [
    cliEntryPoint(),
    'convert',
    '--module', spec.module,
    '--collection', spec.collection,
    '--tier', spec.tier,
    '--batch-size', String(spec.batchSize),
    '--lease-seconds', String(spec.leaseSeconds),
    '--throttle-ms', String(spec.throttleMs),
    '--worker',
    ...(spec.configFile ? ['--config', spec.configFile] : []),
  ];
  return runCliProcesses(count, args, spec.env, log);
}

/**
 * V8 flags for the processes started here: a young generation of 64 MiB per semi-space (V8's
 * default is 16) lets the documents and rows of a batch die young instead of being copied and promoted;
 * measured on conversion, about 14% faster. A value this process was started with is passed on
 * (a child does not inherit `execArgv`); one in NODE_OPTIONS reaches the child by itself.
 */
export function workerNodeFlags(): string[] {
  if ((process.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size')) return [];
  return [process.execArgv.find((a) => a.startsWith('--max-semi-space-size')) ?? '--max-semi-space-size=64'];
}

/**
 * Runs `count` processes of `node <args>` to completion (any command of the CLI, e.g. a worker of a
 * shared job), with `env` over this process's environment and their stderr forwarded to `log`;
 * resolves with one message per failed process, empty when all succeeded.
 *
 * @example
 * const failures = await runCliProcesses(2, [cliEntryPoint(), 'verify', '--module', 'Authority', '--join', runId], {}, log);
 */
export async function runCliProcesses(count: number, args: readonly string[], env: Readonly<Record<string, string>>, log: (line: string) => void): Promise<string[]> {
  const runs = Array.from({ length: count }, (_, i) =>
    new Promise<string | null>((resolve) => {
      const child = spawn(process.execPath, [...workerNodeFlags(), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      const tail: string[] = [];
      createInterface({ input: child.stderr! }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        log(`[worker ${i + 1} pid ${child.pid}] ${line}`);
      });
      child.on('error', (err) => resolve(`worker ${i + 1} could not start: ${err.message}`));
      child.on('exit', (code, signal) => {
        if (code === 0) resolve(null);
        else resolve(`worker ${i + 1} (pid ${child.pid}) ended with ${signal ?? `exit code ${code}`}: ${tail.slice(-3).join(' | ')}`);
      });
    }),
  );
  return (await Promise.all(runs)).filter((r): r is string => r !== null);
}
