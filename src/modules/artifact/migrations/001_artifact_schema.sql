-- Artifact (schema artifact): artifacts by digest, signatures, tags, SBOM documents.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, text keys COLLATE "C" (byte order, as
-- MongoDB compares strings, so the indexes serve the repositories' ORDER BY), indexes with
-- tenant_id leading, RLS enabled and forced.
create schema if not exists artifact;
grant usage on schema artifact to stellaops_app;

create table artifact.artifact (
  id           uuid primary key,
  tenant_id    uuid not null,
  digest       text collate "C" not null check (digest ~ '^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$'),
  kind         text not null check (kind in ('container-image', 'oci-artifact', 'archive', 'binary', 'package')),
  media_type   text not null,
  repository   text collate "C" not null,
  purl         text collate "C",
  size_bytes   bigint not null,
  annotations  jsonb,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_artifact_digest on artifact.artifact (tenant_id, digest);
create index ix_artifact_repository on artifact.artifact (tenant_id, repository, digest);
create index ix_artifact_newest on artifact.artifact (tenant_id, created_at desc, digest);
create index ix_artifact_purl on artifact.artifact (tenant_id, purl) where purl is not null;

create table artifact.signature (
  id               uuid primary key,
  tenant_id        uuid not null,
  artifact_digest  text collate "C" not null check (artifact_digest ~ '^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$'),
  key_id           text collate "C" not null,
  algorithm        text not null check (algorithm in ('ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ed25519', 'rsa-pss-sha256', 'rsa-pkcs1-sha256')),
  signature        bytea not null,
  payload_type     text not null,
  issuer           text,
  signed_at        timestamptz(3) not null,
  verified_at      timestamptz(3),
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_signature_artifact_key on artifact.signature (tenant_id, artifact_digest, key_id);
create index ix_signature_signed on artifact.signature (tenant_id, signed_at desc, artifact_digest, key_id);

create table artifact.tag (
  id               uuid primary key,
  tenant_id        uuid not null,
  repository       text collate "C" not null,
  name             text collate "C" not null,
  artifact_digest  text collate "C" not null check (artifact_digest ~ '^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$'),
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_tag_repository_name on artifact.tag (tenant_id, repository, name);
create index ix_tag_artifact on artifact.tag (tenant_id, artifact_digest, repository, name);

-- seeds section 4 (JSONB with generated columns), exactly, with two deliberate differences:
-- * id: the seeds say `bigserial`; SPEC 4.1 says `id uuid primary key` (UUIDv5 of the legacy _id, so
--   conversion is deterministic and rows trace back through legacy_id). SPEC wins.
-- * created_at has no `default now()` and updated_at is added (SPEC 4.1): the repository supplies
--   both at millisecond precision, which parity with MongoDB depends on.
-- artifact_purl is COLLATE "C" so ix_sbom_doc_tenant_artifact serves the repository's byte-order
-- ORDER BY; the index definitions themselves are the seeds'.
create table artifact.sbom_document (
  id             uuid primary key,
  tenant_id      uuid not null,
  artifact_purl  text collate "C" not null,
  content_hash   bytea not null check (length(content_hash) = 32),
  doc            jsonb not null check (jsonb_typeof(doc) = 'object'),
  created_at     timestamptz(3) not null,
  updated_at     timestamptz(3) not null,
  legacy_id      text,
  -- hot keys as generated columns
  bom_format     text generated always as ((doc->>'bomFormat')) stored,
  spec_version   text generated always as ((doc->>'specVersion')) stored
);
comment on column artifact.sbom_document.content_hash is 'sha256 of the RFC 8785 canonical doc (32 bytes): one row per document per tenant';
create unique index ux_sbom_doc_hash on artifact.sbom_document (tenant_id, content_hash);
create index ix_sbom_doc_tenant_artifact on artifact.sbom_document (tenant_id, artifact_purl, created_at desc);
create index ix_sbom_doc_json_gin on artifact.sbom_document using gin (doc jsonb_path_ops);
create index ix_sbom_doc_bomformat on artifact.sbom_document (tenant_id, bom_format);

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'artifact.artifact', 'artifact.signature', 'artifact.tag', 'artifact.sbom_document'
]) as t;

grant select, insert, update, delete on all tables in schema artifact to stellaops_app;
