-- Notify (schema notify): channels, templates, routing rules, digests, escalation policies, quiet hours
-- (tier A), deliveries (tier B, monthly partitions) and the audit log of configuration changes. The
-- outbox the delivery state machine writes is core.outbox (core 031).
-- Conventions (SPEC 4.1): uuid ids (UUIDv5 of the legacy _id after conversion, legacy_id keeps the
-- source id), tenant_id on every row, millisecond timestamps, indexes with tenant_id leading (text sort
-- keys in COLLATE "C", MongoDB's string order), RLS enabled and forced everywhere.
create schema if not exists notify;
grant usage on schema notify to stellaops_app;

create table notify.channel (
  id           uuid primary key,
  tenant_id    uuid not null,
  name         text not null,
  type         text not null check (type in ('email', 'slack', 'teams', 'webhook', 'pagerduty', 'opsgenie')),
  enabled      boolean not null,
  description  text,
  config       jsonb not null,
  secret_ref   text,
  created_at   timestamptz(3) not null,
  updated_at   timestamptz(3) not null,
  legacy_id    text
);
create unique index ux_channel_name on notify.channel (tenant_id, name collate "C");
create index ix_channel_type on notify.channel (tenant_id, type collate "C", name collate "C", id);

create table notify.template (
  id            uuid primary key,
  tenant_id     uuid not null,
  key           text not null,
  channel_type  text not null check (channel_type in ('email', 'slack', 'teams', 'webhook', 'pagerduty', 'opsgenie')),
  locale        text not null,
  format        text not null check (format in ('markdown', 'html', 'text', 'json')),
  subject       text,
  body          text not null,
  description   text,
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_template_key on notify.template (tenant_id, key collate "C", channel_type collate "C", locale collate "C");

create table notify.rule (
  id                    uuid primary key,
  tenant_id             uuid not null,
  name                  text not null,
  enabled               boolean not null,
  description           text,
  event_kinds           text[] not null,
  min_severity          text not null check (min_severity in ('none', 'low', 'medium', 'high', 'critical')),
  filter                jsonb not null,
  channel_ids           uuid[] not null,
  template_key          text,
  throttle_seconds      integer not null check (throttle_seconds >= 0),
  digest_id             uuid,
  escalation_policy_id  uuid,
  quiet_hours_id        uuid,
  created_at            timestamptz(3) not null,
  updated_at            timestamptz(3) not null,
  legacy_id             text
);
create unique index ux_rule_name on notify.rule (tenant_id, name collate "C");
create index ix_rule_newest on notify.rule (tenant_id, created_at desc, id);
-- Routing asks "which enabled rules listen to this event kind".
create index ix_rule_event_kinds on notify.rule using gin (event_kinds) where enabled;

create table notify.digest (
  id               uuid primary key,
  tenant_id        uuid not null,
  name             text not null,
  channel_id       uuid not null,
  cron_expression  text not null,
  timezone         text not null,
  enabled          boolean not null,
  max_items        integer not null check (max_items >= 1),
  last_sent_at     timestamptz(3),
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text
);
create unique index ux_digest_name on notify.digest (tenant_id, name collate "C");

create table notify.escalation_policy (
  id            uuid primary key,
  tenant_id     uuid not null,
  name          text not null,
  description   text,
  steps         jsonb not null,
  repeat_count  integer not null check (repeat_count >= 0),
  enabled       boolean not null,
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text
);
create unique index ux_escalation_policy_name on notify.escalation_policy (tenant_id, name collate "C");

create table notify.quiet_hours (
  id              uuid primary key,
  tenant_id       uuid not null,
  name            text not null,
  timezone        text not null,
  start_time      text not null,
  end_time        text not null,
  days_of_week    text[] not null,
  allow_critical  boolean not null,
  enabled         boolean not null,
  created_at      timestamptz(3) not null,
  updated_at      timestamptz(3) not null,
  legacy_id       text
);
create unique index ux_quiet_hours_name on notify.quiet_hours (tenant_id, name collate "C");

-- Deliveries: monthly RANGE partitions on created_at (seeds 6). The primary key carries the partition
-- key; indexes, BRIN included, are defined on the parent so every partition inherits them.
create table notify.delivery (
  id               uuid not null,
  tenant_id        uuid not null,
  rule_id          uuid,
  channel_id       uuid not null,
  event_id         text not null,
  event_kind       text not null,
  recipient        text,
  template_key     text,
  state            text not null check (state in ('pending', 'sending', 'sent', 'failed', 'retrying', 'dead', 'suppressed', 'cancelled')),
  attempts         integer not null check (attempts >= 0),
  next_attempt_at  timestamptz(3),
  sent_at          timestamptz(3),
  last_error       text,
  correlation_id   text,
  metadata         jsonb not null,
  created_at       timestamptz(3) not null,
  updated_at       timestamptz(3) not null,
  legacy_id        text,
  primary key (id, created_at)
) partition by range (created_at);
create index ix_delivery_created on notify.delivery (tenant_id, created_at desc, id);
create index ix_delivery_state on notify.delivery (tenant_id, state collate "C", created_at, id);
create index ix_delivery_channel on notify.delivery (tenant_id, channel_id, created_at desc, id);
create index ix_delivery_event on notify.delivery (tenant_id, event_id collate "C", created_at, id);
-- The sender's retry sweep: deliveries waiting to be tried again.
create index ix_delivery_retry_due on notify.delivery (tenant_id, next_attempt_at) where state = 'retrying';
create index brin_delivery_created on notify.delivery using brin (created_at);

select core.enable_tenant_rls(t::regclass) from unnest(array[
  'notify.channel', 'notify.template', 'notify.rule', 'notify.digest', 'notify.escalation_policy',
  'notify.quiet_hours', 'notify.delivery'
]) as t;

select core.create_audit_log_table('notify');

-- A fresh database accepts deliveries at once: the months from the retention horizon
-- (DELIVERY_RETENTION_MONTHS = 4 in entities.ts) to three months ahead; `partitions maintain` keeps it so.
select count(*) from core.ensure_monthly_partitions('notify.delivery', now() - interval '4 months', now() + interval '3 months');

grant select, insert, update, delete on all tables in schema notify to stellaops_app;
