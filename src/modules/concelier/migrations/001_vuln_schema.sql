-- Concelier (schema vuln): advisory sources and their state, advisories (the OSV payload whole, as
-- jsonb, plus hot fields), the alias lookup table, affected packages, raw-document references, and
-- the tier-C jobs and locks. Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after
-- conversion, legacy_id keeps the source id), tenant_id on every row, millisecond timestamps, text
-- keys COLLATE "C" (byte order, as MongoDB compares strings) so that the indexes serve the
-- repositories' ORDER BY, indexes with tenant_id leading, RLS enabled and forced.
create schema if not exists vuln;
grant usage on schema vuln to stellaops_app;

-- Generated-column helpers. IMMUTABLE (they read only their argument). Each has a TypeScript twin
-- in src/modules/concelier/advisory-derive.ts, which MongoDB-side reads use; parity compares both.
-- The string elements of payload.aliases, in payload order ('{}' when absent).
create function vuln.osv_aliases(p jsonb) returns text[]
language sql immutable parallel safe as $$
  select coalesce(array_agg(e.value #>> '{}' order by e.ord), '{}'::text[])
  from jsonb_array_elements(case when jsonb_typeof(p -> 'aliases') = 'array' then p -> 'aliases' else '[]'::jsonb end)
       with ordinality as e(value, ord)
  where jsonb_typeof(e.value) = 'string'
$$;

-- The distinct string affected[].package.ecosystem values, in byte order ('{}' when none).
create function vuln.osv_ecosystems(p jsonb) returns text[]
language sql immutable parallel safe as $$
  select coalesce(array_agg(distinct s.eco order by s.eco), '{}'::text[])
  from (
    select (a.value -> 'package' ->> 'ecosystem') collate "C" as eco
    from jsonb_array_elements(case when jsonb_typeof(p -> 'affected') = 'array' then p -> 'affected' else '[]'::jsonb end) as a(value)
    where jsonb_typeof(a.value -> 'package' -> 'ecosystem') = 'string'
  ) s
$$;

create table vuln.source (
  id            uuid primary key,
  tenant_id     uuid not null,
  key           text collate "C" not null,
  display_name  text not null,
  kind          text not null check (kind in ('osv', 'ghsa', 'nvd', 'vendor', 'distro', 'csaf', 'mirror')),
  base_url      text,
  enabled       boolean not null,
  priority      integer not null,
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_source_key on vuln.source (tenant_id, key);
create index ix_source_priority on vuln.source (tenant_id, priority, key);

create table vuln.source_state (
  id               uuid primary key,
  tenant_id        uuid not null,
  source_key       text collate "C" not null,
  cursor           jsonb,
  last_fetch_at    timestamptz(3),
  last_success_at  timestamptz(3),
  last_error       text,
  failure_count    integer not null,
  backoff_until    timestamptz(3),
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_source_state_source on vuln.source_state (tenant_id, source_key);

-- payload is the source of truth. content_hash and the *_at columns are derived from it by the
-- repository (one TypeScript definition for both stores); the four generated columns by PostgreSQL.
create table vuln.advisory (
  id              uuid primary key,
  tenant_id       uuid not null,
  source_key      text collate "C" not null,
  advisory_key    text collate "C" not null,
  payload         jsonb not null check (jsonb_typeof(payload) = 'object'),
  content_hash    text not null check (content_hash ~ '^[0-9a-f]{64}$'),
  published_at    timestamptz(3),
  modified_at     timestamptz(3) not null,
  withdrawn_at    timestamptz(3),
  aliases         text[] collate "C" generated always as (vuln.osv_aliases(payload)) stored,
  ecosystems      text[] collate "C" generated always as (vuln.osv_ecosystems(payload)) stored,
  severity        text generated always as (
                    case when jsonb_typeof(payload -> 'database_specific' -> 'severity') = 'string'
                         then payload -> 'database_specific' ->> 'severity' end) stored,
  severity_score  text generated always as (
                    case when jsonb_typeof(payload -> 'severity' -> 0 -> 'score') = 'string'
                         then payload -> 'severity' -> 0 ->> 'score' end) stored,
  created_at      timestamptz(3) not null,
  updated_at      timestamptz(3) not null,
  legacy_id       text
);
comment on column vuln.advisory.modified_at is
  'payload.modified truncated to the millisecond: an index key only, derived, never a second source of truth (the exact text, sub-millisecond digits included, is in payload)';
comment on column vuln.advisory.published_at is 'payload.published truncated to the millisecond (index key only; exact text in payload)';
comment on column vuln.advisory.withdrawn_at is 'payload.withdrawn truncated to the millisecond (index key only; exact text in payload)';
comment on column vuln.advisory.content_hash is 'sha256 (hex) of the RFC 8785 canonical payload: re-importing the same advisory is a no-op';
create unique index ux_advisory_source_key on vuln.advisory (tenant_id, source_key, advisory_key);
create index ix_advisory_key on vuln.advisory (tenant_id, advisory_key, source_key);
create index ix_advisory_modified on vuln.advisory (tenant_id, modified_at, source_key, advisory_key);
create index ix_advisory_content_hash on vuln.advisory (tenant_id, content_hash);
create index ix_advisory_aliases on vuln.advisory using gin (aliases);
create index ix_advisory_ecosystems on vuln.advisory using gin (ecosystems);
create index ix_advisory_severity on vuln.advisory (tenant_id, severity) where severity is not null;

-- One row per identifier of an advisory (its own key included, is_primary): lookups by any
-- identifier go through ix_alias_alias, in either direction.
create table vuln.alias (
  id            uuid primary key,
  tenant_id     uuid not null,
  source_key    text collate "C" not null,
  advisory_key  text collate "C" not null,
  alias         text collate "C" not null,
  scheme        text collate "C" not null,
  is_primary    boolean not null,
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_alias_advisory_alias on vuln.alias (tenant_id, source_key, advisory_key, alias);
create index ix_alias_alias on vuln.alias (tenant_id, alias, source_key, advisory_key);

create table vuln.affected (
  id            uuid primary key,
  tenant_id     uuid not null,
  source_key    text collate "C" not null,
  advisory_key  text collate "C" not null,
  ordinal       integer not null check (ordinal >= 0),
  ecosystem     text collate "C",
  package_name  text collate "C",
  purl          text collate "C",
  ranges        jsonb,
  versions      text[],
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_affected_entry on vuln.affected (tenant_id, source_key, advisory_key, ordinal);
create index ix_affected_package on vuln.affected (tenant_id, ecosystem, package_name, source_key, advisory_key, ordinal);
create index ix_affected_purl on vuln.affected (tenant_id, purl) where purl is not null;

-- References to raw upstream documents; the bytes stay in object storage (tier B).
create table vuln.advisory_raw (
  id             uuid primary key,
  tenant_id      uuid not null,
  source_key     text collate "C" not null,
  uri            text not null,
  storage_key    text not null,
  digest         text collate "C" not null check (digest ~ '^sha256:[0-9a-f]{64}$'),
  size_bytes     bigint not null check (size_bytes >= 0),
  media_type     text not null,
  advisory_key   text collate "C",
  fetched_at     timestamptz(3) not null,
  superseded_at  timestamptz(3),
  created_at     timestamptz(3) not null,
  updated_at     timestamptz(3) not null,
  legacy_id      text
);
create unique index ux_advisory_raw_digest on vuln.advisory_raw (tenant_id, source_key, digest);
create index ix_advisory_raw_fetched on vuln.advisory_raw (tenant_id, fetched_at desc, source_key, digest);
create index ix_advisory_raw_advisory on vuln.advisory_raw (tenant_id, source_key, advisory_key) where advisory_key is not null;

-- Tier C (fresh start): the schema only.
create table vuln.job (
  id           uuid primary key,
  tenant_id    uuid not null,
  job_key      text collate "C" not null,
  kind         text not null,
  source_key   text collate "C",
  status       text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'dead')),
  payload      jsonb not null,
  run_after    timestamptz(3) not null,
  attempts     integer not null,
  locked_by    text,
  locked_at    timestamptz(3),
  last_error   text,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_job_key on vuln.job (tenant_id, job_key);
create index ix_job_run_after on vuln.job (tenant_id, run_after, job_key);
create index ix_job_ready on vuln.job (tenant_id, kind, run_after) where status = 'queued' and locked_at is null;

create table vuln.lock (
  id           uuid primary key,
  tenant_id    uuid not null,
  name         text collate "C" not null,
  holder       text not null,
  acquired_at  timestamptz(3) not null,
  expires_at   timestamptz(3) not null,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_lock_name on vuln.lock (tenant_id, name);

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'vuln.source', 'vuln.source_state', 'vuln.advisory', 'vuln.alias', 'vuln.affected', 'vuln.advisory_raw',
  'vuln.job', 'vuln.lock'
]) as t;

grant select, insert, update, delete on all tables in schema vuln to stellaops_app;
grant execute on function vuln.osv_aliases(jsonb), vuln.osv_ecosystems(jsonb) to stellaops_app;
