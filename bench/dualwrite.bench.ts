import { randomUUID } from 'node:crypto';
import type { BenchLine } from './run.js';
import { authorityModule } from '../src/modules/authority/index.js';
import type { UserRepository } from '../src/interfaces/authority.js';
import { AuthorityTokens } from '../src/interfaces/authority.js';
import { tenantContext } from '../src/interfaces/tenant-context.js';
import type { Backend } from '../src/interfaces/modules.js';
import { startTestRuntime } from '../test/setup/runtime.js';
import { percentile, round } from './bench-support.js';

/**
 * DualWrite caller latency next to each single backend (SPEC 12): the same Authority user writes
 * and reads through Mongo (the MONGO_URL store, else memory:), Postgres and DualWrite
 * (Primary = Postgres: PostgreSQL write + pending record in one transaction, then the MongoDB write).
 */
const N = Number(process.env.BENCH_DUALWRITE_N ?? 2000);

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  const results = new Map<string, { insert: number[]; get: number[] }>();
  for (const backend of ['Postgres', 'Mongo', 'DualWrite'] as Backend[]) {
    const t = await startTestRuntime(backend, { modules: [authorityModule] });
    try {
      const users = t.runtime.get<UserRepository>(AuthorityTokens.user);
      const ctx = tenantContext(randomUUID());
      const insert: number[] = [];
      const get: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < N; i++) {
        const start = performance.now();
        const u = await users.insert(ctx, { username: `bench-${i}`, email: null, displayName: null, passwordHash: null, status: 'active', mfaEnabled: false, lastLoginAt: null });
        insert.push(performance.now() - start);
        ids.push(u.id);
      }
      for (const id of ids) {
        const start = performance.now();
        await users.get(ctx, id);
        get.push(performance.now() - start);
      }
      results.set(backend, { insert: insert.sort((a, b) => a - b), get: get.sort((a, b) => a - b) });
    } finally {
      await t.close();
    }
  }
  for (const op of ['insert', 'get'] as const) {
    for (const p of [50, 95]) {
      const pg = percentile(results.get('Postgres')![op], p);
      const mongo = percentile(results.get('Mongo')![op], p);
      const dual = percentile(results.get('DualWrite')![op], p);
      emit({ name: `user.${op}.p${p}.postgres`, n: N, value: round(pg), unit: 'ms', baseline: null, ratio: null });
      emit({ name: `user.${op}.p${p}.mongo`, n: N, value: round(mongo), unit: 'ms', baseline: null, ratio: null });
      emit({ name: `user.${op}.p${p}.dualwrite`, n: N, value: round(dual), unit: 'ms', baseline: `user.${op}.p${p}.postgres`, ratio: round(dual / pg) });
      emit({ name: `user.${op}.p${p}.dualwrite_vs_mongo`, n: N, value: round(dual), unit: 'ms', baseline: `user.${op}.p${p}.mongo`, ratio: round(dual / mongo) });
    }
  }
}

