-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table policy."pack" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table policy."audit_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table policy."pack_version" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table policy."rule" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table policy."risk_profile" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table policy."exception" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table policy."evaluation_run" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
