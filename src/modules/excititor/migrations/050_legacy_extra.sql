-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table vex."statement" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."observation" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."linkset" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."consensus" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."raw_document" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."cache_entry" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."vuln_fact" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."package" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."vex_decision" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."audit_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table vex."timeline_event" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table unknowns."unknown" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
-- `unknowns.current` was created as `select *` before the column existed: re-created with it (appended
-- last, as CREATE OR REPLACE VIEW allows; its grants stay).
create or replace view unknowns.current with (security_invoker = true) as
  select * from unknowns.unknown where valid_to is null and sys_to is null;
