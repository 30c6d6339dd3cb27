-- Conversion jobs (SPEC 8): job state, the quarantine (SPEC 6), and the key ranges several worker
-- processes (on one host or many) claim with FOR UPDATE SKIP LOCKED, each with its own checkpoint.
-- None of these tables holds a tenant_id: conversion runs as the owner role across tenants, so no RLS.
-- conversion_job and conversion_quarantine are read by the parity engine: their columns are a contract.

-- One job per legacy collection: '<Module>/<collection>'.
create table if not exists core.conversion_job (
  job_id          text primary key,
  module          text not null,
  collection      text not null,
  tier            text not null check (tier in ('A', 'B', 'C')),
  -- The fixed "now" of tier-B windows: set when the job is created, kept across resumes and reruns.
  reference_time  timestamptz(3) not null,
  status          text not null check (status in ('running', 'finished')),
  started_at      timestamptz(3) not null,
  finished_at     timestamptz(3),
  -- Documents of the last finished pass that are in PostgreSQL / left out by the tier / quarantined:
  -- together they are the documents that pass read (nothing vanishes).
  converted       bigint not null default 0,
  skipped         bigint not null default 0,
  quarantined     bigint not null default 0
);

-- Documents that cannot be converted exactly: never dropped, never altered.
create table if not exists core.conversion_quarantine (
  module          text not null,
  collection      text not null,
  -- Canonical legacy id (oid:/str:/uuid:/int:), or 'unreadable:<sha256 of the BSON>' for an _id that has none.
  legacy_id       text not null,
  reason          text not null,
  -- Canonical Extended JSON (relaxed: false) of the document, for people.
  document_ejson  text not null,
  -- The exact original BSON bytes, the source of truth.
  document_bson   bytea not null,
  job_id          text not null references core.conversion_job (job_id),
  quarantined_at  timestamptz(3) not null,
  primary key (module, collection, legacy_id)
);
create index if not exists ix_conversion_quarantine_job on core.conversion_quarantine (job_id, legacy_id);

-- One pass over the collection: pass 1 when the job is created, one more per `convert --rerun`.
create table if not exists core.conversion_pass (
  job_id        text not null references core.conversion_job (job_id),
  pass          int not null check (pass >= 1),
  status        text not null check (status in ('running', 'finished')),
  started_at    timestamptz(3) not null,
  finished_at   timestamptz(3),
  -- Documents the planner saw, and how many the collection held when the pass finished.
  planned       bigint not null,
  range_count   int not null,
  source_count  bigint,
  primary key (job_id, pass)
);

-- Key ranges of `_id`, planned once per pass (deterministically, in the source's `_id` order):
-- lower bound inclusive, upper bound exclusive, null = open. Bounds and checkpoint are BSON
-- documents `{ v: <_id> }` (exact types) with their canonical Extended JSON beside them for people.
create table if not exists core.conversion_range (
  job_id            text not null,
  pass              int not null,
  seq               int not null,
  lower_bson        bytea,
  upper_bson        bytea,
  lower_ejson       text,
  upper_ejson       text,
  planned           bigint not null,
  status            text not null default 'pending' check (status in ('pending', 'claimed', 'done')),
  -- '<host>:<pid>' of the worker holding the claim, the claim's own token, and its lease.
  claimed_by        text,
  claim_token       uuid,
  lease_until       timestamptz(3),
  claims            int not null default 0,
  -- The last `_id` processed (the next batch starts strictly after it), written in the batch's transaction.
  checkpoint_bson   bytea,
  checkpoint_ejson  text,
  batches           int not null default 0,
  converted         bigint not null default 0,
  present           bigint not null default 0,
  skipped           bigint not null default 0,
  quarantined       bigint not null default 0,
  updated_at        timestamptz(3),
  finished_at       timestamptz(3),
  primary key (job_id, pass, seq),
  foreign key (job_id, pass) references core.conversion_pass (job_id, pass)
);
-- The claim query: the first claimable range of a pass.
create index if not exists ix_conversion_range_claim on core.conversion_range (job_id, pass, status, seq);

-- Services may read conversion state (status pages); only the owner role (convert) writes it.
revoke insert, update, delete, truncate on core.conversion_job, core.conversion_quarantine, core.conversion_pass, core.conversion_range from stellaops_app;
grant select on core.conversion_job, core.conversion_quarantine, core.conversion_pass, core.conversion_range to stellaops_app;
