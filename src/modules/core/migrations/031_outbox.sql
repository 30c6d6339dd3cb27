-- core.outbox (seeds 3.6, SPEC 4.4): side effects that must happen exactly once after commit. A row is
-- written in the same transaction as the change that causes it (Notify's delivery state machine is the
-- first writer); a sender reads undispatched rows in (created_at, id) order, performs the effect and
-- sets dispatched_at. Seeds' columns, plus the conventions every table has (updated_at, legacy_id);
-- tenant_id is required here because RLS confines every unit of work to one tenant.
create table if not exists core.outbox (
  id                 uuid primary key,
  tenant_id          uuid not null,
  aggregate_type     text not null,
  aggregate_id       uuid,
  topic              text not null,
  payload            jsonb not null,
  dispatched_at      timestamptz(3),
  dispatch_attempts  integer not null default 0 check (dispatch_attempts >= 0),
  error              text,
  created_at         timestamptz(3) not null default now(),
  updated_at         timestamptz(3) not null default now(),
  legacy_id          text
);
-- What a sender polls: only undispatched rows, so the index stays as small as the backlog.
create index if not exists ix_outbox_undispatched on core.outbox (tenant_id, created_at, id) where dispatched_at is null;
create index if not exists ix_outbox_created on core.outbox (tenant_id, created_at, id);
create index if not exists ix_outbox_topic on core.outbox (tenant_id, topic collate "C", created_at, id);
create index if not exists ix_outbox_aggregate on core.outbox (tenant_id, aggregate_id, created_at, id);

select core.enable_tenant_rls('core.outbox');
grant select, insert, update, delete on core.outbox to stellaops_app;
