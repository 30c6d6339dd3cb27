-- Issue 14: the conversion tables hold tenant data and the application role could read them (020
-- granted it select on all four, and core.conversion_quarantine has no RLS): whole legacy documents of
-- every tenant, with no tenant set.
--
-- Design: core.conversion_quarantine and core.conversion_range are the migration team's tables, written
-- and read by the maintenance role (convert, verify, operators); the application never needs them, so it
-- gets NO access at all. As a second line, the quarantine carries the tenant of its document (nullable:
-- a document may name no valid tenant, which is often why it is quarantined) under ENABLE + FORCE RLS, so
-- any other role granted read one day sees only the rows of its unit of work's tenant, never a
-- tenant-less row, never all rows. The maintenance role sees every row: superuser / BYPASSRLS (verify
-- requires that, README 'Operating notes'), or, for `convert` run by an owner without BYPASSRLS, the
-- owner policy below: one batch writes quarantine rows of several tenants and of none in one transaction.
-- The owner is the maintenance role by definition (SPEC 4.2: the application is never the table owner).
--
-- `@tenant-data` in a table's comment declares it to `rls check` as holding tenant data even without a
-- tenant_id column: such a table must then be unreadable by the application role.

alter table core.conversion_quarantine add column if not exists tenant_id uuid;

-- Rows quarantined before this migration: the tenant of their document, where its Extended JSON names a
-- valid one (`tenantId` as a UUID string or a subtype-4 Binary, the codec's rule). A document this cannot
-- read keeps a NULL tenant: visible to the maintenance role only, which is where it belongs.
create function pg_temp.legacy_tenant(p_ejson text) returns uuid language plpgsql immutable as $$
declare
  v json;
begin
  v := p_ejson::json -> 'tenantId';
  if json_typeof(v) = 'string' then
    if (v #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then return (v #>> '{}')::uuid; end if;
    return null;
  end if;
  if v -> '$binary' ->> 'subType' = '04' then
    return encode(decode(v -> '$binary' ->> 'base64', 'base64'), 'hex')::uuid;
  end if;
  return null;
exception
  when others then return null;
end $$;
update core.conversion_quarantine set tenant_id = pg_temp.legacy_tenant(document_ejson) where tenant_id is null;
drop function pg_temp.legacy_tenant(text);

create index if not exists ix_conversion_quarantine_tenant on core.conversion_quarantine (tenant_id, module, collection, legacy_id);

-- Enable + force + p_tenant_isolation (tenant_id = core.current_tenant()): no tenant set, no row.
select core.enable_tenant_rls('core.conversion_quarantine');
-- The owner (the maintenance role) sees and writes every row, whatever the tenant setting.
create policy p_owner_maintenance on core.conversion_quarantine for all
  using (pg_has_role((select c.relowner from pg_class c where c.oid = 'core.conversion_quarantine'::regclass), 'MEMBER'))
  with check (pg_has_role((select c.relowner from pg_class c where c.oid = 'core.conversion_quarantine'::regclass), 'MEMBER'));

-- The ranges' bounds and checkpoints are legacy `_id` values, which can be user names, e-mail
-- addresses or keys of any tenant: tenant data without a tenant column.
revoke all on core.conversion_quarantine, core.conversion_range from public, stellaops_app;

comment on table core.conversion_quarantine is
  '@tenant-data Legacy documents conversion could not convert exactly (SPEC 6), with their tenant where they name a valid one. Maintenance role only.';
comment on table core.conversion_range is
  '@tenant-data Key ranges of a conversion pass; bounds and checkpoints are legacy _id values. Maintenance role only.';
