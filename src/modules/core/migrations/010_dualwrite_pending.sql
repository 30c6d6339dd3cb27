-- DualWrite pending log (SPEC 7): the secondary write of every DualWrite change, recorded in the
-- primary's transaction and applied after commit, by the writer or by the reconciler.
create table if not exists core.dualwrite_pending (
  seq             bigserial primary key,
  module          text not null,
  entity          text not null,
  tenant_id       uuid not null,
  entity_id       uuid not null,
  target          text not null check (target in ('Mongo', 'Postgres')),
  op              text not null check (op in ('upsert', 'delete')),
  change          jsonb not null,
  created_at      timestamptz(3) not null default now(),
  attempts        int not null default 0,
  next_attempt_at timestamptz(3) not null default now(),
  last_error      text
);

-- The reconciler reads due records in order; per-entity lookups keep replays ordered.
create index if not exists ix_dualwrite_pending_due on core.dualwrite_pending (next_attempt_at, seq);
create index if not exists ix_dualwrite_pending_entity on core.dualwrite_pending (tenant_id, entity, entity_id, seq);

select core.enable_tenant_rls('core.dualwrite_pending');

grant select, insert, update, delete on core.dualwrite_pending to stellaops_app;
grant usage, select on sequence core.dualwrite_pending_seq_seq to stellaops_app;

-- The reconciler runs as the application role, which RLS confines to one tenant per unit of work.
-- This function (owned by the migrating role) tells it only WHICH records are due and for which
-- tenant; it then reads and applies each one inside that tenant's unit of work.
create or replace function core.dualwrite_due(p_limit int, p_now timestamptz)
returns table (seq bigint, tenant_id uuid)
language plpgsql stable security definer set search_path = core, pg_temp as $$
begin
  -- FORCE ROW LEVEL SECURITY applies to the owner too: an owner that cannot bypass it would see
  -- no record at all, and the reconciler would silently do nothing. Say so instead.
  if not exists (select 1 from pg_roles where rolname = current_user and (rolsuper or rolbypassrls)) then
    raise exception 'core.dualwrite_due: its owner % must be superuser or BYPASSRLS (the maintenance role of POSTGRES_ADMIN_URL)', current_user;
  end if;
  return query
    select p.seq, p.tenant_id from core.dualwrite_pending p
    where p.next_attempt_at <= p_now
    order by p.seq
    limit p_limit;
end $$;
revoke all on function core.dualwrite_due(int, timestamptz) from public;
grant execute on function core.dualwrite_due(int, timestamptz) to stellaops_app;
