-- Excititor (schema vex): VEX statements, observations, linksets, consensus, raw documents, cache,
-- immutable vuln facts + relational decisions (seeds 3.2), packages, the partitioned timeline, audit.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading, text
-- list orders indexed with COLLATE "C" (MongoDB compares strings by bytes), RLS enabled and forced.
create schema if not exists vex;
grant usage on schema vex to stellaops_app;

create table vex.statement (
  id                uuid primary key,
  tenant_id         uuid not null,
  provider_id       text not null,
  format            text not null check (format in ('openvex', 'csaf', 'cyclonedx')),
  document_digest   text not null,
  vulnerability_id  text not null,
  product_key       text not null,
  status            text not null check (status in ('not_affected', 'affected', 'fixed', 'under_investigation')),
  justification     text,
  detail            text,
  issued            text,
  first_seen_at     timestamptz(3) not null,
  created_at        timestamptz(3) not null,
  updated_at        timestamptz(3) not null,
  legacy_id         text
);
create unique index ux_statement_claim on vex.statement (tenant_id, document_digest, vulnerability_id, product_key, status);
create index ix_statement_default on vex.statement (tenant_id, vulnerability_id collate "C", product_key collate "C", document_digest collate "C", status collate "C", id);
create index ix_statement_product on vex.statement (tenant_id, product_key collate "C", vulnerability_id collate "C", document_digest collate "C", status collate "C", id);
create index ix_statement_provider on vex.statement (tenant_id, provider_id collate "C", first_seen_at desc, id);

create table vex.observation (
  id                 uuid primary key,
  tenant_id          uuid not null,
  observation_id     text not null,
  provider_id        text not null,
  stream_id          text not null,
  format             text not null check (format in ('openvex', 'csaf', 'cyclonedx')),
  document_digest    text not null,
  document_version   text,
  vulnerability_ids  text[] not null,
  product_keys       text[] not null,
  statement_count    integer not null,
  observed_at        timestamptz(3) not null,
  created_at         timestamptz(3) not null,
  updated_at         timestamptz(3) not null,
  legacy_id          text
);
create unique index ux_observation_id on vex.observation (tenant_id, observation_id);
create index ix_observation_default on vex.observation (tenant_id, observation_id collate "C", id);
create index ix_observation_provider on vex.observation (tenant_id, provider_id collate "C", observed_at desc, observation_id collate "C", id);
create index ix_observation_stream on vex.observation (tenant_id, stream_id collate "C", observed_at desc, observation_id collate "C", id);

create table vex.linkset (
  id                uuid primary key,
  tenant_id         uuid not null,
  linkset_id        text not null,
  vulnerability_id  text not null,
  product_key       text not null,
  provider_ids      text[] not null,
  observation_ids   text[] not null,
  conflicts         jsonb not null,
  created_at        timestamptz(3) not null,
  updated_at        timestamptz(3) not null,
  legacy_id         text
);
create unique index ux_linkset_id on vex.linkset (tenant_id, linkset_id);
create unique index ux_linkset_pair on vex.linkset (tenant_id, vulnerability_id, product_key);
create index ix_linkset_default on vex.linkset (tenant_id, vulnerability_id collate "C", product_key collate "C", id);
create index ix_linkset_product on vex.linkset (tenant_id, product_key collate "C", vulnerability_id collate "C", id);

create table vex.consensus (
  id                  uuid primary key,
  tenant_id           uuid not null,
  vulnerability_id    text not null,
  product_key         text not null,
  status              text not null check (status in ('not_affected', 'affected', 'fixed', 'under_investigation')),
  sources             jsonb not null,
  policy_revision_id  text,
  calculated_at       timestamptz(3) not null,
  created_at          timestamptz(3) not null,
  updated_at          timestamptz(3) not null,
  legacy_id           text
);
create unique index ux_consensus_pair on vex.consensus (tenant_id, vulnerability_id, product_key);
create index ix_consensus_default on vex.consensus (tenant_id, vulnerability_id collate "C", product_key collate "C", id);
create index ix_consensus_recent on vex.consensus (tenant_id, calculated_at desc, vulnerability_id collate "C", product_key collate "C", id);

