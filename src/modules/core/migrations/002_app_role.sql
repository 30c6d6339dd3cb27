-- The application's group role (SPEC 4.2): services log in with their own role, a member of
-- stellaops_app (see grantAppRole), which is neither superuser, table owner nor BYPASSRLS.

-- Roles are cluster-wide: several databases or processes may run this at the same moment; the loser of
-- the race gets duplicate_object (or unique_violation on the catalog index) and the role exists anyway.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'stellaops_app') then
    create role stellaops_app nologin nosuperuser nobypassrls nocreatedb nocreaterole;
  end if;
exception
  when duplicate_object or unique_violation then null;
end
$$;

-- Every table and sequence the migrating (owner) role creates from now on in this database is usable by
-- the application: DML only, no DDL, no TRUNCATE, no ownership. Row-level security still applies.
alter default privileges grant select, insert, update, delete on tables to stellaops_app;
alter default privileges grant usage, select on sequences to stellaops_app;

grant usage on schema core, audit to stellaops_app;

-- The runner's own tables predate the default privileges; the application may read them (a service can
-- check its schema version) but never write them.
grant select on core.migration_history, core.schema_version to stellaops_app;
