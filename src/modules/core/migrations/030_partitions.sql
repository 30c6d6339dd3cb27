-- Monthly RANGE partitions on time (SPEC 4.4, seeds section 6, sprint 3422).
--
-- A partitioned table is declared by its module's migration (`partition by range (<time column>)`, the
-- primary key including that column, indexes and the BRIN on the time column defined on the PARENT so
-- every partition inherits them, RLS on the parent). Its partitions are created by these functions only:
--   * core.ensure_monthly_partition(parent, at): the partition of the UTC month of `at` (idempotent,
--     safe under concurrency). Callers: the module migration (the months from the retention horizon to a
--     few months ahead, so a fresh database accepts writes at once), `partitions maintain` (months ahead,
--     run on a schedule) and the conversion engine (every month of the data it loads).
--   * core.drop_expired_partitions(parent, before, dry_run): retention by DETACH + DROP of the partitions
--     wholly older than `before` (O(1) in rows: never DELETE).
-- There is deliberately no DEFAULT partition: a row outside every partition fails loudly ("no partition of
-- relation ... found for row") instead of piling up where retention never reaches it and blocking the
-- creation of the month's partition later.
--
-- Every function that changes a parent's partitions first takes a transaction-scoped advisory lock on
-- the parent's oid, so two maintainers (or a maintainer and a conversion) serialise per table: the second
-- one finds the work done.

-- Advisory lock class for partition maintenance ('STPT'), second key = the parent's oid.
create or replace function core.partition_lock(p_parent regclass) returns void
language sql volatile as $$
  select pg_advisory_xact_lock(1398034516, p_parent::oid::int)
$$;

-- The partitions of a parent with their bounds (NULL lower = MINVALUE, NULL upper = MAXVALUE), in bound
-- order; a default partition, if someone created one, comes last with is_default = true and NULL bounds.
-- Bounds are read back from pg_get_expr in this session, so the text round-trips through the same
-- TimeZone setting and casts back exactly.
create or replace function core.partition_bounds(p_parent regclass)
returns table (partition regclass, name text, lower_bound timestamptz, upper_bound timestamptz, is_default boolean)
language sql stable as $$
  select p.rel, p.rel::text,
         case when m[1] = 'MINVALUE' then null else trim(both '''' from m[1])::timestamptz end,
         case when m[2] = 'MAXVALUE' then null else trim(both '''' from m[2])::timestamptz end,
         p.bound = 'DEFAULT'
  from (select c.oid::regclass as rel, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = p_parent) p
  -- Only RANGE bounds match (ensure_monthly_partition refuses other parents); DEFAULT gives NULLs.
  left join lateral regexp_match(p.bound, '^FOR VALUES FROM \((.+)\) TO \((.+)\)$') m on true
  order by p.bound = 'DEFAULT', 3 nulls first, 2
$$;

-- Ensures the partition of p_parent covering the UTC calendar month of p_at exists:
-- `<schema>.<parent>_pYYYYMM`, FOR VALUES FROM (month start) TO (next month start), RLS enabled and
-- forced when the parent is tenant-scoped, DML granted to the application role like its parent.
-- `created` tells whether this call made it. Must run as the parent's owner (DDL).
create or replace function core.ensure_monthly_partition_ex(p_parent regclass, p_at timestamptz,
                                                            out partition text, out created boolean)
language plpgsql volatile as $$
declare
  v_schema  text;
  v_table   text;
  v_kind    "char";
  v_from    timestamptz;
  v_to      timestamptz;
  v_name    text;
  v_rel     regclass;
begin
  if p_at is null then
    raise exception 'core.ensure_monthly_partition: p_at is null (parent %)', p_parent;
  end if;
  select n.nspname, c.relname, c.relkind into v_schema, v_table, v_kind
  from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = p_parent;
  if v_kind is distinct from 'p' or not exists (
       select 1 from pg_partitioned_table where partrelid = p_parent and partstrat = 'r' and partnatts = 1) then
    raise exception 'core.ensure_monthly_partition: % is not a table partitioned by RANGE on one column', p_parent;
  end if;

  v_from := date_trunc('month', p_at at time zone 'UTC') at time zone 'UTC';
  v_to   := (date_trunc('month', p_at at time zone 'UTC') + interval '1 month') at time zone 'UTC';
  v_name := v_table || '_p' || to_char(p_at at time zone 'UTC', 'YYYYMM');
  partition := format('%I.%I', v_schema, v_name);

  -- Checked under the lock: a concurrent caller may have created it while we waited for it.
  perform core.partition_lock(p_parent);
  v_rel := to_regclass(partition);
  if v_rel is not null then
    if not exists (select 1 from pg_inherits where inhrelid = v_rel and inhparent = p_parent) then
      raise exception 'core.ensure_monthly_partition: % exists but is not a partition of %', partition, p_parent;
    end if;
    created := false;
    return;
  end if;

  execute format('create table %s partition of %s for values from (%L) to (%L)',
                 partition, p_parent,
                 to_char(v_from at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00',
                 to_char(v_to at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00');
  v_rel := to_regclass(partition);

  -- A query that names the partition directly gets the partition's policies, not the parent's
  -- (SPEC 4.2: RLS on every partition).
  if exists (select 1 from pg_attribute where attrelid = p_parent and attname = 'tenant_id' and not attisdropped) then
    perform core.enable_tenant_rls(v_rel);
  end if;
  -- Default privileges cover tables made by the migrating role only; say it explicitly for any owner.
  if exists (select 1 from pg_roles where rolname = 'stellaops_app') then
    execute format('grant select, insert, update, delete on %s to stellaops_app', v_rel);
  end if;
  created := true;
end $$;

-- The contract other modules and the conversion engine call: returns the partition's qualified name.
--
--   select core.ensure_monthly_partition('scheduler.run', '2025-03-17T10:00:00Z');  -- 'scheduler.run_p202503'
create or replace function core.ensure_monthly_partition(p_parent regclass, p_at timestamptz) returns text
language sql volatile as $$
  select (core.ensure_monthly_partition_ex(p_parent, p_at)).partition
$$;

-- Ensures every month from p_from's month to p_to's month, both included; one row per month, in order.
create or replace function core.ensure_monthly_partitions(p_parent regclass, p_from timestamptz, p_to timestamptz)
returns table (partition text, created boolean)
language plpgsql volatile as $$
declare
  v_month timestamptz := date_trunc('month', p_from at time zone 'UTC') at time zone 'UTC';
begin
  if p_from is null or p_to is null or p_from > p_to then
    raise exception 'core.ensure_monthly_partitions: bad range % .. % (parent %)', p_from, p_to, p_parent;
  end if;
  while v_month <= p_to loop
    select e.partition, e.created into partition, created from core.ensure_monthly_partition_ex(p_parent, v_month) e;
    return next;
    v_month := (v_month at time zone 'UTC' + interval '1 month') at time zone 'UTC';
  end loop;
end $$;

-- Retention (SPEC 4.4): detaches and drops every partition of p_parent whose upper bound is <= p_before,
-- i.e. every partition holding only rows older than p_before. Rows are never DELETEd; the default and
-- MAXVALUE partitions are never touched. With p_dry_run it only lists them. Returns the partitions (and
-- their bounds) in bound order.
create or replace function core.drop_expired_partitions(p_parent regclass, p_before timestamptz, p_dry_run boolean default false)
returns table (partition text, lower_bound timestamptz, upper_bound timestamptz)
language plpgsql volatile as $$
declare
  r record;
begin
  if p_before is null then
    raise exception 'core.drop_expired_partitions: p_before is null (parent %)', p_parent;
  end if;
  perform core.partition_lock(p_parent);
  for r in
    select b.partition as rel, b.name, b.lower_bound, b.upper_bound from core.partition_bounds(p_parent) b
    where not b.is_default and b.upper_bound is not null and b.upper_bound <= p_before
    order by b.upper_bound
  loop
    if not p_dry_run then
      execute format('alter table %s detach partition %s', p_parent, r.rel);
      execute format('drop table %s', r.rel);
    end if;
    partition := r.name; lower_bound := r.lower_bound; upper_bound := r.upper_bound;
    return next;
  end loop;
end $$;