-- Tier B in conversion (pending or recent documents only); the document is kept whole.
create table vex.raw_document (
  id            uuid primary key,
  tenant_id     uuid not null,
  digest        text not null,
  provider_id   text not null,
  format        text not null check (format in ('openvex', 'csaf', 'cyclonedx')),
  source_uri    text,
  content       jsonb not null,
  retrieved_at  timestamptz(3) not null,
  processed_at  timestamptz(3),
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_raw_document_digest on vex.raw_document (tenant_id, digest);
create index ix_raw_document_default on vex.raw_document (tenant_id, retrieved_at desc, digest collate "C", id);
create index ix_raw_document_provider on vex.raw_document (tenant_id, provider_id collate "C", retrieved_at desc, digest collate "C", id);
create index ix_raw_document_pending on vex.raw_document (tenant_id, retrieved_at) where processed_at is null;

-- Tier C: created empty, never converted.
create table vex.cache_entry (
  id          uuid primary key,
  tenant_id   uuid not null,
  cache_key   text not null,
  payload     jsonb not null,
  expires_at  timestamptz(3) not null,
  created_at  timestamptz(3) not null,
  updated_at  timestamptz(3) not null,
  legacy_id   text
);
create unique index ux_cache_entry_key on vex.cache_entry (tenant_id, cache_key);
create index ix_cache_entry_default on vex.cache_entry (tenant_id, cache_key collate "C", id);
create index ix_cache_entry_expiry on vex.cache_entry (tenant_id, expires_at, cache_key collate "C", id);

-- Immutable JSONB facts (seeds 3.2), idempotent by content hash per tenant.
create table vex.vuln_fact (
  id              uuid primary key,
  tenant_id       uuid not null,
  source          text not null,
  external_id     text,
  payload         jsonb not null,
  schema_version  integer not null,
  received_at     timestamptz(3) not null,
  content_hash    text not null,
  created_at      timestamptz(3) not null,
  updated_at      timestamptz(3) not null,
  legacy_id       text,
  constraint ck_vuln_fact_one_version check (updated_at = created_at)
);
create unique index ux_vuln_fact_content_hash on vex.vuln_fact (tenant_id, content_hash);
create index ix_vuln_fact_default on vex.vuln_fact (tenant_id, received_at desc, content_hash collate "C", id);
create index ix_vuln_fact_source on vex.vuln_fact (tenant_id, source collate "C", received_at desc, content_hash collate "C", id);
create index ix_vuln_fact_external on vex.vuln_fact (tenant_id, source, external_id);
create index ix_vuln_fact_payload on vex.vuln_fact using gin (payload jsonb_path_ops);

-- Whatever the path (repository, replica, conversion, hand-written SQL), a fact never changes. A replay
-- of the identical row (idempotent upsert) is not a change and passes; so does learning its legacy_id.
create or replace function vex.refuse_vuln_fact_change() returns trigger
language plpgsql as $$
begin
  if (to_jsonb(new) - 'legacy_id') is distinct from (to_jsonb(old) - 'legacy_id')
     or (old.legacy_id is not null and new.legacy_id is distinct from old.legacy_id) then
    raise exception 'vex.vuln_fact is immutable (seeds 3.2): fact % cannot be changed; record a new fact instead', old.id
      using errcode = 'check_violation', constraint = 'vuln_fact_immutable';
  end if;
  return new;
end $$;
create trigger trg_vuln_fact_immutable before update on vex.vuln_fact
  for each row execute function vex.refuse_vuln_fact_change();

create table vex.package (
  id          uuid primary key,
  tenant_id   uuid not null,
  purl        text not null,
  name        text not null,
  ecosystem   text not null,
  version     text,
  created_at  timestamptz(3) not null,
  updated_at  timestamptz(3) not null,
  legacy_id   text
);
create unique index ux_package_purl on vex.package (tenant_id, purl);
create index ix_package_default on vex.package (tenant_id, purl collate "C", id);
create index ix_package_name on vex.package (tenant_id, ecosystem collate "C", name collate "C", purl collate "C", id);

-- Relational decisions (seeds 3.2). No foreign key to vex.package: legacy decisions may arrive before
-- their package during conversion, and MongoDB never enforced one; the triage view joins them.
create table vex.vex_decision (
  id          uuid primary key,
  tenant_id   uuid not null,
  package_id  uuid not null,
  vuln_id     text not null,
  status      text not null check (status in ('not_affected', 'affected', 'fixed', 'under_investigation')),
  rationale   text,
  proof_ref   text,
  decided_by  uuid,
  decided_at  timestamptz(3) not null,
  created_at  timestamptz(3) not null,
  updated_at  timestamptz(3) not null,
  legacy_id   text
);
create unique index ux_vex_decision_pair on vex.vex_decision (tenant_id, package_id, vuln_id);
create index ix_vex_decision_default on vex.vex_decision (tenant_id, package_id, vuln_id collate "C", id);
create index ix_vex_decision_vuln on vex.vex_decision (tenant_id, vuln_id collate "C", package_id, id);
create index ix_vex_decision_status on vex.vex_decision (tenant_id, status collate "C", decided_at desc, package_id, vuln_id collate "C", id);

-- Monthly RANGE partitions on occurred_at (SPEC 4.4): the key includes the partition column; indexes
-- and the BRIN live on the parent so every partition inherits them; partitions come only from
-- core.ensure_monthly_partition (below, `partitions maintain`, conversion).
create table vex.timeline_event (
  id           uuid not null,
  tenant_id    uuid not null,
  package_id   uuid not null,
  vuln_id      text not null,
  event_type   text not null check (event_type in ('fact_received', 'statement_ingested', 'decision_made', 'decision_changed', 'comment')),
  decision_id  uuid,
  actor_id     uuid,
  detail       jsonb not null,
  occurred_at  timestamptz(3) not null,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text,
  primary key (id, occurred_at)
) partition by range (occurred_at);
create index ix_timeline_event_default on vex.timeline_event (tenant_id, occurred_at desc, id);
create index ix_timeline_event_pair on vex.timeline_event (tenant_id, package_id, vuln_id collate "C", occurred_at, id);
create index brin_timeline_event_time on vex.timeline_event using brin (occurred_at);

select core.create_audit_log_table('vex');

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'vex.statement', 'vex.observation', 'vex.linkset', 'vex.consensus', 'vex.raw_document', 'vex.cache_entry',
  'vex.vuln_fact', 'vex.package', 'vex.vex_decision', 'vex.timeline_event'
]) as t;

grant select, insert, update, delete on all tables in schema vex to stellaops_app;

-- A fresh database accepts timeline events at once: the retained months (12 back) to 3 months ahead.
-- `partitions maintain` keeps creating months ahead; each partition gets RLS and the grants.
select count(*) from core.ensure_monthly_partitions('vex.timeline_event', now() - interval '12 months', now() + interval '3 months');
