-- The overflow (issue 9): the legacy fields an entity declaration does not name, kept exactly in the
-- typed JSON encoding (src/codec/typed-json.ts), keyed by legacy field name. One column of the same name
-- on every declared table (src/codec/legacy-extra.ts); empty for rows born in PostgreSQL. Adding a column
-- with a constant default rewrites nothing; on a partitioned table it reaches every partition.
alter table artifact."artifact" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table artifact."signature" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table artifact."tag" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
alter table artifact."sbom_document" add column if not exists legacy_extra jsonb not null default '{}'::jsonb;
