import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliEntryPoint } from '../src/conversion/worker-processes.js';

/**
 * A CLI process of the harness (`convert`, `follow`), started the way an operator would start it,
 * so that it can be killed with SIGKILL (kill -9: no cleanup, no last transaction) and started again.
 */
export class CliProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private done = false;
  private readonly tail: string[] = [];

  constructor(args: readonly string[], env: Readonly<Record<string, string>>, log: (line: string) => void) {
    this.child = spawn(process.execPath, [cliEntryPoint(), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > 10) this.tail.shift();
      log(`[${args[0]} pid ${this.child.pid}] ${line}`);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve({ code: -1, signal: null }));
      this.child.on('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** The last lines of its stderr (why it failed). */
  get lastLines(): string {
    return this.tail.slice(-3).join(' | ');
  }

  /** kill -9. */
  async kill9(): Promise<void> {
    if (!this.done) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop (the follower finishes the change it is applying). */
  async stop(): Promise<void> {
    if (!this.done) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** A seeded generator in [0, 1) (mulberry32): the same seed kills at the same moments of the same run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
