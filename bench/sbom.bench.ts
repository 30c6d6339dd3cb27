import pg from 'pg';
import type { BenchLine } from './run.js';
import { migrationSetsFor } from '../src/container/migration-sets.js';
import { artifactModule } from '../src/modules/artifact/index.js';
import { runMigrations } from '../src/postgres/migrations/index.js';
import { createTestDatabase } from '../test/setup/environment.js';
import { median, round } from './bench-support.js';

/**
 * Seeds targets for SBOM documents (technical reference 4 and 8; implementation program 6.2: "SBOM
 * format filter query 800 ms -> < 50 ms"), on the real `artifact.sbom_document` table (the module's
 * migration: generated bom_format / spec_version and the seeds' four indexes) in a scratch database:
 *
 * - format filter, tenant-scoped, through the generated column and its index (tenant_id, bom_format)
 *   vs the same query on the JSONB expression `doc->>'bomFormat'` (no expression index): a page of
 *   the 50 latest documents, and a count;
 * - containment `doc @> {...}` with the GIN jsonb_path_ops index vs without it (the index is dropped
 *   inside a transaction that is rolled back).
 *
 * Rows are generated inside PostgreSQL (generate_series + jsonb_build_object) shaped like the
 * corpus' CycloneDX documents: BENCH_SBOM_ROWS (default 1,000,000) over 10 tenants; 90% CycloneDX,
 * 9% SPDX, 1% other; a vulnerable log4j-core component in 0.5% of documents. Indexes are built after
 * the load. Times are EXPLAIN (ANALYZE, TIMING OFF) execution times, median of BENCH_SBOM_REPS
 * (default 7) after 2 warm-up runs, JIT off (its compile time would dominate the short queries).
 * `ratio` is value / baseline (below 1 is faster); the `.speedup` lines give baseline / value.
 */
const ROWS = Number(process.env.BENCH_SBOM_ROWS ?? 1_000_000);
const REPS = Number(process.env.BENCH_SBOM_REPS ?? 7);
const TENANTS = 10;
const tenant = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Index names the plan uses (for the log: shows which access path was measured). */
function indexesOf(plan: Record<string, unknown>, out = new Set<string>()): Set<string> {
  if (typeof plan['Index Name'] === 'string') out.add(plan['Index Name']);
  for (const child of (plan.Plans as Record<string, unknown>[] | undefined) ?? []) indexesOf(child, out);
  return out;
}

async function executionMs(c: pg.Client, label: string, sql: string, params: unknown[]): Promise<number> {
  const times: number[] = [];
  let plan: Record<string, unknown> = {};
  for (let i = 0; i < REPS + 2; i++) {
    const r = await c.query(`explain (analyze, timing off, format json) ${sql}`, params);
    const out = (r.rows[0]['QUERY PLAN'] as Record<string, unknown>[])[0]!;
    plan = out.Plan as Record<string, unknown>;
    if (i >= 2) times.push(out['Execution Time'] as number);
  }
  const used = [...indexesOf(plan)];
  process.stderr.write(`  ${label}: median ${round(median(times))} ms; plan ${plan['Node Type']}${used.length ? ` using ${used.join(', ')}` : ' (no index)'}\n`);
  return median(times);
}

const GENERATE = `
insert into artifact.sbom_document (id, tenant_id, artifact_purl, content_hash, doc, created_at, updated_at)
select md5('sbom' || g)::uuid,
       ('00000000-0000-4000-8000-' || lpad((g % ${TENANTS})::text, 12, '0'))::uuid,
       'pkg:npm/app-' || (g % 5000) || '@1.' || (g % 50),
       sha256(convert_to('sbom-' || g, 'UTF8')),
       jsonb_build_object(
         '$schema', 'http://cyclonedx.org/schema/bom-1.5.schema.json',
         'bomFormat', case when g % 100 < 90 then 'CycloneDX' when g % 100 < 99 then 'SPDX' else 'syft-json' end,
         'specVersion', (array['1.2', '1.3', '1.4', '1.5', '1.6'])[g % 5 + 1],
         'serialNumber', 'urn:uuid:' || md5('serial' || g)::uuid,
         'version', 1,
         'metadata', jsonb_build_object(
           'timestamp', to_char(timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => g), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'component', jsonb_build_object('type', 'application', 'name', 'app-' || (g % 5000), 'purl', 'pkg:npm/app-' || (g % 5000) || '@1.' || (g % 50))),
         'components', jsonb_build_array(
           jsonb_build_object('type', 'library', 'name', (array['lodash', 'express', 'openssl', 'zlib'])[g % 4 + 1], 'version', '4.' || (g % 30) || '.1',
                              'purl', 'pkg:npm/' || (array['lodash', 'express', 'openssl', 'zlib'])[g % 4 + 1] || '@4.' || (g % 30) || '.1'),
           jsonb_build_object('type', 'library', 'name', (array['jackson-databind', 'netty', 'busybox', 'guava'])[g % 4 + 1], 'version', '2.' || (g % 17) || '.0',
                              'hashes', jsonb_build_array(jsonb_build_object('alg', 'SHA-256', 'content', md5('h' || g) || md5('i' || g)))),
           case when g % 200 = 7
                then jsonb_build_object('type', 'library', 'name', 'log4j-core', 'version', '2.14.1', 'purl', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')
                else jsonb_build_object('type', 'library', 'name', 'log4j-core', 'version', '2.17.' || (g % 3), 'purl', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.' || (g % 3)) end)),
       timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => g),
       timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => g)
from generate_series($1::int, $2::int) as g`;

