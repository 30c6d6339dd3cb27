-- The triage dashboard (seeds 3.2 `vex.mv_triage_queue`, SPEC 4.4 materialized views for hot reads):
-- every open decision (affected or under investigation) with its package and the activity of the pair
-- on the timeline. Refreshed concurrently, so readers never wait for a refresh.
create materialized view vex.mv_triage_queue as
  select d.tenant_id,
         d.package_id,
         p.purl,
         d.vuln_id,
         d.status,
         d.decided_at,
         coalesce(e.event_count, 0)::int as event_count,
         e.last_event_at
  from vex.vex_decision d
  join vex.package p on p.tenant_id = d.tenant_id and p.id = d.package_id
  left join (select tenant_id, package_id, vuln_id, count(*) as event_count, max(occurred_at) as last_event_at
             from vex.timeline_event
             group by tenant_id, package_id, vuln_id) e
    on e.tenant_id = d.tenant_id and e.package_id = d.package_id and e.vuln_id = d.vuln_id
  where d.status in ('affected', 'under_investigation')
with data;

-- REFRESH ... CONCURRENTLY needs a unique index on plain columns covering every row.
create unique index ux_mv_triage_queue on vex.mv_triage_queue (tenant_id, package_id, vuln_id);
-- The dashboard's order: busiest first, then purl and vulnerability in byte order.
create index ix_mv_triage_queue_order on vex.mv_triage_queue (tenant_id, event_count desc, purl collate "C", vuln_id collate "C");

-- A materialized view has no row-level security: the application never reads it directly, only
-- through this security-barrier view (lookups) and the page function below (lists), which keep the rows
-- of the unit of work's tenant (no tenant set means no rows). Both read it with their owner's rights.
create view vex.triage_queue with (security_barrier = true) as
  select tenant_id, package_id, purl, vuln_id, status, decided_at, event_count, last_event_at
  from vex.mv_triage_queue
  where tenant_id = core.current_tenant();

-- Pages of the dashboard, in its order, for the unit of work's tenant. A security-barrier view is not
-- flattened into the caller's query, so an ORDER BY ... LIMIT on it sorts the tenant's whole queue;
-- this function (owner's rights, same tenant filter) walks ix_mv_triage_queue_order from the keyset
-- position instead: the first page and every next one read about `p_limit` index entries.
create or replace function vex.triage_queue_page(p_limit int, p_after_count int default null, p_after_purl text default null, p_after_vuln text default null)
returns setof vex.mv_triage_queue
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
begin
  if p_after_count is null then
    return query
      select q.* from vex.mv_triage_queue q
      where q.tenant_id = core.current_tenant()
      order by q.event_count desc, q.purl collate "C", q.vuln_id collate "C"
      limit p_limit;
  else
    -- The rest of the cursor's event_count group, then the lower counts: two index range scans
    -- (a row comparison is an index condition only after an equality), merged in the page's order.
    return query
      select u.* from (
        (select q.* from vex.mv_triage_queue q
         where q.tenant_id = core.current_tenant() and q.event_count = p_after_count
           and (q.purl collate "C", q.vuln_id collate "C") > (p_after_purl collate "C", p_after_vuln collate "C")
         order by q.event_count desc, q.purl collate "C", q.vuln_id collate "C"
         limit p_limit)
        union all
        (select q.* from vex.mv_triage_queue q
         where q.tenant_id = core.current_tenant() and q.event_count < p_after_count
         order by q.event_count desc, q.purl collate "C", q.vuln_id collate "C"
         limit p_limit)
      ) u
      order by u.event_count desc, u.purl collate "C", u.vuln_id collate "C"
      limit p_limit;
  end if;
end $$;

revoke all on vex.mv_triage_queue from public, stellaops_app;
revoke all on vex.triage_queue from public, stellaops_app;
grant select on vex.triage_queue to stellaops_app;
revoke all on function vex.triage_queue_page(int, int, text, text) from public;
grant execute on function vex.triage_queue_page(int, int, text, text) to stellaops_app;

-- Recomputes the queue of every tenant. Runs with the owner's rights (REFRESH needs ownership). RLS is
-- FORCED on the base tables, so an owner that does not bypass it would compute an EMPTY queue without
-- any error: refuse instead. The first refresh of an unpopulated view cannot be concurrent.
create or replace function vex.refresh_triage_queue() returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if not exists (select 1 from pg_roles where rolname = current_user and (rolsuper or rolbypassrls)) then
    raise exception 'vex.refresh_triage_queue: the owner role % does not bypass row-level security, so it cannot see every tenant''s decisions; give it BYPASSRLS', current_user
      using errcode = 'insufficient_privilege';
  end if;
  if (select c.relispopulated from pg_class c where c.oid = 'vex.mv_triage_queue'::regclass) then
    refresh materialized view concurrently vex.mv_triage_queue;
  else
    refresh materialized view vex.mv_triage_queue;
  end if;
  -- Fresh statistics right away (autovacuum may come much later): the page plans depend on them.
  analyze vex.mv_triage_queue;
end $$;
revoke all on function vex.refresh_triage_queue() from public;
grant execute on function vex.refresh_triage_queue() to stellaops_app;
