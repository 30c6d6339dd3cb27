-- Issue 14: core's routines are maintenance tools (RLS and audit-table setup, partition maintenance,
-- the DualWrite due scan), yet PostgreSQL lets PUBLIC execute every new function, and 010 granted
-- core.dualwrite_due (SECURITY DEFINER: it reads the pending records of EVERY tenant with its owner's
-- rights) to the application role. Only the owner / maintenance role runs them now.
--
-- The application keeps core.current_tenant(): every tenant policy calls it with the querying role's
-- rights. Normal DualWrite is untouched: the pending log is written, read and resolved in the
-- application's own unit of work under RLS; only the cross-tenant "which records are due" scan of the
-- reconciler is maintenance (it connects with POSTGRES_ADMIN_URL for it).
do $$
declare
  r record;
begin
  for r in
    select p.oid::regprocedure as routine
    from pg_proc p
    where p.pronamespace = 'core'::regnamespace and p.prokind in ('f', 'p') and p.proname <> 'current_tenant'
    order by p.oid::regprocedure::text
  loop
    execute format('revoke all on routine %s from public, stellaops_app', r.routine);
  end loop;
end $$;

comment on function core.dualwrite_due(int, timestamptz) is
  'Due DualWrite pending records of every tenant (seq, tenant): the reconciler''s scan. Maintenance role only (superuser or BYPASSRLS owner).';
