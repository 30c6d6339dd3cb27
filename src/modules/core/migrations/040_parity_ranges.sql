-- Shared verification (SPEC 9, `verify --workers N`): a run splits each collection's id space into
-- ranges that worker processes (on one host or many) claim with FOR UPDATE SKIP LOCKED and a lease,
-- as conversion ranges are claimed; each range's result is stored with it, and the process that
-- started the run merges them into one report. No tenant data beyond report samples: owner role only.

create table if not exists core.parity_run (
  run_id      uuid primary key,
  module      text not null,
  -- What every worker must verify identically: collections, options, each collection's reference time (JSON).
  plan_json   text not null,
  created_at  timestamptz(3) not null
);

create table if not exists core.parity_range (
  run_id        uuid not null references core.parity_run (run_id) on delete cascade,
  seq           int not null,
  collection    text not null,
  -- Slice of the id space: lower inclusive, upper exclusive, null = open.
  lower_id      uuid,
  upper_id      uuid,
  status        text not null default 'pending' check (status in ('pending', 'claimed', 'done')),
  claimed_by    text,
  claim_token   uuid,
  lease_until   timestamptz(3),
  claims        int not null default 0,
  -- The range's data parity result (plain JSON text, exactly as written), set with status 'done'.
  result_json   text,
  updated_at    timestamptz(3),
  primary key (run_id, seq)
);
create index if not exists ix_parity_range_claim on core.parity_range (run_id, status, seq);

revoke all on core.parity_run, core.parity_range from stellaops_app;
-- Results carry report samples (legacy ids, row values of any tenant): `rls check` holds the table to
-- "no application-role access".
comment on table core.parity_range is '@tenant-data Ranges and results of a shared verification; results hold report samples of any tenant. Maintenance role only.';
