-- Scheduler (schema scheduler): schedules, runs, graph and policy jobs, impact snapshots, locks, the
-- execution log, the SKIP LOCKED job queue (seeds 3.3) and the audit log of schedule changes.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading (text sort
-- keys in COLLATE "C", the order MongoDB compares strings in), RLS enabled and forced everywhere.
-- scheduler.run and scheduler.execution_log are monthly RANGE partitions on created_at (seeds 6,
-- sprint 3422): the primary key carries the partition key, every index (BRIN on created_at included)
-- is defined on the parent so each partition inherits it, and partitions come from
-- core.ensure_monthly_partition (030) only.
create schema if not exists scheduler;
grant usage on schema scheduler to stellaops_app;

create table scheduler.schedule (
  id               uuid primary key,
  tenant_id        uuid not null,
  name             text not null,
  description      text,
  cron_expression  text not null,
  timezone         text not null,
  enabled          boolean not null,
  mode             text not null check (mode in ('analysis-only', 'content-refresh')),
  selection        jsonb not null,
  only_if          jsonb,
  notify           jsonb,
  limits           jsonb,
  last_run_at      timestamptz(3),
  next_run_at      timestamptz(3),
  created_by       text not null,
  updated_by       text not null,
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_schedule_name on scheduler.schedule (tenant_id, name collate "C");
create index ix_schedule_newest on scheduler.schedule (tenant_id, created_at desc, id);
-- The planner's question: which enabled schedules are due.
create index ix_schedule_due on scheduler.schedule (tenant_id, next_run_at) where enabled;

create table scheduler.run (
  id           uuid not null,
  tenant_id    uuid not null,
  schedule_id  uuid,
  trigger      text not null check (trigger in ('cron', 'conselier', 'excititor', 'manual')),
  state        text not null check (state in ('planning', 'queued', 'running', 'completed', 'error', 'cancelled')),
  reason       jsonb,
  stats        jsonb not null,
  delta_count  integer not null,
  started_at   timestamptz(3),
  finished_at  timestamptz(3),
  error        text,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text,
  primary key (id, created_at)
) partition by range (created_at);
create index ix_run_created on scheduler.run (tenant_id, created_at desc, id);
create index ix_run_schedule on scheduler.run (tenant_id, schedule_id, created_at desc, id);
create index ix_run_state on scheduler.run (tenant_id, state collate "C", created_at desc, id);
create index brin_run_created on scheduler.run using brin (created_at);

create table scheduler.graph_job (
  id                 uuid primary key,
  tenant_id          uuid not null,
  type               text not null check (type in ('build', 'overlay')),
  sbom_id            text not null,
  artifact_digest    text not null,
  graph_snapshot_id  text,
  status             text not null check (status in ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled')),
  trigger            text not null check (trigger in ('sbom-version', 'backfill', 'policy', 'manual')),
  attempts           integer not null check (attempts >= 0),
  correlation_id     text,
  error              text,
  started_at         timestamptz(3),
  completed_at       timestamptz(3),
  metadata           jsonb not null,
  created_at         timestamptz(3) not null,
  updated_at         timestamptz(3) not null,
  legacy_id          text
);
create index ix_graph_job_created on scheduler.graph_job (tenant_id, created_at desc, id);
create index ix_graph_job_status on scheduler.graph_job (tenant_id, status collate "C", created_at, id);
create index ix_graph_job_sbom on scheduler.graph_job (tenant_id, sbom_id collate "C", created_at desc, id);

create table scheduler.policy_job (
  id              uuid primary key,
  tenant_id       uuid not null,
  policy_id       text not null,
  policy_version  integer,
  mode            text not null check (mode in ('incremental', 'full')),
  priority        text not null check (priority in ('normal', 'high', 'emergency')),
  status          text not null check (status in ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled')),
  policy_run_id   text,
  requested_by    text,
  attempts        integer not null check (attempts >= 0),
  available_at    timestamptz(3) not null,
  submitted_at    timestamptz(3) not null,
  completed_at    timestamptz(3),
  last_error      text,
  inputs          jsonb not null,
  created_at      timestamptz(3) not null,
  updated_at      timestamptz(3) not null,
  legacy_id       text
);
create index ix_policy_job_submitted on scheduler.policy_job (tenant_id, submitted_at desc, id);
create index ix_policy_job_status on scheduler.policy_job (tenant_id, status collate "C", available_at, id);
create index ix_policy_job_policy on scheduler.policy_job (tenant_id, policy_id collate "C", submitted_at desc, id);

create table scheduler.impact_snapshot (
  id               uuid primary key,
  tenant_id        uuid not null,
  snapshot_id      text not null,
  run_id           uuid,
  selector         jsonb not null,
  impacted_images  integer not null check (impacted_images >= 0),
  impacts          jsonb not null,
  generated_at     timestamptz(3) not null,
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_impact_snapshot_id on scheduler.impact_snapshot (tenant_id, snapshot_id collate "C");
create index ix_impact_snapshot_generated on scheduler.impact_snapshot (tenant_id, generated_at desc, id);

create table scheduler.lock (
  id           uuid primary key,
  tenant_id    uuid not null,
  resource     text not null,
  holder       text not null,
  acquired_at  timestamptz(3) not null,
  expires_at   timestamptz(3) not null,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_lock_resource on scheduler.lock (tenant_id, resource collate "C");
create index ix_lock_expiry on scheduler.lock (tenant_id, expires_at, id);

create table scheduler.execution_log (
  id          uuid not null,
  tenant_id   uuid not null,
  run_id      uuid not null,
  job_id      uuid,
  level       text not null check (level in ('debug', 'info', 'warn', 'error')),
  message     text not null,
  data        jsonb,
  created_at  timestamptz(3) not null,
  updated_at  timestamptz(3) not null,
  legacy_id   text,
  primary key (id, created_at)
) partition by range (created_at);
create index ix_execution_log_created on scheduler.execution_log (tenant_id, created_at desc, id);
create index ix_execution_log_run on scheduler.execution_log (tenant_id, run_id, created_at, id);
create index brin_execution_log_created on scheduler.execution_log using brin (created_at);

-- The job queue (seeds 3.3). locked_at is null exactly when the job is ready: the readiness index holds
-- only claimable rows, so it stays small however many done and dead jobs are kept.
create table scheduler.job_queue (
  id               uuid primary key,
  tenant_id        uuid not null,
  kind             text not null,
  payload          jsonb not null,
  idempotency_key  text,
  state            text not null check (state in ('ready', 'running', 'done', 'dead')),
  run_after        timestamptz(3) not null,
  attempts         integer not null check (attempts >= 0),
  max_attempts     integer not null check (max_attempts >= 1),
  locked_at        timestamptz(3),
  locked_by        text,
  lease_id         uuid,
  lease_until      timestamptz(3),
  last_error       text,
  finished_at      timestamptz(3),
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text,
  constraint ck_job_queue_ready_unlocked check ((locked_at is null) = (state = 'ready')),
  constraint ck_job_queue_running_leased check ((state = 'running') = (lease_id is not null and lease_until is not null))
);
-- The seeds' partial readiness index (kind, run_after, id) where locked_at is null, tenant_id leading:
-- claims run per tenant under RLS, and every index here leads with the tenant (SPEC 8.2).
create index ix_job_ready on scheduler.job_queue (tenant_id, kind, run_after, id) where locked_at is null;
-- Idempotency: one job per (tenant, kind, key), only for jobs that carry a key.
create unique index ux_job_queue_idempotency on scheduler.job_queue (tenant_id, kind, idempotency_key) where idempotency_key is not null;
-- Expired leases (crashed workers) are found through this one.
create index ix_job_queue_leases on scheduler.job_queue (tenant_id, kind, lease_until) where state = 'running';
create index ix_job_queue_dead on scheduler.job_queue (tenant_id, finished_at desc, id) where state = 'dead';
create index ix_job_queue_run_after on scheduler.job_queue (tenant_id, run_after, id);
create index ix_job_queue_state on scheduler.job_queue (tenant_id, state collate "C", run_after, id);

-- Audit rows of schedule changes, written in the same transaction as the change (seeds 3.5).
select core.create_audit_log_table('scheduler');

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'scheduler.schedule', 'scheduler.run', 'scheduler.graph_job', 'scheduler.policy_job', 'scheduler.impact_snapshot',
  'scheduler.lock', 'scheduler.execution_log', 'scheduler.job_queue'
]) as t;

-- A fresh database accepts writes at once: the months from the retention horizon (RUN_RETENTION_MONTHS = 6,
-- EXECUTION_LOG_RETENTION_MONTHS = 4 in entities.ts) to three months ahead (Partitions.MonthsAhead's
-- default). From then on `partitions maintain` (scheduled) keeps months ahead and drops expired ones;
-- conversion ensures the month of every row it loads.
select count(*) from core.ensure_monthly_partitions('scheduler.run', now() - interval '6 months', now() + interval '3 months');
select count(*) from core.ensure_monthly_partitions('scheduler.execution_log', now() - interval '4 months', now() + interval '3 months');

grant select, insert, update, delete on all tables in schema scheduler to stellaops_app;
