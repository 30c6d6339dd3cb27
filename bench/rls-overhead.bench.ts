import pg from 'pg';
import type { BenchLine } from './run.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import type { Entity, EntitySpec } from '../src/interfaces/entity-spec.js';
import { tenantContext, type TenantContext } from '../src/interfaces/tenant-context.js';
import { advisory } from '../src/modules/concelier/entities.js';
import { concelierModule } from '../src/modules/concelier/index.js';
import { PostgresDataSource } from '../src/postgres/data-source.js';
import { grantAppRole, runMigrations } from '../src/postgres/migrations/index.js';
import { PostgresRepository } from '../src/postgres/postgres-repository.js';
import { createTestDatabase } from '../test/setup/environment.js';
import { median, round } from './bench-support.js';

/**
 * Row-level security overhead on tenant queries (seeds: implementation program risk R1, conversion
 * plan 7.1 "no regression > 10%"; goal <= 10%). The same tenant-scoped work, as the application role
 * (not owner, no BYPASSRLS), on `vuln.advisory` (RLS enabled + forced, the core policy
 * `tenant_id = core.current_tenant()`) and on `bench.advisory_norls`, a copy made with
 * `LIKE ... INCLUDING ALL` (same columns, generated columns and indexes, no RLS), holding the same rows.
 *
 * - repository calls through the generic PostgresRepository (one unit of work each: begin,
 *   set_config of the tenant, the query, commit): get(id), findOne(sourceKey, advisoryKey), a
 *   100-row page of "modified since". Per-call latency, mean of a round of BENCH_RLS_CALLS calls,
 *   median over BENCH_RLS_ROUNDS rounds; the two tables alternate round by round so that drift
 *   from other load hits both alike.
 * - server-side time (EXPLAIN ANALYZE, TIMING OFF: planning + execution; median of
 *   BENCH_RLS_SERVER_REPS = 15 after 3 warm-ups, the variants alternating) of a point lookup and of a
 *   whole-tenant aggregate, with the explicit tenant predicate the repositories send, and with only
 *   the policy doing the filtering. The policy's `tenant_id = core.current_tenant()` becomes a
 *   one-time filter next to the explicit predicate: the plans are otherwise identical.
 * Rows are generated inside PostgreSQL: BENCH_RLS_ROWS (default 500,000) OSV-shaped advisories
 * over 20 tenants. `ratio` is value / baseline (the table without RLS); `.overhead` lines give
 * (ratio - 1) in percent.
 */
const ROWS = Number(process.env.BENCH_RLS_ROWS ?? 500_000);
const CALLS = Number(process.env.BENCH_RLS_CALLS ?? 200);
const ROUNDS = Number(process.env.BENCH_RLS_ROUNDS ?? 15);
const SERVER_REPS = Number(process.env.BENCH_RLS_SERVER_REPS ?? 15);
const TENANTS = 20;
const tenant = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

const GENERATE = `
insert into vuln.advisory (id, tenant_id, source_key, advisory_key, payload, content_hash, published_at, modified_at, withdrawn_at, created_at, updated_at)
select md5('adv' || g)::uuid,
       ('00000000-0000-4000-8000-' || lpad((g % ${TENANTS})::text, 12, '0'))::uuid,
       (array['go-vulndb', 'rustsec', 'ghsa', 'bitnami'])[g % 4 + 1],
       (array['GO', 'RUSTSEC', 'GHSA', 'BIT'])[g % 4 + 1] || '-' || (2019 + g % 7) || '-' || lpad(g::text, 7, '0'),
       jsonb_build_object(
         'schema_version', '1.6.0',
         'id', (array['GO', 'RUSTSEC', 'GHSA', 'BIT'])[g % 4 + 1] || '-' || (2019 + g % 7) || '-' || lpad(g::text, 7, '0'),
         'modified', to_char(timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => g * 7), 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad((g % 1000000)::text, 6, '0') || 'Z',
         'published', to_char(timestamptz '2025-01-01 00:00:00+00' - make_interval(secs => g * 7), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'aliases', jsonb_build_array('CVE-' || (2019 + g % 7) || '-' || (10000 + g % 80000), 'GHSA-' || substr(md5('g' || g), 1, 4) || '-' || substr(md5('g' || g), 5, 4) || '-' || substr(md5('g' || g), 9, 4)),
         'summary', 'advisory ' || g,
         'affected', jsonb_build_array(jsonb_build_object(
           'package', jsonb_build_object('ecosystem', (array['Go', 'crates.io', 'npm', 'Bitnami'])[g % 4 + 1], 'name', 'pkg-' || (g % 3000)),
           'ranges', jsonb_build_array(jsonb_build_object('type', 'SEMVER', 'events', jsonb_build_array(jsonb_build_object('introduced', '0'), jsonb_build_object('fixed', '1.' || (g % 40) || '.0')))))),
         'database_specific', jsonb_build_object('severity', (array['Critical', 'High', 'Medium', 'Low'])[g % 4 + 1])),
       md5('h' || g) || md5('i' || g),
       timestamptz '2025-01-01 00:00:00+00' - make_interval(secs => g * 7),
       date_trunc('milliseconds', timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => g * 7)),
       null,
       timestamptz '2026-01-01 00:00:00+00',
       timestamptz '2026-01-01 00:00:00+00'
from generate_series($1::int, $2::int) as g`;

