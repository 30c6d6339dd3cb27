-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table authority."user" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."audit_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."role" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."grant" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."oauth_client" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."scope" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."oauth_token" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."service_account" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."login_attempt" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table authority."revocation" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
