import type { PostgresDataSource } from './data-source.js';
import { withDataSource } from './migrations/data-source-for.js';

/** One table that has a `tenant_id` column. */
export interface RlsTableReport {
  schema: string;
  table: string;
  rlsEnabled: boolean;
  rlsForced: boolean;
  /** Policy names, sorted. */
  policies: string[];
  /** Enabled AND forced AND at least one policy. */
  ok: boolean;
  /** `schema.table` of the partitioned parent when this table is a partition (each partition needs its own RLS). */
  partitionOf: string | null;
}

export interface RlsCheckReport {
  tables: RlsTableReport[];
  /** ok tables / tables with `tenant_id`; 1 when there are none. */
  coverage: number;
  /** coverage === 1 */
  ok: boolean;
}

// Ordinary and partitioned tables (partitions included: a query that names a partition directly gets
// that partition's RLS, not its parent's). Without an explicit list, every schema but the system ones.
const TENANT_TABLES_SQL = `
select n.nspname              as "schema",
       c.relname              as "table",
       c.relrowsecurity       as "rlsEnabled",
       c.relforcerowsecurity  as "rlsForced",
       coalesce((select array_agg(p.polname::text order by p.polname::text collate "C")
                   from pg_policy p
                  where p.polrelid = c.oid), '{}')       as "policies",
       (select pn.nspname || '.' || pc.relname
          from pg_inherits i
          join pg_class pc on pc.oid = i.inhparent
          join pg_namespace pn on pn.oid = pc.relnamespace
         where i.inhrelid = c.oid and c.relispartition)  as "partitionOf"
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p')
   and case when $1::text[] is null
            then n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'
            else n.nspname = any ($1::text[])
       end
   and exists (select 1
                 from pg_attribute a
                where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped)
 order by n.nspname collate "C", c.relname collate "C"
`;

/**
 * SPEC 4.2's coverage check: every table with a `tenant_id` column must have row-level security
 * enabled AND forced (so the owner is filtered too) AND at least one policy.
 *
 * @param schemas only these schemas; default every schema except pg_catalog, information_schema,
 *   pg_toast and temporary ones (public included: it counts only if it holds tenant tables).
 *
 * @example
 * const report = await rlsCheck(adminUrl);
 * for (const t of report.tables.filter((t) => !t.ok)) console.log(`${t.schema}.${t.table}`);
 * process.exitCode = report.ok ? 0 : 1;
 */
export async function rlsCheck(urlOrDs: string | PostgresDataSource, schemas?: string[]): Promise<RlsCheckReport> {
  return withDataSource(
    urlOrDs,
    async (ds) => {
      const { rows } = await ds.query<Omit<RlsTableReport, 'ok'>>(TENANT_TABLES_SQL, [schemas ?? null]);
      const tables = rows.map((r) => ({ ...r, ok: r.rlsEnabled && r.rlsForced && r.policies.length > 0 }));
      const okCount = tables.filter((t) => t.ok).length;
      const coverage = tables.length === 0 ? 1 : okCount / tables.length;
      return { tables, coverage, ok: coverage === 1 };
    },
    'stellaops-rls-check',
  );
}
