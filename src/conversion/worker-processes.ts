import { spawn, type ChildProcess } from 'node:child_process';
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

/** Worker processes started ahead of the plan: told to go once the pass is planned, or to stand down. */
export interface StartedWorkers {
  /** The pass is planned: the workers join it. */
  go(): void;
  /** There is nothing to join: the workers exit without working (no-op after `go`). */
  cancel(): void;
  /** One message per failed worker (its exit code and last lines of stderr), empty when all succeeded. */
  readonly done: Promise<string[]>;
}

/**
 * Starts `count` worker processes that warm up (modules loaded, connections open, the source read
 * once) while this process plans the pass, then wait for `go` (or `cancel`) on their standard input:
 * on a small machine their start-up costs about as long as the planning does, so this hides it.
 * A worker whose parent dies before `go` sees its input end and exits with nothing done.
 *
 * @example
 * const workers = startWorkerProcesses(1, spec, log);
 * const prepared = await prepareJob(...);
 * if (prepared.kind === 'run') workers.go(); else workers.cancel();
 * const failures = await workers.done;
 */
export function startWorkerProcesses(count: number, spec: WorkerProcessSpec, log: (line: string) => void): StartedWorkers {
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
    '--wait-for-go',
    ...(spec.configFile ? ['--config', spec.configFile] : []),
  ];
  const children = spawnCliProcesses(count, args, spec.env, log, true);
  let signalled = false;
  const signal = (line: string | null) => {
    if (signalled) return;
    signalled = true;
    for (const child of children.processes) {
      // A child that already ended (it could not start) has a closed pipe: nothing to tell it.
      child.stdin?.on('error', () => undefined);
      if (line !== null) child.stdin?.write(`${line}\n`);
      child.stdin?.end();
    }
  };
  return { go: () => signal(GO), cancel: () => signal(null), done: children.done };
}

/** What a parent writes to a waiting worker's standard input to start it. */
export const GO = 'go';

/**
 * Waits for this worker process's go-ahead on standard input (see startWorkerProcesses): true on
 * `go`, false when the input ends without it (the parent found nothing to join, or died).
 *
 * @example
 * if (!(await goSignal())) return; // nothing to join
 */
export function goSignal(input: NodeJS.ReadableStream = process.stdin): Promise<boolean> {
  return new Promise((resolve) => {
    const lines = createInterface({ input });
    let answered = false;
    lines.on('line', (line) => {
      if (answered) return;
      answered = true;
      lines.close();
      resolve(line.trim() === GO);
    });
    lines.on('close', () => {
      if (!answered) resolve(false);
    });
  });
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
  return spawnCliProcesses(count, args, env, log, false).done;
}

/** The processes of runCliProcesses, with a pipe to each one's standard input when `withInput`. */
function spawnCliProcesses(
  count: number,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  log: (line: string) => void,
  withInput: boolean,
): { processes: ChildProcess[]; done: Promise<string[]> } {
  const processes: ChildProcess[] = [];
  const runs = Array.from({ length: count }, (_, i) =>
    new Promise<string | null>((resolve) => {
      const child = spawn(process.execPath, [...workerNodeFlags(), ...args], { env: { ...process.env, ...env }, stdio: [withInput ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
      processes.push(child);
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
  return { processes, done: Promise.all(runs).then((results) => results.filter((r): r is string => r !== null)) };
}
