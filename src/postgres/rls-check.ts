import type { PostgresDataSource } from './data-source.js';
import { APP_GROUP_ROLE } from './migrations/app-role.js';
import { withDataSource } from './migrations/data-source-for.js';

/**
 * The comment marker (`comment on table ... is '@tenant-data ...'`) by which a table without a
 * `tenant_id` column declares that it holds tenant data (core 021: the conversion quarantine and ranges).
 */
export const TENANT_DATA_MARKER = '@tenant-data';

/** One relation holding tenant data: a `tenant_id` column, or the {@link TENANT_DATA_MARKER} comment. */
export interface RlsTableReport {
  schema: string;
  table: string;
  /** 'table', 'partitioned table' or 'materialized view' (which cannot carry row-level security). */
  kind: 'table' | 'partitioned table' | 'materialized view';
  /** Has a `tenant_id` column. */
  tenantColumn: boolean;
  /** Its comment (or its partitioned parent's) carries {@link TENANT_DATA_MARKER}. */
  marked: boolean;
  rlsEnabled: boolean;
  rlsForced: boolean;
  /** Policy names, sorted. */
  policies: string[];
  /** What the checked application roles may do with it, as `role:PRIVILEGE`, sorted (SELECT counts column grants too). */
  appPrivileges: string[];
  /**
   * A table with `tenant_id`: RLS enabled AND forced AND at least one policy. Anything else holding
   * tenant data (no `tenant_id`, or a materialized view): no application privilege at all.
   */
  ok: boolean;
  /** `schema.table` of the partitioned parent when this table is a partition (each partition needs its own RLS). */
  partitionOf: string | null;
}

export interface RlsCheckReport {
  /** The application roles whose privileges were checked (those of the request that exist). */
  appRoles: string[];
  tables: RlsTableReport[];
  /** ok tables / tenant-data tables; 1 when there are none. */
  coverage: number;
  /** coverage === 1 */
  ok: boolean;
}

export interface RlsCheckOptions {
  /** Roles that must not reach unprotected tenant data; default the application group role `stellaops_app`. */
  readonly appRoles?: readonly string[];
}

// Ordinary and partitioned tables (partitions included: a query that names a partition directly gets
// that partition's RLS, not its parent's) and materialized views. Without an explicit list, every schema
// but the system ones. has_*_privilege counts PUBLIC and inherited grants, as PostgreSQL would.
const TENANT_TABLES_SQL = `
with roles as (select r.oid, r.rolname from pg_roles r where r.rolname = any ($2::text[])),
rels as (
  select c.oid, c.relkind, c.relrowsecurity, c.relforcerowsecurity, n.nspname, c.relname,
         exists (select 1 from pg_attribute a
                  where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped) as tenant_column,
         coalesce(obj_description(c.oid, 'pg_class') ~ $3, false)
           or coalesce((select obj_description(i.inhparent, 'pg_class') ~ $3 from pg_inherits i
                         where i.inhrelid = c.oid and c.relispartition), false) as marked,
         (select pn.nspname || '.' || pc.relname
            from pg_inherits i
            join pg_class pc on pc.oid = i.inhparent
            join pg_namespace pn on pn.oid = pc.relnamespace
           where i.inhrelid = c.oid and c.relispartition) as partition_of
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'm')
     and case when $1::text[] is null
              then n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'
              else n.nspname = any ($1::text[])
         end
)
select r.nspname               as "schema",
       r.relname               as "table",
       case r.relkind when 'r' then 'table' when 'p' then 'partitioned table' else 'materialized view' end as "kind",
       r.tenant_column         as "tenantColumn",
       r.marked                as "marked",
       r.relrowsecurity        as "rlsEnabled",
       r.relforcerowsecurity   as "rlsForced",
       coalesce((select array_agg(p.polname::text order by p.polname::text collate "C")
                   from pg_policy p
                  where p.polrelid = r.oid), '{}')       as "policies",
       coalesce((select array_agg(ro.rolname || ':' || pr.name order by ro.rolname collate "C", pr.ord)
                   from roles ro
                  cross join (values (1, 'SELECT'), (2, 'INSERT'), (3, 'UPDATE'), (4, 'DELETE'), (5, 'TRUNCATE')) pr (ord, name)
                  where case when pr.name in ('SELECT', 'INSERT', 'UPDATE')
                             then has_any_column_privilege(ro.oid, r.oid, pr.name)
                             else has_table_privilege(ro.oid, r.oid, pr.name)
                        end), '{}')              as "appPrivileges",
       r.partition_of          as "partitionOf"
  from rels r
 where r.tenant_column or r.marked
 order by r.nspname collate "C", r.relname collate "C"
`;

const ROLES_SQL = `select rolname from pg_roles where rolname = any ($1::text[]) order by rolname collate "C"`;

/** Does this relation keep tenant data from the application role the way its kind allows? */
function protectedEnough(t: Omit<RlsTableReport, 'ok'>): boolean {
  if (t.tenantColumn && t.kind !== 'materialized view') return t.rlsEnabled && t.rlsForced && t.policies.length > 0;
  return t.appPrivileges.length === 0;
}

/**
 * docs/design.md §4.2's coverage check, over every relation holding tenant data: a table with a `tenant_id`
 * column must have row-level security enabled AND forced (so the owner is filtered too) AND at least one
 * policy; a table that declares tenant data by the `@tenant-data` comment without a `tenant_id` column,
 * and a materialized view with one (no RLS possible), must be out of the application role's reach:
 * no SELECT (column grants included), INSERT, UPDATE, DELETE or TRUNCATE.
 *
 * @param schemas only these schemas; default every schema except pg_catalog, information_schema,
 *   pg_toast and temporary ones (public included: it counts only if it holds tenant tables).
 *
 * @example
 * const report = await rlsCheck(adminUrl, ['core', 'authority'], { appRoles: ['stellaops_app', 'svc_authority'] });
 * for (const t of report.tables.filter((t) => !t.ok)) console.log(`${t.schema}.${t.table}`);
 * process.exitCode = report.ok ? 0 : 1;
 */
export async function rlsCheck(urlOrDs: string | PostgresDataSource, schemas?: string[], options: RlsCheckOptions = {}): Promise<RlsCheckReport> {
  const requested = [...new Set(options.appRoles ?? [APP_GROUP_ROLE])];
  return withDataSource(
    urlOrDs,
    async (ds) => {
      const appRoles = (await ds.query<{ rolname: string }>(ROLES_SQL, [requested])).rows.map((r) => r.rolname);
      const { rows } = await ds.query<Omit<RlsTableReport, 'ok'>>(TENANT_TABLES_SQL, [schemas ?? null, appRoles, markerPattern()]);
      const tables = rows.map((r) => ({ ...r, ok: protectedEnough(r) }));
      const okCount = tables.filter((t) => t.ok).length;
      const coverage = tables.length === 0 ? 1 : okCount / tables.length;
      return { appRoles, tables, coverage, ok: coverage === 1 };
    },
    'stellaops-rls-check',
  );
}

/** The marker as a whole word of the comment (POSIX regular expression). */
function markerPattern(): string {
  return `(^|[[:space:]])${TENANT_DATA_MARKER}([[:space:]]|$)`;
}
