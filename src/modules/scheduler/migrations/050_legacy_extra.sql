-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table scheduler."schedule" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."audit_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."run" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."graph_job" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."policy_job" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."impact_snapshot" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."lock" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."execution_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table scheduler."job_queue" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
