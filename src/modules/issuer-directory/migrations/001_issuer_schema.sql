-- IssuerDirectory (schema issuer): CSAF / VEX publishers, their signing keys with validity windows
-- and revocation, per-tenant trust overrides, audit.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading (text
-- list orders index the column COLLATE "C"), RLS enabled and forced.
create schema if not exists issuer;
grant usage on schema issuer to stellaops_app;

create table issuer.issuer (
  id                     uuid primary key,
  tenant_id              uuid not null,
  issuer_id              text collate "C" not null,
  display_name           text collate "C" not null,
  category               text not null check (category in ('vendor', 'coordinator', 'discoverer', 'translator', 'user', 'other')),
  namespace_uri          text not null,
  contact_email          text,
  provider_metadata_url  text,
  formats                text[] not null,
  default_weight         double precision not null,
  enabled                boolean not null,
  created_at             timestamptz(3) not null,
  updated_at             timestamptz(3) not null,
  legacy_id              text
);
-- Lookup by issuer id.
create unique index ux_issuer_issuer_id on issuer.issuer (tenant_id, issuer_id);
create index ix_issuer_order_issuer_id on issuer.issuer (tenant_id, issuer_id, id);
create index ix_issuer_order_name on issuer.issuer (tenant_id, display_name, id);

create table issuer.issuer_key (
  id                 uuid primary key,
  tenant_id          uuid not null,
  issuer_id          text collate "C" not null,
  key_id             text collate "C" not null,
  fingerprint        text collate "C" not null,
  key_type           text not null check (key_type in ('ed25519', 'ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-4096', 'pgp')),
  public_key         text not null,
  valid_from         timestamptz(3) not null,
  valid_to           timestamptz(3),
  revoked_at         timestamptz(3),
  revocation_reason  text check (revocation_reason in ('keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified')),
  created_at         timestamptz(3) not null,
  updated_at         timestamptz(3) not null,
  legacy_id          text
);
-- Lookup by key fingerprint (findValidKey) and by (issuer, kid).
create unique index ux_issuer_key_fingerprint on issuer.issuer_key (tenant_id, fingerprint);
create unique index ux_issuer_key_issuer_kid on issuer.issuer_key (tenant_id, issuer_id, key_id);
-- Keys of an issuer (lookup by issuer id), newest first; and by kid.
create index ix_issuer_key_order_default on issuer.issuer_key (tenant_id, issuer_id, valid_from desc, id);
create index ix_issuer_key_order_kid on issuer.issuer_key (tenant_id, issuer_id, key_id, id);

create table issuer.trust_override (
  id          uuid primary key,
  tenant_id   uuid not null,
  issuer_id   text collate "C" not null,
  trust       text not null check (trust in ('trusted', 'untrusted', 'neutral')),
  weight      double precision not null,
  reason      text,
  set_by      uuid,
  expires_at  timestamptz(3),
  created_at  timestamptz(3) not null,
  updated_at  timestamptz(3) not null,
  legacy_id   text
);
create unique index ux_trust_override_issuer on issuer.trust_override (tenant_id, issuer_id);
create index ix_trust_override_order_issuer on issuer.trust_override (tenant_id, issuer_id, id);
create index ix_trust_override_newest on issuer.trust_override (tenant_id, updated_at desc, id);

select core.create_audit_log_table('issuer');

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'issuer.issuer', 'issuer.issuer_key', 'issuer.trust_override'
]) as t;

grant select, insert, update, delete on all tables in schema issuer to stellaops_app;
