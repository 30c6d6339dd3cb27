import { randomUUID } from 'node:crypto';
import type { BenchLine } from './run.js';
import { authorityModule } from '../src/modules/authority/index.js';
import type { User, UserRepository } from '../src/interfaces/authority.js';
import { AuthorityTokens } from '../src/interfaces/authority.js';
import { tenantContext, type TenantContext } from '../src/interfaces/tenant-context.js';
import type { Backend } from '../src/interfaces/modules.js';
import { startTestRuntime, type TestRuntime } from '../test/setup/runtime.js';
import { percentile, round } from './bench-support.js';

/**
 * DualWrite caller latency next to each single backend (SPEC 12), measured side by side in one run:
 * the same Authority user insert, update, delete and get through Postgres alone, Mongo alone (the
 * MONGO_URL store, else memory:) and DualWrite (Primary = Postgres: the PostgreSQL write and its
 * pending record in one transaction; MongoDB is written after commit by the applier).
 *
 * The operations are interleaved (one of each backend in turn, in every order) so that noise on
 * a shared machine hits every side alike. Between two timed operations the DualWrite applier is
 * drained, untimed: its after-commit work must not slow the next operation of another backend (that
 * would flatter the ratio); what it costs under sustained load is the `sustained` line.
 *
 * Targets (issue 11): DualWrite p50 <= 1.2x and p99 <= 1.5x Postgres alone for insert, update, delete.
 */
const N = Number(process.env.BENCH_DUALWRITE_N ?? 2000);
const WARMUP = Math.min(200, N);
const TARGETS: Record<string, number> = { p50: 1.2, p99: 1.5 };
const BACKENDS = ['Postgres', 'Mongo', 'DualWrite'] as const satisfies readonly Backend[];
type Op = 'insert' | 'update' | 'delete' | 'get';
const ORDERS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const;

interface Side {
  readonly backend: (typeof BACKENDS)[number];
  readonly t: TestRuntime;
  readonly users: UserRepository;
  readonly ctx: TenantContext;
  readonly ids: string[];
  readonly samples: Record<Op, number[]>;
}

const newUser = (i: number) => ({ username: `bench-${i}`, email: null, displayName: null, passwordHash: null, status: 'active' as const, mfaEnabled: false, lastLoginAt: null });

async function timed(side: Side, op: Op, i: number): Promise<number> {
  const start = performance.now();
  switch (op) {
    case 'insert':
      side.ids.push((await side.users.insert(side.ctx, newUser(i))).id);
      break;
    case 'update':
      await side.users.update(side.ctx, side.ids[i]!, { displayName: `updated ${i}` } as Partial<User>);
      break;
    case 'get':
      await side.users.get(side.ctx, side.ids[i]!);
      break;
    case 'delete':
      await side.users.delete(side.ctx, side.ids[i]!);
      break;
  }
  const ms = performance.now() - start;
  await side.t.runtime.flushDualWrite();
  return ms;
}

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  const sides: Side[] = [];
  try {
    for (const backend of BACKENDS) {
      const t = await startTestRuntime(backend, { modules: [authorityModule] });
      sides.push({ backend, t, users: t.runtime.get<UserRepository>(AuthorityTokens.user), ctx: tenantContext(randomUUID()), ids: [], samples: { insert: [], update: [], delete: [], get: [] } });
    }
    // Warm-up on every side (connections, plans, JIT), not measured; its rows are deleted.
    for (const side of sides) {
      const warm = { ...side, ctx: tenantContext(randomUUID()), ids: [] as string[] };
      for (let i = 0; i < WARMUP; i++) await timed(warm, 'insert', i);
      for (let i = 0; i < WARMUP; i++) await timed(warm, 'update', i);
      for (let i = 0; i < WARMUP; i++) await timed(warm, 'delete', i);
    }
    for (const op of ['insert', 'update', 'get', 'delete'] as const) {
      for (let i = 0; i < N; i++) {
        // Every order of the sides in turn: each side goes first, last and after each other equally.
        for (const k of ORDERS[i % ORDERS.length]!) {
          const side = sides[k]!;
          side.samples[op].push(await timed(side, op, i));
        }
      }
    }
    const [pg, mongo, dual] = sides as [Side, Side, Side];
    for (const op of ['insert', 'update', 'delete', 'get'] as const) {
      for (const p of [50, 99]) {
        const name = (b: string) => `user.${op}.p${p}.${b}`;
        const base = percentile(pg.samples[op], p);
        const m = percentile(mongo.samples[op], p);
        const d = percentile(dual.samples[op], p);
        emit({ name: name('postgres'), n: N, value: round(base), unit: 'ms', baseline: null, ratio: null });
        emit({ name: name('mongo'), n: N, value: round(m), unit: 'ms', baseline: null, ratio: null });
        const target = op === 'get' ? null : TARGETS[`p${p}`]!;
        const ratio = round(d / base);
        emit({ name: name('dualwrite'), n: N, value: round(d), unit: 'ms', baseline: name('postgres'), ratio, ...(target ? { target, met: ratio <= target } : {}) });
        if (target) process.stderr.write(`  dualwrite ${op} p${p}: ${ratio}x Postgres alone (target <= ${target}x): ${ratio <= target ? 'met' : 'NOT met'}\n`);
      }
    }
    // Sustained inserts, back to back, the applier working meanwhile; DualWrite's time includes
    // draining the applier at the end (everything in MongoDB too).
    for (const side of [pg, dual]) {
      const ctx = tenantContext(randomUUID());
      const start = performance.now();
      for (let i = 0; i < N; i++) await side.users.insert(ctx, newUser(i));
      await side.t.runtime.flushDualWrite();
      side.samples.insert.length = 0;
      side.samples.insert.push((performance.now() - start) / N);
    }
    const per = (s: Side) => s.samples.insert[0]!;
    emit({ name: 'user.insert.sustained.postgres', n: N, value: round(per(pg)), unit: 'ms/op', baseline: null, ratio: null });
    emit({ name: 'user.insert.sustained.dualwrite', n: N, value: round(per(dual)), unit: 'ms/op', baseline: 'user.insert.sustained.postgres', ratio: round(per(dual) / per(pg)) });
  } finally {
    for (const side of sides) await side.t.close();
  }
}
