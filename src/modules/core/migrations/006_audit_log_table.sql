-- The audit-log table (seeds 3.5), defined once: every module that declares an audit log
-- (src/modules/shared/audit-log.ts) creates its table with `select core.create_audit_log_table('<schema>')`.
-- Columns match auditLogSpec; RLS enabled and forced; indexes serve its two list orders.
create or replace function core.create_audit_log_table(p_schema text, p_table text default 'audit_log')
returns regclass language plpgsql as $$
declare
  t regclass;
begin
  execute format($ddl$
    create table if not exists %1$I.%2$I (
      id           uuid primary key,
      tenant_id    uuid not null,
      actor_id     uuid,
      action       text not null check (action in ('insert', 'update', 'delete')),
      entity_type  text not null,
      entity_id    uuid not null,
      at           timestamptz(3) not null,
      diff         jsonb not null,
      created_at   timestamptz(3) not null,
      updated_at   timestamptz(3) not null,
      legacy_id    text
    )$ddl$, p_schema, p_table);
  t := format('%I.%I', p_schema, p_table)::regclass;
  execute format('create index if not exists %I on %s (tenant_id, at desc, id)', 'ix_' || p_table || '_at', t);
  execute format('create index if not exists %I on %s (tenant_id, entity_id, at, id)', 'ix_' || p_table || '_entity', t);
  perform core.enable_tenant_rls(t);
  execute format('grant select, insert, update, delete on %s to stellaops_app', t);
  return t;
end $$;
