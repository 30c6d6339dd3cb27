-- Policy (schema policy): packs and their immutable content-hashed versions, rules, risk profiles,
-- exceptions with expiry, evaluation runs, audit.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading (text
-- list orders index the column COLLATE "C", as the repositories sort), RLS enabled and forced.
-- No foreign keys between tables: conversion loads collections independently and in any order,
-- and the same references must hold on MongoDB, which has none.
-- The PacksRegistry module also creates tables in this schema (its own migrations): never drop it.
create schema if not exists policy;
grant usage on schema policy to stellaops_app;

create table policy.pack (
  id            uuid primary key,
  tenant_id     uuid not null,
  name          text collate "C" not null,
  display_name  text,
  description   text,
  status        text not null check (status in ('active', 'deprecated', 'archived')),
  owner_id      uuid,
  tags          text[] not null,
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_pack_name on policy.pack (tenant_id, name);
create index ix_pack_order_name on policy.pack (tenant_id, name, id);
create index ix_pack_newest on policy.pack (tenant_id, created_at desc, id);

-- Source of truth (seeds 3.1): one row per distinct content per tenant; importing the same content
-- again finds this row (unique content_hash) instead of adding one.
create table policy.pack_version (
  id              uuid primary key,
  tenant_id       uuid not null,
  pack_id         uuid not null,
  version         integer not null,
  content_hash    text collate "C" not null,
  schema_version  integer not null,
  document        jsonb not null,
  imported_by     uuid,
  imported_at     timestamptz(3) not null,
  status          text not null check (status in ('submitted', 'approved', 'rejected', 'retired')),
  reviewed_by     uuid,
  reviewed_at     timestamptz(3),
  created_at      timestamptz(3) not null,
  updated_at      timestamptz(3) not null,
  legacy_id       text
);
create unique index ux_pack_version_content_hash on policy.pack_version (tenant_id, content_hash);
create unique index ux_pack_version_pack_version on policy.pack_version (tenant_id, pack_id, version);
create index ix_pack_version_order_pack on policy.pack_version (tenant_id, pack_id, version desc, id);
create index ix_pack_version_newest on policy.pack_version (tenant_id, imported_at desc, id);

-- A version's content never changes, whoever writes (repositories, replicas, conversion, psql):
-- only its review fields may. A replayed write with identical content passes (nothing changes).
create or replace function policy.pack_version_immutable() returns trigger
language plpgsql as $$
declare
  changed text[] := '{}';
begin
  if new.tenant_id is distinct from old.tenant_id then changed := changed || 'tenantId'::text; end if;
  if new.pack_id is distinct from old.pack_id then changed := changed || 'packId'::text; end if;
  if new.version is distinct from old.version then changed := changed || 'version'::text; end if;
  if new.content_hash is distinct from old.content_hash then changed := changed || 'contentHash'::text; end if;
  if new.schema_version is distinct from old.schema_version then changed := changed || 'schemaVersion'::text; end if;
  if new.document is distinct from old.document then changed := changed || 'document'::text; end if;
  if new.imported_by is distinct from old.imported_by then changed := changed || 'importedBy'::text; end if;
  if new.imported_at is distinct from old.imported_at then changed := changed || 'importedAt'::text; end if;
  if cardinality(changed) > 0 then
    raise exception 'Policy.pack_version % is immutable: % cannot be changed (import a new version instead)',
      old.id, array_to_string(changed, ', ')
      using errcode = 'check_violation', schema = 'policy', table = 'pack_version', constraint = 'pack_version_immutable';
  end if;
  return new;
end $$;
create trigger tr_pack_version_immutable before update on policy.pack_version
  for each row execute function policy.pack_version_immutable();

create table policy.rule (
  id               uuid primary key,
  tenant_id        uuid not null,
  pack_version_id  uuid not null,
  rule_id          text collate "C" not null,
  name             text collate "C" not null,
  description      text,
  severity         text not null check (severity in ('critical', 'high', 'medium', 'low', 'info')),
  action           text not null check (action in ('block', 'warn', 'allow', 'ignore')),
  priority         integer not null,
  enabled          boolean not null,
  condition        jsonb not null,
  tags             text[] not null,
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_rule_version_rule on policy.rule (tenant_id, pack_version_id, rule_id);
create index ix_rule_order_default on policy.rule (tenant_id, pack_version_id, priority, rule_id, id);
create index ix_rule_order_rule_id on policy.rule (tenant_id, rule_id, id);

create table policy.risk_profile (
  id                  uuid primary key,
  tenant_id           uuid not null,
  profile_id          text collate "C" not null,
  version             integer not null,
  name                text collate "C" not null,
  description         text,
  is_default          boolean not null,
  extends_profile_id  text,
  weights             jsonb not null,
  thresholds          jsonb not null,
  created_at          timestamptz(3) not null,
  updated_at          timestamptz(3) not null,
  legacy_id           text
);
create unique index ux_risk_profile_version on policy.risk_profile (tenant_id, profile_id, version);
create index ix_risk_profile_order on policy.risk_profile (tenant_id, profile_id, version desc, id);

create table policy.exception (
  id                uuid primary key,
  tenant_id         uuid not null,
  exception_id      text collate "C" not null,
  status            text not null check (status in ('proposed', 'approved', 'rejected', 'revoked')),
  scope             text not null check (scope in ('vulnerability', 'package', 'image', 'global')),
  vulnerability_id  text,
  purl              text,
  artifact_digest   text,
  justification     text not null,
  requested_by      uuid,
  approved_by       uuid,
  effective_from    timestamptz(3) not null,
  expires_at        timestamptz(3) not null,
  revoked_at        timestamptz(3),
  created_at        timestamptz(3) not null,
  updated_at        timestamptz(3) not null,
  legacy_id         text
);
create unique index ux_exception_exception_id on policy.exception (tenant_id, exception_id);
create index ix_exception_expires on policy.exception (tenant_id, expires_at, id);
create index ix_exception_newest on policy.exception (tenant_id, created_at desc, id);
-- "Which exceptions apply now": approved ones by expiry (PolicyExceptions.activeAt).
create index ix_exception_active on policy.exception (tenant_id, expires_at, id) where status = 'approved';

-- Tier B (conversion keeps runs started in the last 30 days).
create table policy.evaluation_run (
  id               uuid primary key,
  tenant_id        uuid not null,
  pack_id          uuid not null,
  pack_version_id  uuid not null,
  content_hash     text collate "C" not null,
  subject_digest   text collate "C" not null,
  trigger          text not null check (trigger in ('manual', 'scheduled', 'sbom-update', 'advisory-update')),
  status           text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  verdict          text check (verdict in ('pass', 'warn', 'fail')),
  findings_count   integer not null,
  blocked_count    integer not null,
  started_at       timestamptz(3) not null,
  completed_at     timestamptz(3),
  error            text,
  summary          jsonb not null,
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create index ix_evaluation_run_started on policy.evaluation_run (tenant_id, started_at desc, id);
create index ix_evaluation_run_subject on policy.evaluation_run (tenant_id, subject_digest, started_at desc, id);
create index ix_evaluation_run_pack_version on policy.evaluation_run (tenant_id, pack_version_id, started_at desc, id);

select core.create_audit_log_table('policy');

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'policy.pack', 'policy.pack_version', 'policy.rule', 'policy.risk_profile', 'policy.exception',
  'policy.evaluation_run'
]) as t;

-- Only this module's tables: PacksRegistry grants its own.
grant select, insert, update, delete on
  policy.pack, policy.pack_version, policy.rule, policy.risk_profile, policy.exception,
  policy.evaluation_run, policy.audit_log
  to stellaops_app;