const COLUMNS = 'id, tenant_id, source_key, advisory_key, payload, content_hash, published_at, modified_at, withdrawn_at, created_at, updated_at, legacy_id';

type Op = (repo: PostgresRepository<Entity>, ctx: TenantContext, i: number) => Promise<unknown>;

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  process.env.PG_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  const db = await createTestDatabase('bench_rls');
  const admin = new pg.Client({ connectionString: db.adminUrl });
  let ds: PostgresDataSource | null = null;
  let app: pg.Client | null = null;
  try {
    await runMigrations(db.adminUrl, migrationSetsFor([concelierModule]), { categories: ['startup'] });
    await grantAppRole(db.adminUrl, decodeURIComponent(new URL(db.appUrl).username));
    await admin.connect();
    let t = performance.now();
    for (let from = 1; from <= ROWS; from += 250_000) await admin.query(GENERATE, [from, Math.min(ROWS, from + 249_999)]);
    await admin.query('create schema bench');
    await admin.query('create table bench.advisory_norls (like vuln.advisory including all)');
    await admin.query(`insert into bench.advisory_norls (${COLUMNS}) select ${COLUMNS} from vuln.advisory`);
    await admin.query('grant usage on schema bench to stellaops_app');
    await admin.query('grant select on bench.advisory_norls to stellaops_app');
    await admin.query('vacuum (analyze) vuln.advisory');
    await admin.query('vacuum (analyze) bench.advisory_norls');
    const policies = (await admin.query(`select c.relname, c.relrowsecurity, c.relforcerowsecurity, (select count(*) from pg_policy p where p.polrelid = c.oid)::int as policies from pg_class c where c.oid in ('vuln.advisory'::regclass, 'bench.advisory_norls'::regclass) order by 1`)).rows;
    process.stderr.write(`  ${ROWS} rows x 2 tables loaded in ${round((performance.now() - t) / 1000, 1)} s; ${JSON.stringify(policies)}\n`);

    // Keys to ask for: one tenant's rows (every call is tenant-scoped, as in the application).
    const T = tenant(7);
    const ctx = tenantContext(T);
    const keys = (await admin.query(`select id, source_key, advisory_key from vuln.advisory where tenant_id = $1 order by md5(id::text) limit ${CALLS}`, [T])).rows as { id: string; source_key: string; advisory_key: string }[];
    const since = (await admin.query(`select modified_at from vuln.advisory where tenant_id = $1 order by modified_at desc offset 5000 limit 1`, [T])).rows[0].modified_at as Date;

    ds = new PostgresDataSource({ url: db.appUrl, pool: { min: 1, max: 1, connectionTimeoutMs: 5000, idleTimeoutMs: 60_000, maxLifetimeMs: 3_600_000 }, statementTimeoutMs: 60_000, applicationName: 'bench-rls' });
    const norlsSpec: EntitySpec = { ...advisory, schema: 'bench', table: 'advisory_norls' };
    const repos = { rls: new PostgresRepository<Entity>(advisory, ds), norls: new PostgresRepository<Entity>(norlsSpec, ds) };
    const ops: [string, Op][] = [
      ['get', (r, c, i) => r.get(c, keys[i % keys.length]!.id)],
      ['find_one', (r, c, i) => r.findOne(c, { sourceKey: keys[i % keys.length]!.source_key, advisoryKey: keys[i % keys.length]!.advisory_key } as never)],
      ['modified_since_page100', (r, c) => r.list(c, { order: 'modified', range: { field: 'modifiedAt', gte: since }, limit: 100 })],
    ];
    for (const [name, op] of ops) {
      const rounds: Record<'rls' | 'norls', number[]> = { rls: [], norls: [] };
      for (let w = 0; w < 50; w++) {
        await op(repos.rls, ctx, w);
        await op(repos.norls, ctx, w);
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const side of (r % 2 ? ['norls', 'rls'] : ['rls', 'norls']) as ('rls' | 'norls')[]) {
          const start = performance.now();
          for (let i = 0; i < CALLS; i++) await op(repos[side], ctx, i);
          rounds[side].push((performance.now() - start) / CALLS);
        }
      }
      const rls = median(rounds.rls);
      const norls = median(rounds.norls);
      process.stderr.write(`  repository ${name}: no RLS ${round(norls)} ms, RLS ${round(rls)} ms per call (${round((rls / norls - 1) * 100, 1)}%)\n`);
      emit({ name: `rls.repository.${name}.no_rls`, n: ROWS, value: round(norls), unit: 'ms', baseline: null, ratio: null });
      emit({ name: `rls.repository.${name}.rls`, n: ROWS, value: round(rls), unit: 'ms', baseline: `rls.repository.${name}.no_rls`, ratio: round(rls / norls, 4) });
      emit({ name: `rls.repository.${name}.overhead`, n: ROWS, value: round((rls / norls - 1) * 100, 1), unit: '%', baseline: `rls.repository.${name}.no_rls`, ratio: null });
    }
    await ds.close();
    ds = null;

    // Server-side time (planning + execution, EXPLAIN ANALYZE) as the application role: the three
    // variants alternate within each repetition, so load from elsewhere hits them alike.
    app = new pg.Client({ connectionString: db.appUrl });
    await app.connect();
    await app.query('set jit = off');
    const serverMs = async (sql: string, params: unknown[]): Promise<number> => {
      await app!.query('begin');
      try {
        await app!.query("select set_config('app.tenant_id', $1, true)", [T]);
        const r = await app!.query(`explain (analyze, timing off, format json) ${sql}`, params);
        const out = (r.rows[0]['QUERY PLAN'] as { 'Planning Time': number; 'Execution Time': number }[])[0]!;
        return out['Planning Time'] + out['Execution Time'];
      } finally {
        await app!.query('rollback');
      }
    };
    const serverCases: [string, [string, string, unknown[]][]][] = [
      ['get', [
        ['no_rls', 'select * from bench.advisory_norls where id = $1 and tenant_id = $2', [keys[0]!.id, T]],
        ['rls', 'select * from vuln.advisory where id = $1 and tenant_id = $2', [keys[0]!.id, T]],
        ['rls_policy_only', 'select * from vuln.advisory where id = $1 and $2::uuid is not null', [keys[0]!.id, T]],
      ]],
      ['tenant_aggregate', [
        ['no_rls', 'select count(*), max(modified_at), count(*) filter (where severity = $2) from bench.advisory_norls where tenant_id = $1', [T, 'High']],
        ['rls', 'select count(*), max(modified_at), count(*) filter (where severity = $2) from vuln.advisory where tenant_id = $1', [T, 'High']],
        ['rls_policy_only', 'select count(*), max(modified_at), count(*) filter (where severity = $2) from vuln.advisory where $1::uuid is not null', [T, 'High']],
      ]],
    ];
    for (const [name, variants] of serverCases) {
      const times = new Map<string, number[]>(variants.map(([v]) => [v, []]));
      for (let i = 0; i < 3 + SERVER_REPS; i++) {
        for (const [v, sql, params] of i % 2 ? [...variants].reverse() : variants) {
          const ms = await serverMs(sql, params);
          if (i >= 3) times.get(v)!.push(ms);
        }
      }
      const base = median(times.get('no_rls')!);
      const parts: string[] = [];
      for (const [v] of variants) {
        const m = median(times.get(v)!);
        parts.push(`${v} ${round(m)} ms`);
        emit({ name: `rls.server.${name}.${v}`, n: ROWS, value: round(m), unit: 'ms', baseline: v === 'no_rls' ? null : `rls.server.${name}.no_rls`, ratio: v === 'no_rls' ? null : round(m / base, 4) });
        if (v !== 'no_rls') emit({ name: `rls.server.${name}.${v}.overhead`, n: ROWS, value: round((m / base - 1) * 100, 1), unit: '%', baseline: `rls.server.${name}.no_rls`, ratio: null });
      }
      process.stderr.write(`  server ${name} (planning + execution): ${parts.join(', ')}\n`);
    }
  } finally {
    await ds?.close().catch(() => undefined);
    await app?.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await db.drop();
  }
}
