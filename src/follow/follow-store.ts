import type { PostgresDataSource, Tx } from '../postgres/data-source.js';

/**
 * The follower's SQL, in one place: its position per collection (`core.change_follow`), the
 * tombstones of deletes that found no row, and the sweep that re-applies them (quarantine rows are
 * written by conversion's `writeQuarantine`).
 */

export interface FollowState {
  readonly module: string;
  readonly collection: string;
  readonly resumeToken: unknown;
  readonly state: 'following' | 'lost';
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly eventsApplied: number;
  readonly eventsSkipped: number;
  readonly eventsQuarantined: number;
  readonly lastEventAt: Date | null;
  readonly lagMs: number;
  readonly caughtUpAt: Date | null;
  readonly sweptAt: Date | null;
  readonly lostReason: string | null;
}

export type EventOutcome = 'applied' | 'skipped' | 'quarantined';

const COLUMNS = `module, collection, resume_token, state, started_at, updated_at, events_applied::int as events_applied,
  events_skipped::int as events_skipped, events_quarantined::int as events_quarantined, last_event_at, lag_ms::int as lag_ms,
  caught_up_at, swept_at, lost_reason`;

function stateOf(r: Record<string, unknown>): FollowState {
  return {
    module: r.module as string,
    collection: r.collection as string,
    resumeToken: r.resume_token,
    state: r.state as FollowState['state'],
    startedAt: r.started_at as Date,
    updatedAt: r.updated_at as Date,
    eventsApplied: r.events_applied as number,
    eventsSkipped: r.events_skipped as number,
    eventsQuarantined: r.events_quarantined as number,
    lastEventAt: (r.last_event_at as Date | null) ?? null,
    lagMs: r.lag_ms as number,
    caughtUpAt: (r.caught_up_at as Date | null) ?? null,
    sweptAt: (r.swept_at as Date | null) ?? null,
    lostReason: (r.lost_reason as string | null) ?? null,
  };
}

export async function readFollowStates(q: Tx | PostgresDataSource, module: string): Promise<FollowState[]> {
  const res = await q.query(`select ${COLUMNS} from core.change_follow where module = $1 order by collection`, [module]);
  return res.rows.map(stateOf);
}

/** Records where a collection's stream starts, unless it has a position already (or `restart`). */
export async function initFollow(ds: PostgresDataSource, module: string, collection: string, token: unknown, restart: boolean): Promise<boolean> {
  const res = await ds.query(
    `insert into core.change_follow (module, collection, resume_token, state, started_at, updated_at)
     values ($1, $2, $3, 'following', now(), now())
     on conflict (module, collection) do ${restart
       ? `update set resume_token = excluded.resume_token, state = 'following', started_at = now(), updated_at = now(),
            events_applied = 0, events_skipped = 0, events_quarantined = 0, last_event_at = null, lag_ms = 0,
            caught_up_at = null, swept_at = null, lost_reason = null`
       : 'nothing'}`,
    [module, collection, JSON.stringify(token)],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Moves the position past one change, in the transaction that applied it. */
export async function advance(tx: Tx, module: string, collection: string, token: unknown, outcome: EventOutcome, eventAt: Date | null): Promise<void> {
  const counter = outcome === 'applied' ? 'events_applied' : outcome === 'skipped' ? 'events_skipped' : 'events_quarantined';
  await tx.query(
    `update core.change_follow
        set resume_token = $3, updated_at = now(), ${counter} = ${counter} + 1,
            last_event_at = coalesce($4, last_event_at),
            lag_ms = greatest(0, (extract(epoch from (now() - coalesce($4, now()))) * 1000)::bigint)
      where module = $1 and collection = $2`,
    [module, collection, JSON.stringify(token), eventAt],
  );
}

/** Nothing left to apply right now: lag 0. */
export async function markCaughtUp(ds: PostgresDataSource, module: string, collection: string, token: unknown): Promise<void> {
  await ds.query(
    `update core.change_follow set resume_token = $3, caught_up_at = now(), lag_ms = 0, updated_at = now()
      where module = $1 and collection = $2 and state = 'following'`,
    [module, collection, JSON.stringify(token)],
  );
}

export async function markLost(ds: PostgresDataSource, module: string, collection: string, reason: string): Promise<void> {
  await ds.query(`update core.change_follow set state = 'lost', lost_reason = $3, updated_at = now() where module = $1 and collection = $2`, [module, collection, reason]);
}

export async function addTombstone(tx: Tx, module: string, collection: string, entityId: string, legacyId: string, deletedAt: Date): Promise<void> {
  await tx.query(
    `insert into core.change_tombstone (module, collection, entity_id, legacy_id, deleted_at) values ($1, $2, $3, $4, $5)
     on conflict (module, collection, entity_id) do update set deleted_at = greatest(core.change_tombstone.deleted_at, excluded.deleted_at)`,
    [module, collection, entityId, legacyId, deletedAt],
  );
}

/** A document written again after its delete: its tombstone no longer applies. */
export async function removeTombstone(tx: Tx, module: string, collection: string, entityId: string): Promise<void> {
  await tx.query(`delete from core.change_tombstone where module = $1 and collection = $2 and entity_id = $3`, [module, collection, entityId]);
}

/**
 * Deletes rows that a backfill loaded after their document was deleted (the row is not newer than
 * the delete). `table` is the entity's quoted, qualified table name from its declaration.
 */
export async function sweepTombstones(ds: PostgresDataSource, module: string, collection: string, table: string): Promise<number> {
  return ds.transaction(async (tx) => {
    const res = await tx.query(
      `delete from ${table} t using core.change_tombstone d
        where d.module = $1 and d.collection = $2 and t.id = d.entity_id and t.updated_at <= d.deleted_at`,
      [module, collection],
    );
    await tx.query(`update core.change_follow set swept_at = now() where module = $1 and collection = $2`, [module, collection]);
    return res.rowCount ?? 0;
  });
}

/** A document deleted at the source leaves the quarantine too (nothing to account for any more). */
export async function unquarantine(tx: Tx, module: string, collection: string, legacyId: string): Promise<void> {
  await tx.query(`delete from core.conversion_quarantine where module = $1 and collection = $2 and legacy_id = $3`, [module, collection, legacyId]);
}
