import type { BenchLine } from './run.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { tenantContext } from '../src/interfaces/tenant-context.js';
import { subjectHashOf } from '../src/modules/excititor/unknowns/rules.js';
import { unknown } from '../src/modules/excititor/entities.js';
import { excititorModule } from '../src/modules/excititor/index.js';
import { PostgresBitemporalRepository } from '../src/modules/excititor/unknowns/postgres.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { selectList } from '../src/postgres/entity-sql.js';
import { grantAppRole, runMigrations } from '../src/postgres/migrations/index.js';
import { createTestDatabase } from '../test/setup/environment.js';
import { percentile } from './bench-support.js';

/**
 * Bitemporal as-of latency (seeds 3.4) at 1M history rows of `unknowns.unknown`: SUBJECTS subjects of
 * the measured tenant with VERSIONS beliefs each (every version supersedes the previous one: closed
 * sys_to, re-asserted valid time; a fifth of the subjects end resolved), plus a second tenant with a
 * tenth as many, built inside PostgreSQL with generate_series. Through PostgresBitemporalRepository as
 * the application role (RLS on), at random (system, valid) times:
 * - "as known at S, what was valid at V" for one subject (`unknowns.subject_as_of`), p50 / p95;
 * - a tenant-wide as-of page of 100 (`unknowns.as_of`, keyset order subject_hash, kind), p50 / p95;
 * - a subject's history, p50 / p95;
 * - the subject as-of with index scans disabled (sequential scan), median: what ix_unknown_subject buys.
 * Sizes: BENCH_BITEMPORAL_SUBJECTS (default 100000) x 10 versions. `ratio` is value / baseline.
 */
