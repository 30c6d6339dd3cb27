-- Change-stream catch-up (follow): where each legacy collection's change stream stands, and the
-- deletes seen while a backfill may still load the deleted documents. Maintenance tables: the
-- follower runs as the owner / maintenance role; the application role has no access.

create table if not exists core.change_follow (
  module             text not null,
  collection         text not null,
  -- The change stream's resume token after the last change applied, stored in the same transaction
  -- as that change: a follower killed at any moment resumes with no gap and no duplicate.
  resume_token       jsonb not null,
  state              text not null check (state in ('following', 'lost')),
  started_at         timestamptz(3) not null,
  updated_at         timestamptz(3) not null,
  events_applied     bigint not null default 0,
  events_skipped     bigint not null default 0,
  events_quarantined bigint not null default 0,
  -- Wall time of the last change applied; lag_ms is now minus that time when it was applied (0 once caught up).
  last_event_at      timestamptz(3),
  lag_ms             bigint not null default 0,
  caught_up_at       timestamptz(3),
  -- The last time tombstones were swept (deletes re-applied to rows a backfill loaded after them).
  swept_at           timestamptz(3),
  lost_reason        text,
  primary key (module, collection)
);

-- A delete of a document not (yet) in PostgreSQL: a backfill that read the document before the delete
-- may still load it; the sweep deletes such rows again unless they are newer than the delete.
create table if not exists core.change_tombstone (
  module      text not null,
  collection  text not null,
  entity_id   uuid not null,
  legacy_id   text not null,
  deleted_at  timestamptz(3) not null,
  primary key (module, collection, entity_id)
);

revoke all on core.change_follow, core.change_tombstone from public, stellaops_app;
-- Tombstones name legacy _ids (which can be user names or e-mail addresses of any tenant): `rls check`
-- holds them to "no application-role access".
comment on table core.change_tombstone is '@tenant-data Legacy ids of documents deleted at the source, any tenant. Maintenance role only.';
