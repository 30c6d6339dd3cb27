-- Unknowns (schema unknowns, seeds 3.4): bitemporal rows. A row is a BELIEF: "during system time
-- [sys_from, sys_to) we believed the subject was in this state during valid time [valid_from, valid_to)".
-- Corrections close the believed rows they supersede (sys_to) and open new ones; nothing else is ever
-- written, so past beliefs stay answerable exactly (see unknowns.as_of).
create schema if not exists unknowns;
grant usage on schema unknowns to stellaops_app;

create table unknowns.unknown (
  id            uuid primary key,
  tenant_id     uuid not null,
  subject_hash  text not null,
  kind          text not null,
  context       jsonb not null,
  valid_from    timestamptz(3) not null,
  valid_to      timestamptz(3),
  sys_from      timestamptz(3) not null,
  sys_to        timestamptz(3),
  created_at    timestamptz(3) not null,
  updated_at    timestamptz(3) not null,
  legacy_id     text,
  constraint ck_unknown_valid_interval check (valid_to is null or valid_to > valid_from),
  constraint ck_unknown_sys_interval check (sys_to is null or sys_to >= sys_from)
);

-- One open row per subject. The seed writes `where valid_to is null`; in a bitemporal table that would
-- also count superseded beliefs (rows whose sys_to is set but whose valid_to stayed null, which every
-- correction of an open-ended state leaves behind), so the second correction of any subject would be
-- refused. "Open" is therefore: believed now (sys_to is null) AND valid until further notice (valid_to is
-- null). Among the rows believed at one system time the valid intervals are disjoint, so this is the one
-- row that says "the subject is unknown from valid_from on".
create unique index unknown_one_open_per_subject on unknowns.unknown (tenant_id, subject_hash, kind)
  where valid_to is null and sys_to is null;
-- Serves a subject's history and as-of (equality on subject and kind), and tenant-wide as-of pages
-- (walked in (subject_hash, kind) byte order, the system- and valid-time bounds filtered on the way).
create index ix_unknown_subject on unknowns.unknown (tenant_id, subject_hash collate "C", kind collate "C", sys_from, valid_from, id);
create index ix_unknown_recorded on unknowns.unknown (tenant_id, sys_from desc, subject_hash collate "C", kind collate "C", valid_from, id);

-- The history is never rewritten, whoever writes (application, replica, owner): the only update a row
-- accepts is closing its system time once (sys_to null -> a time, with updated_at), plus learning its
-- legacy_id; an identical replay (idempotent upsert) changes nothing and passes. Deletes are refused.
-- valid_to is NOT closed in place either: that would change what the row says we believed between
-- sys_from and now; ending a state is a new belief (a new row), the old one is closed.
create or replace function unknowns.refuse_history_rewrite() returns trigger
language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'unknowns.unknown keeps its whole history: row % cannot be deleted', old.id
      using errcode = 'check_violation', constraint = 'unknown_history_append_only';
  end if;
  if (to_jsonb(new) - array['sys_to', 'updated_at', 'legacy_id']) is distinct from (to_jsonb(old) - array['sys_to', 'updated_at', 'legacy_id'])
     or (old.sys_to is not null and new.sys_to is distinct from old.sys_to)
     or (old.legacy_id is not null and new.legacy_id is distinct from old.legacy_id) then
    raise exception 'unknowns.unknown history is never rewritten: row % may only have its sys_to closed, once', old.id
      using errcode = 'check_violation', constraint = 'unknown_history_append_only';
  end if;
  return new;
end $$;
create trigger trg_unknown_append_only before update or delete on unknowns.unknown
  for each row execute function unknowns.refuse_history_rewrite();

select core.enable_tenant_rls('unknowns.unknown');

-- The open unknowns (seeds: `unknowns.current`). security_invoker: the caller's row-level security
-- applies (a view otherwise reads with its owner's rights, and an owner that bypasses RLS would show
-- every tenant).
create view unknowns.current with (security_invoker = true) as
  select * from unknowns.unknown where valid_to is null and sys_to is null;

-- "As known at system time S, what was valid at time V": the rows believed at S whose valid interval
-- contains V. Plain SQL, STABLE, not STRICT, invoker's rights: the planner inlines it, so the caller's
-- tenant filter, keyset condition and ORDER BY reach ix_unknown_subject, and RLS applies.
create or replace function unknowns.as_of(p_system_time timestamptz, p_valid_time timestamptz)
returns setof unknowns.unknown
language sql stable as $$
  select u.* from unknowns.unknown u
  where u.sys_from <= p_system_time and (u.sys_to is null or u.sys_to > p_system_time)
    and u.valid_from <= p_valid_time and (u.valid_to is null or u.valid_to > p_valid_time)
$$;

-- The same question about one subject: at most one row (the believed valid intervals are disjoint).
-- Equality under COLLATE "C" (the same as the default collation's for equality) so that
-- ix_unknown_subject, whose text columns are "C" for the byte order of lists, serves it.
create or replace function unknowns.subject_as_of(p_subject_hash text, p_kind text, p_system_time timestamptz, p_valid_time timestamptz)
returns setof unknowns.unknown
language sql stable as $$
  select u.* from unknowns.as_of(p_system_time, p_valid_time) u
  where u.subject_hash collate "C" = p_subject_hash and u.kind collate "C" = p_kind
$$;

grant select, insert, update on unknowns.unknown to stellaops_app;
-- The default privileges of the migrating role grant DELETE on new tables; history is append-only.
revoke delete, truncate on unknowns.unknown from stellaops_app;
grant select on unknowns.current to stellaops_app;
revoke insert, update, delete, truncate on unknowns.current from stellaops_app;
grant execute on function unknowns.as_of(timestamptz, timestamptz) to stellaops_app;
grant execute on function unknowns.subject_as_of(text, text, timestamptz, timestamptz) to stellaops_app;