const SUBJECTS = Number(process.env.BENCH_BITEMPORAL_SUBJECTS ?? 100_000);
const VERSIONS = 10;
const POINT_RUNS = 300;
const PAGE_RUNS = 60;
const SEQ_RUNS = 5;
const BASE = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** A deterministic generator (mulberry32): the same questions every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  const db = await createTestDatabase('bitemporal_bench');
  const settings = (url: string) => ({ url, pool: { min: 0, max: 2, connectionTimeoutMs: 10_000, idleTimeoutMs: 10_000, maxLifetimeMs: 600_000 }, statementTimeoutMs: 0 });
  const admin = new PostgresDataSource(settings(db.adminUrl));
  const app = new PostgresDataSource(settings(db.appUrl));
  try {
    await runMigrations(db.adminUrl, migrationSetsFor([excititorModule]), { categories: ['startup'] });
    await grantAppRole(db.adminUrl, new URL(db.appUrl).username);
    const tenantA = '00000000-0000-4000-8000-00000000000a';
    const tenantB = '00000000-0000-4000-8000-00000000000b';
    const started = performance.now();
    // Subject s, version v: believed from day v (+ the subject's minute) until version v+1; valid from the
    // subject's first day on; the last version is the open row, or (every fifth subject) resolved on day 9.
    for (const [tenant, subjects] of [[tenantA, SUBJECTS], [tenantB, Math.ceil(SUBJECTS / 10)]] as const) {
      await admin.query(
        `insert into unknowns.unknown (id, tenant_id, subject_hash, kind, context, valid_from, valid_to, sys_from, sys_to, created_at, updated_at)
         select gen_random_uuid(), $1, 'sha256:' || encode(sha256(convert_to('{"n":' || s || '}', 'UTF8')), 'hex'), 'missing_vex',
                jsonb_build_object('version', v, 'reason', 'no VEX statement'),
                $3::timestamptz + (s % 1440) * interval '1 minute',
                case when v = $4 - 1 and s % 5 = 0 then $3::timestamptz + ($4 - 1) * interval '1 day' + (s % 1440) * interval '1 minute' end,
                $3::timestamptz + v * interval '1 day' + (s % 1440) * interval '1 minute',
                case when v < $4 - 1 then $3::timestamptz + (v + 1) * interval '1 day' + (s % 1440) * interval '1 minute' end,
                $3::timestamptz + v * interval '1 day', $3::timestamptz + v * interval '1 day'
         from generate_series(1, $2) s, generate_series(0, $4 - 1) v`,
        [tenant, subjects, new Date(BASE), VERSIONS],
      );
    }
    await admin.query('analyze unknowns.unknown');
    const rows = Number((await admin.query('select count(*)::int as n from unknowns.unknown')).rows[0].n);
    process.stderr.write(`  bitemporal bench: ${rows} history rows loaded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

    const repo = new PostgresBitemporalRepository(unknown, app);
    const ctx = tenantContext(tenantA);
    const random = rng(42);
    const subject = () => subjectHashOf({ n: 1 + Math.floor(random() * SUBJECTS) });
    const at = () => new Date(BASE + random() * (VERSIONS + 2) * DAY);

    // The plans actually used, for the record.
    const plan = async (sql: string, params: unknown[]) =>
      JSON.stringify((await app.withTenant(ctx, (tx) => tx.query(`explain (format json) ${sql}`, params))).rows[0]['QUERY PLAN']).match(/"Index Name":"([^"]+)"/g)?.join(' ') ?? 'no index';
    process.stderr.write(`  subject as-of plan: ${await plan(`select ${selectList(unknown)} from unknowns.subject_as_of($1, $2, $3, $4) where tenant_id = $5`, [subject(), 'missing_vex', at(), at(), tenantA])}\n`);
    process.stderr.write(`  as-of page plan: ${await plan(`select ${selectList(unknown)} from unknowns.as_of($1, $2) where tenant_id = $3 order by subject_hash collate "C", kind collate "C" limit 101`, [at(), at(), tenantA])}\n`);

    // Sanity: the generated history answers like the repository says it should.
    const probe = subjectHashOf({ n: 7 });
    const v3 = await repo.subjectAsOf(ctx, probe, 'missing_vex', { systemTime: new Date(BASE + 3.5 * DAY), validTime: new Date(BASE + 2 * DAY) });
    if ((v3?.context as { version?: number } | undefined)?.version !== 3) throw new Error(`generated history is not what the bench expects: ${JSON.stringify(v3)}`);

    for (let i = 0; i < 20; i++) await repo.subjectAsOf(ctx, subject(), 'missing_vex', { systemTime: at(), validTime: at() });
    const point: number[] = [];
    for (let i = 0; i < POINT_RUNS; i++) {
      const s = subject();
      const times = { systemTime: at(), validTime: at() };
      point.push(await timed(() => repo.subjectAsOf(ctx, s, 'missing_vex', times)));
    }
    const page: number[] = [];
    for (let i = 0; i < PAGE_RUNS; i++) {
      const times = { systemTime: at(), validTime: at() };
      page.push(await timed(() => repo.asOf(ctx, times, { limit: 100 })));
    }
    const history: number[] = [];
    for (let i = 0; i < POINT_RUNS; i++) {
      const s = subject();
      history.push(await timed(() => repo.history(ctx, s, 'missing_vex')));
    }
    const seq: number[] = [];
    for (let i = 0; i < SEQ_RUNS; i++) {
      const s = subject();
      const [st, vt] = [at(), at()];
      seq.push(
        await timed(() =>
          app.withTenant(ctx, async (tx) => {
            await tx.query('set local enable_indexscan = off; set local enable_bitmapscan = off; set local enable_indexonlyscan = off');
            return tx.query(`select ${selectList(unknown)} from unknowns.subject_as_of($1, $2, $3, $4) where tenant_id = $5`, [s, 'missing_vex', st, vt, tenantA]);
          }),
        ),
      );
    }
    const p50 = percentile(point, 50);
    emit({ name: 'bitemporal.subject_as_of.p50', n: rows, value: round(p50), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'bitemporal.subject_as_of.p95', n: rows, value: round(percentile(point, 95)), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'bitemporal.as_of_page100.p50', n: rows, value: round(percentile(page, 50)), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'bitemporal.as_of_page100.p95', n: rows, value: round(percentile(page, 95)), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'bitemporal.history.p50', n: rows, value: round(percentile(history, 50)), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'bitemporal.history.p95', n: rows, value: round(percentile(history, 95)), unit: 'ms', baseline: null, ratio: null });
    const seqMedian = percentile(seq, 50);
    emit({ name: 'bitemporal.subject_as_of.seq_scan', n: rows, value: round(seqMedian), unit: 'ms', baseline: 'bitemporal.subject_as_of.p50', ratio: Math.round((seqMedian / p50) * 10) / 10 });
  } finally {
    await app.close();
    await admin.close();
    await db.drop();
  }
}