export default async function run(emit: (line: BenchLine) => void): Promise<void> {
  process.env.PG_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  const db = await createTestDatabase('bench_sbom');
  const c = new pg.Client({ connectionString: db.adminUrl });
  try {
    await runMigrations(db.adminUrl, migrationSetsFor([artifactModule]), { categories: ['startup'] });
    await c.connect();
    await c.query(`set maintenance_work_mem = '512MB'`);
    await c.query('set jit = off');

    // Load without the secondary indexes, then build them exactly as the migration defines them.
    const indexes = (await c.query(`select indexname, indexdef from pg_indexes where schemaname = 'artifact' and tablename = 'sbom_document' and indexname <> 'sbom_document_pkey' order by indexname`)).rows as { indexname: string; indexdef: string }[];
    for (const i of indexes) await c.query(`drop index artifact.${pg.escapeIdentifier(i.indexname)}`);
    let t = performance.now();
    const chunk = 250_000;
    for (let from = 1; from <= ROWS; from += chunk) await c.query(GENERATE, [from, Math.min(ROWS, from + chunk - 1)]);
    const loadS = (performance.now() - t) / 1000;
    t = performance.now();
    for (const i of indexes) await c.query(i.indexdef);
    const indexS = (performance.now() - t) / 1000;
    t = performance.now();
    await c.query('vacuum (analyze) artifact.sbom_document');
    const vacuumS = (performance.now() - t) / 1000;
    const size = (await c.query(`select pg_total_relation_size('artifact.sbom_document') as b`)).rows[0].b as string;
    process.stderr.write(`  loaded ${ROWS} rows in ${round(loadS, 1)} s, indexes ${round(indexS, 1)} s, vacuum analyze ${round(vacuumS, 1)} s; table + indexes ${Math.round(Number(size) / 1048576)} MiB\n`);
    emit({ name: 'sbom.build.load', n: ROWS, value: round(loadS, 1), unit: 's', baseline: null, ratio: null });
    emit({ name: 'sbom.build.indexes', n: ROWS, value: round(indexS, 1), unit: 's', baseline: null, ratio: null });

    const T = tenant(3);
    const pairs: [string, string, string, unknown[]][] = [
      ['sbom.format.page', `select id, artifact_purl, created_at from artifact.sbom_document where tenant_id = $1 and bom_format = $2 order by created_at desc limit 50`, `select id, artifact_purl, created_at from artifact.sbom_document where tenant_id = $1 and doc->>'bomFormat' = $2 order by created_at desc limit 50`, [T, 'SPDX']],
      ['sbom.format.count', `select count(*) from artifact.sbom_document where tenant_id = $1 and bom_format = $2`, `select count(*) from artifact.sbom_document where tenant_id = $1 and doc->>'bomFormat' = $2`, [T, 'SPDX']],
    ];
    for (const [name, generated, expression, params] of pairs) {
      const base = await executionMs(c, `${name} jsonb expression`, expression, params);
      const gen = await executionMs(c, `${name} generated column`, generated, params);
      emit({ name: `${name}.jsonb_expression`, n: ROWS, value: round(base), unit: 'ms', baseline: null, ratio: null });
      emit({ name: `${name}.generated_column`, n: ROWS, value: round(gen), unit: 'ms', baseline: `${name}.jsonb_expression`, ratio: round(gen / base, 4) });
      emit({ name: `${name}.speedup`, n: ROWS, value: round(base / gen, 1), unit: 'x', baseline: `${name}.jsonb_expression`, ratio: null });
    }

    const probe = JSON.stringify({ components: [{ name: 'log4j-core', version: '2.14.1' }] });
    const containment = `select id, artifact_purl from artifact.sbom_document where tenant_id = $1 and doc @> $2::jsonb`;
    const withGin = await executionMs(c, 'sbom.containment with GIN jsonb_path_ops', containment, [T, probe]);
    await c.query('begin');
    let withoutGin: number;
    try {
      await c.query('drop index artifact.ix_sbom_doc_json_gin');
      withoutGin = await executionMs(c, 'sbom.containment without GIN', containment, [T, probe]);
    } finally {
      await c.query('rollback');
    }
    emit({ name: 'sbom.containment.no_gin', n: ROWS, value: round(withoutGin), unit: 'ms', baseline: null, ratio: null });
    emit({ name: 'sbom.containment.gin_jsonb_path_ops', n: ROWS, value: round(withGin), unit: 'ms', baseline: 'sbom.containment.no_gin', ratio: round(withGin / withoutGin, 4) });
    emit({ name: 'sbom.containment.speedup', n: ROWS, value: round(withoutGin / withGin, 1), unit: 'x', baseline: 'sbom.containment.no_gin', ratio: null });
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}
