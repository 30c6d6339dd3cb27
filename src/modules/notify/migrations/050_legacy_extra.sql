-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table notify."channel" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."audit_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."template" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."rule" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."digest" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."escalation_policy" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."quiet_hours" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table notify."delivery" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table core."outbox" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
