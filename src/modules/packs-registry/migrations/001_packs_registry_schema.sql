-- PacksRegistry (tables in schema policy, as the database docs index says; its own migrations and
-- Persistence key): registry entries, their versions with digests, signature references and
-- publication state, audit.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading (text
-- list orders index the column COLLATE "C"), RLS enabled and forced.
-- The Policy module owns the rest of this schema: create it if absent, never drop it.
create schema if not exists policy;
grant usage on schema policy to stellaops_app;

create table policy.registry_entry (
  id           uuid primary key,
  tenant_id    uuid not null,
  name         text collate "C" not null,
  publisher    text collate "C" not null,
  description  text,
  visibility   text not null check (visibility in ('public', 'internal', 'private')),
  homepage     text,
  tags         text[] not null,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_registry_entry_name on policy.registry_entry (tenant_id, name);
create index ix_registry_entry_order_name on policy.registry_entry (tenant_id, name, id);
create index ix_registry_entry_publisher on policy.registry_entry (tenant_id, publisher, name, id);
create index ix_registry_entry_newest on policy.registry_entry (tenant_id, created_at desc, id);

create table policy.registry_version (
  id                uuid primary key,
  tenant_id         uuid not null,
  entry_id          uuid not null,
  version           text collate "C" not null,
  state             text collate "C" not null check (state in ('draft', 'published', 'deprecated', 'yanked')),
  digest            text collate "C" not null,
  size_bytes        bigint not null,
  media_type        text not null,
  artifact_uri      text not null,
  signature_ref     text,
  signature_digest  text,
  signer_key_id     text,
  release_notes     text,
  published_at      timestamptz(3),
  deprecated_at     timestamptz(3),
  yanked_at         timestamptz(3),
  yank_reason       text,
  created_at        timestamptz(3) not null,
  updated_at        timestamptz(3) not null,
  legacy_id         text
);
create unique index ux_registry_version_entry_version on policy.registry_version (tenant_id, entry_id, version);
create index ix_registry_version_order on policy.registry_version (tenant_id, entry_id, version, id);
create index ix_registry_version_newest on policy.registry_version (tenant_id, created_at desc, id);
create index ix_registry_version_digest on policy.registry_version (tenant_id, digest, id);
create index ix_registry_version_state on policy.registry_version (tenant_id, state, entry_id, version, id);

-- Publication state machine and artifact immutability, whoever writes (RegistryPublisher enforces
-- the same on every backend; this catches any other writer on PostgreSQL). A replayed write that
-- changes nothing passes.
create or replace function policy.registry_version_guard() returns trigger
language plpgsql as $$
declare
  changed text[] := '{}';
begin
  if new.state is distinct from old.state and (old.state, new.state) not in (
      ('draft', 'published'), ('published', 'deprecated'), ('published', 'yanked'),
      ('deprecated', 'published'), ('deprecated', 'yanked')) then
    raise exception 'PacksRegistry.registry_version %: cannot go from % to %', old.id, old.state, new.state
      using errcode = 'check_violation', schema = 'policy', table = 'registry_version', constraint = 'registry_version_transition';
  end if;
  if old.state <> 'draft' then
    if new.tenant_id is distinct from old.tenant_id then changed := changed || 'tenantId'::text; end if;
    if new.entry_id is distinct from old.entry_id then changed := changed || 'entryId'::text; end if;
    if new.version is distinct from old.version then changed := changed || 'version'::text; end if;
    if new.digest is distinct from old.digest then changed := changed || 'digest'::text; end if;
    if new.size_bytes is distinct from old.size_bytes then changed := changed || 'sizeBytes'::text; end if;
    if new.media_type is distinct from old.media_type then changed := changed || 'mediaType'::text; end if;
    if new.artifact_uri is distinct from old.artifact_uri then changed := changed || 'artifactUri'::text; end if;
    if new.signature_ref is distinct from old.signature_ref then changed := changed || 'signatureRef'::text; end if;
    if new.signature_digest is distinct from old.signature_digest then changed := changed || 'signatureDigest'::text; end if;
    if new.signer_key_id is distinct from old.signer_key_id then changed := changed || 'signerKeyId'::text; end if;
    if cardinality(changed) > 0 then
      raise exception 'PacksRegistry.registry_version % is no longer a draft: % cannot be changed (publish a new version instead)',
        old.id, array_to_string(changed, ', ')
        using errcode = 'check_violation', schema = 'policy', table = 'registry_version', constraint = 'registry_version_artifact_immutable';
    end if;
  end if;
  return new;
end $$;
create trigger tr_registry_version_guard before update on policy.registry_version
  for each row execute function policy.registry_version_guard();

select core.create_audit_log_table('policy', 'registry_audit_log');

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'policy.registry_entry', 'policy.registry_version'
]) as t;

-- Only this module's tables: Policy grants its own.
grant select, insert, update, delete on policy.registry_entry, policy.registry_version, policy.registry_audit_log to stellaops_app;
