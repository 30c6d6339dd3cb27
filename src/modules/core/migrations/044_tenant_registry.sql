-- Issue 9 (named legacy tenants): the tenant registry, every named legacy tenant key conversion has met
-- with the tenant UUID it converted it to (README "Tenant registry"). The mapping itself is a pure
-- function (a pinned UUID from the `Tenants` config, else UUIDv5 of the key in the tenant namespace);
-- this table is its durable record: `tenants list` shows it, and a pin that contradicts a recorded key
-- (the key was converted under another UUID, or the pinned UUID is another key's) stops `convert` and
-- start-up with an error instead of moving or merging a tenant.
--
-- Keys that are UUIDs (the tenant itself) are not recorded. One row per key, one key per tenant: the
-- primary key and the unique tenant_id say it in the schema too.

create table if not exists core.tenant_registry (
  legacy_key   text collate "C" primary key,
  tenant_id    uuid not null unique,
  -- 'pinned' (config pinned it when it was first recorded) or 'derived' (UUIDv5 of the key).
  origin       text not null check (origin in ('pinned', 'derived')),
  -- Who met it first (`convert Authority.user`) and when.
  recorded_by  text not null,
  recorded_at  timestamptz(3) not null default now()
);

-- A key names its tenant: each row is that tenant's under RLS (no tenant set, no row); the owner
-- (the maintenance role: convert, tenants list) sees and writes every row, as for the quarantine (021).
select core.enable_tenant_rls('core.tenant_registry');
create policy p_owner_maintenance on core.tenant_registry for all
  using (pg_has_role((select c.relowner from pg_class c where c.oid = 'core.tenant_registry'::regclass), 'MEMBER'))
  with check (pg_has_role((select c.relowner from pg_class c where c.oid = 'core.tenant_registry'::regclass), 'MEMBER'));
revoke all on core.tenant_registry from public, stellaops_app;

comment on table core.tenant_registry is
  'Named legacy tenant keys and their tenant UUIDs (pinned by config or UUIDv5 of the key). Maintenance role only.';
