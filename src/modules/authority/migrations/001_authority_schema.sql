-- Authority (schema authority): identities, OAuth clients and tokens, roles and grants, audit.
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading,
-- RLS enabled and forced by core.enable_tenant_rls.
create schema if not exists authority;
grant usage on schema authority to stellaops_app;

create table authority."user" (
  id             uuid primary key,
  tenant_id      uuid not null,
  username       text not null,
  email          text,
  display_name   text,
  password_hash  text,
  status         text not null check (status in ('active', 'disabled', 'locked')),
  mfa_enabled    boolean not null,
  last_login_at  timestamptz(3),
  created_at     timestamptz(3) not null,
  updated_at     timestamptz(3) not null,
  legacy_id      text
);
create unique index ux_user_username on authority."user" (tenant_id, username);
create index ix_user_newest on authority."user" (tenant_id, created_at desc, id);

create table authority.role (
  id           uuid primary key,
  tenant_id    uuid not null,
  name         text not null,
  description  text,
  permissions  text[] not null,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_role_name on authority.role (tenant_id, name);

create table authority."grant" (
  id              uuid primary key,
  tenant_id       uuid not null,
  principal_id    uuid not null,
  principal_type  text not null check (principal_type in ('user', 'service_account', 'client')),
  role_id         uuid not null,
  granted_by      uuid,
  expires_at      timestamptz(3),
  created_at      timestamptz(3) not null,
  updated_at      timestamptz(3) not null,
  legacy_id       text
);
create unique index ux_grant_principal_role on authority."grant" (tenant_id, principal_id, role_id);
create index ix_grant_role on authority."grant" (tenant_id, role_id, principal_id, id);

create table authority.oauth_client (
  id             uuid primary key,
  tenant_id      uuid not null,
  client_id      text not null,
  name           text not null,
  secret_hash    text,
  redirect_uris  text[] not null,
  grant_types    text[] not null,
  scopes         text[] not null,
  enabled        boolean not null,
  created_at     timestamptz(3) not null,
  updated_at     timestamptz(3) not null,
  legacy_id      text
);
create unique index ux_oauth_client_client_id on authority.oauth_client (tenant_id, client_id);

create table authority.scope (
  id           uuid primary key,
  tenant_id    uuid not null,
  name         text not null,
  description  text,
  is_default   boolean not null,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_scope_name on authority.scope (tenant_id, name);

create table authority.oauth_token (
  id          uuid primary key,
  tenant_id   uuid not null,
  token_hash  text not null,
  client_id   text not null,
  subject_id  uuid,
  token_type  text not null check (token_type in ('access', 'refresh', 'device')),
  scopes      text[] not null,
  issued_at   timestamptz(3) not null,
  expires_at  timestamptz(3) not null,
  revoked_at  timestamptz(3),
  created_at  timestamptz(3) not null,
  updated_at  timestamptz(3) not null,
  legacy_id   text
);
create unique index ux_oauth_token_hash on authority.oauth_token (tenant_id, token_hash);
create index ix_oauth_token_issued on authority.oauth_token (tenant_id, issued_at desc, id);
create index ix_oauth_token_expiry on authority.oauth_token (tenant_id, expires_at, id);
create index ix_oauth_token_subject on authority.oauth_token (tenant_id, subject_id) where revoked_at is null;

create table authority.service_account (
  id                  uuid primary key,
  tenant_id           uuid not null,
  account_id          text not null,
  display_name        text not null,
  description         text,
  enabled             boolean not null,
  authorized_clients  text[] not null,
  created_at          timestamptz(3) not null,
  updated_at          timestamptz(3) not null,
  legacy_id           text
);
create unique index ux_service_account_account_id on authority.service_account (tenant_id, account_id);

create table authority.login_attempt (
  id            uuid primary key,
  tenant_id     uuid not null,
  username      text not null,
  subject_id    uuid,
  successful    boolean not null,
  reason        text,
  ip_address    text,
  user_agent    text,
  attempted_at  timestamptz(3) not null,
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create index ix_login_attempt_at on authority.login_attempt (tenant_id, attempted_at desc, id);
create index ix_login_attempt_username on authority.login_attempt (tenant_id, username collate "C", attempted_at desc, id);

create table authority.revocation (
  id             uuid primary key,
  tenant_id      uuid not null,
  category       text not null check (category in ('token', 'subject', 'client', 'key')),
  revocation_id  text not null,
  reason         text,
  revoked_at     timestamptz(3) not null,
  expires_at     timestamptz(3),
  created_at     timestamptz(3) not null,
  updated_at     timestamptz(3) not null,
  legacy_id      text
);
create unique index ux_revocation_key on authority.revocation (tenant_id, category, revocation_id);
create index ix_revocation_revoked on authority.revocation (tenant_id, revoked_at desc, id);

select core.create_audit_log_table('authority');

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'authority."user"', 'authority.role', 'authority."grant"', 'authority.oauth_client', 'authority.scope',
  'authority.oauth_token', 'authority.service_account', 'authority.login_attempt', 'authority.revocation'
]) as t;

grant select, insert, update, delete on all tables in schema authority to stellaops_app;
