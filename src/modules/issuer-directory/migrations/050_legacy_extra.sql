-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table issuer."issuer" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table issuer."audit_log" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table issuer."issuer_key" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table issuer."trust_override" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
