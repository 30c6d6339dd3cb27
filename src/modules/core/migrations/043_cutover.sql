-- Where each module stands in its cutover from MongoDB to PostgreSQL (`cutover`): the phase the
-- migration team last moved it to, and every move with its checks. Maintenance table: no access for
-- the application role.
create table if not exists core.cutover (
  module      text primary key,
  phase       text not null check (phase in ('mongo', 'dualwrite-mongo', 'backfill', 'verified', 'dualwrite-postgres', 'postgres')),
  entered_at  timestamptz(3) not null,
  -- [{ from, to, at, kind: advance|rollback, checks: [{ name, ok, detail }] }], oldest first.
  history     jsonb not null default '[]'::jsonb
);
revoke all on core.cutover from public, stellaops_app;
