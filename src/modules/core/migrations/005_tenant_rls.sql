-- Row-level security by tenant (SPEC 4.2), one definition for every tenant-scoped table.
-- No tenant set (or an empty one) means NULL, which matches no row: never all rows.
create or replace function core.current_tenant() returns uuid
language sql stable parallel safe as $$
  select nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
grant execute on function core.current_tenant() to stellaops_app;

-- Enables AND forces RLS with the tenant policy; idempotent; used by module migrations and by
-- partition maintenance for every new partition.
create or replace function core.enable_tenant_rls(p_table regclass) returns void
language plpgsql as $$
begin
  execute format('alter table %s enable row level security', p_table);
  execute format('alter table %s force row level security', p_table);
  if not exists (select 1 from pg_policy where polrelid = p_table and polname = 'p_tenant_isolation') then
    execute format(
      'create policy p_tenant_isolation on %s for all using (tenant_id = core.current_tenant()) with check (tenant_id = core.current_tenant())',
      p_table);
  end if;
end $$;
