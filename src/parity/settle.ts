import { setTimeout as sleep } from 'node:timers/promises';
import { qualifiedName } from '../codec/fields.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { decodeDocument } from '../mongo/document-codec.js';
import { legacyIdOf, mongoIdOf } from '../mongo/legacy-id.js';
import { PENDING_COLLECTION } from '../mongo/mongo-pending-log.js';
import type { MongoDbLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { comparedForm, digestHex, effectiveLegacyId, rowDigest } from './canonical-row.js';
import { rowsByIds } from './postgres-rows.js';

/**
 * Parity under traffic (issue 10 point 4): a row that differs while `verify` streams both sides may
 * only be changing under it (a write landed between the PostgreSQL drain and the MongoDB read, a
 * DualWrite secondary or the change-stream follower has not applied it yet). Like Ghostferry's
 * verifier re-verifies the rows written during its copy, the ids that differed are read again on
 * both sides, a few rounds with a growing pause:
 *
 * - equal now (or gone from both sides): it settled, it was never a mismatch;
 * - different, and exactly the same on both sides as the round before, with no DualWrite record
 *   pending for it and the follower (when it runs) caught up since that round: a real mismatch,
 *   reported with what was read last;
 * - still changing after the last round: "in flight", counted and sampled apart, never a mismatch.
 *
 * On data at rest the first re-read is the stream's own view again, so every mismatch stays the
 * same mismatch (and the report is today's).
 */
export interface SettleOptions {
  /** Re-read rounds (0: no re-check, every difference is a mismatch). */
  readonly rounds: number;
  /** Pause before the first round; round k waits k times this. */
  readonly waitMs: number;
  /** Ids re-checked per range at most; past it every difference is reported as is (a broken conversion, not traffic). */
  readonly limit: number;
}

export const SETTLE_DEFAULTS: SettleOptions = Object.freeze({ rounds: 4, waitMs: 50, limit: 10_000 });

export type SuspectKind = 'differing' | 'missingInPostgres' | 'missingInMongo';

/** One id that differed in the stream, with what each side looked like then. */
export interface Suspect {
  readonly id: string;
  /** Null for a PostgreSQL-only row until its row is read again. */
  legacyId: string | null;
  readonly kind: SuspectKind;
  /** `absent`, or the hex digest of the compared form. */
  mongoSig: string;
  pgSig: string;
}

/** What one side looks like on a re-read. */
interface Sides {
  readonly mongo: { readonly entity: Record<string, unknown>; readonly legacyId: string } | 'absent' | 'undecodable';
  readonly postgres: { readonly entity: Record<string, unknown>; readonly legacyId: string } | 'absent';
  readonly mongoSig: string;
  readonly pgSig: string;
}

export type Verdict =
  | { readonly verdict: 'settled'; readonly matched: boolean }
  | { readonly verdict: 'mismatch'; readonly kind: SuspectKind; readonly sides: Sides | null }
  | { readonly verdict: 'inFlight'; readonly reason: string; readonly sides: Sides | null };

export interface SettleInput {
  readonly spec: EntitySpec;
  readonly mongo: MongoDbLike;
  readonly postgres: PostgresDataSource;
  /** Whether PostgreSQL should have the entity at all (tier-B window). */
  readonly expected: (entity: Record<string, unknown>) => boolean;
  readonly options: SettleOptions;
}

/**
 * Re-checks the suspects until each is settled, a stable mismatch, or still in flight.
 *
 * @example
 * const verdicts = await settle({ spec, mongo, postgres, expected, options: SETTLE_DEFAULTS }, suspects);
 */
export async function settle(input: SettleInput, suspects: readonly Suspect[]): Promise<Map<string, Verdict>> {
  const out = new Map<string, Verdict>();
  const { spec } = input;
  let open = [...suspects];
  let since = await serverTime(input.postgres);
  const last = new Map<string, Sides>();
  const reasons = new Map<string, string>();
  for (let round = 1; round <= input.options.rounds && open.length > 0; round++) {
    await sleep(input.options.waitMs * round);
    const readAt = await serverTime(input.postgres);
    const sides = await readBoth(input, open);
    const pending = await pendingIds(input, open.map((s) => s.id));
    const followBehind = await followerBehind(input.postgres, spec, since);
    const next: Suspect[] = [];
    for (const s of open) {
      const now = sides.get(s.id)!;
      last.set(s.id, now);
      if (now.mongo !== 'undecodable' && sameOnBoth(input, now)) {
        out.set(s.id, { verdict: 'settled', matched: now.mongo !== 'absent' && now.postgres !== 'absent' });
        continue;
      }
      const unchanged = now.mongoSig === s.mongoSig && now.pgSig === s.pgSig;
      if (unchanged && !pending.has(s.id) && !followBehind) {
        // Nothing moved since the last look and nothing is on its way: this difference is real.
        out.set(s.id, now.mongo === 'undecodable' ? { verdict: 'mismatch', kind: s.kind, sides: null } : { verdict: 'mismatch', kind: kindOf(now), sides: now });
        continue;
      }
      reasons.set(s.id, pending.has(s.id) ? 'a DualWrite replication of this row is pending' : followBehind ? 'the change-stream follower had not caught up' : 'changed between re-checks');
      s.mongoSig = now.mongoSig;
      s.pgSig = now.pgSig;
      if (s.legacyId === null && now.postgres !== 'absent') s.legacyId = now.postgres.legacyId;
      next.push(s);
    }
    open = next;
    since = readAt;
  }
  for (const s of open) {
    const reason = reasons.get(s.id) ?? 'changed between re-checks';
    out.set(s.id, { verdict: 'inFlight', reason: `still in flight after ${input.options.rounds} re-check(s): ${reason}`, sides: last.get(s.id) ?? null });
  }
  return out;
}

/** What a final difference is, from the last read. */
function kindOf(s: Sides): SuspectKind {
  if (s.postgres === 'absent') return 'missingInPostgres';
  if (s.mongo === 'absent') return 'missingInMongo';
  return 'differing';
}

/** Equal, gone from both, or present only in MongoDB where PostgreSQL should not have it (tier-B window). */
function sameOnBoth(input: SettleInput, s: Sides): boolean {
  if (s.mongo === 'absent' && s.postgres === 'absent') return true;
  if (s.mongo !== 'absent' && s.mongo !== 'undecodable' && s.postgres === 'absent') return !input.expected(s.mongo.entity);
  return s.mongoSig === s.pgSig;
}

/**
 * Why an entity's outputs may still be moving since `since` (a DualWrite record of the entity
 * pending, the follower behind), null when nothing is on its way: what a re-run output probe needs
 * before a difference that did not change counts as real.
 *
 * @example
 * const why = await entityUnsettled(postgres, mongo, spec, since); // null on data at rest
 */
export async function entityUnsettled(postgres: PostgresDataSource, mongo: MongoDbLike, spec: EntitySpec, since: Date): Promise<string | null> {
  const present = await postgres.query<{ ok: boolean }>("select to_regclass('core.dualwrite_pending') is not null as ok");
  let pending = 0;
  if (present.rows[0]?.ok) {
    const res = await postgres.transaction(async (tx) => {
      await tx.query('set local row_security = off');
      return tx.query<{ n: number }>('select count(*)::int as n from core.dualwrite_pending where module = $1 and entity = $2', [spec.module, qualifiedName(spec)]);
    });
    pending += res.rows[0]!.n;
  }
  if (!pending) pending += (await mongo.collection(PENDING_COLLECTION).findOne({ module: spec.module, entity: qualifiedName(spec) })) ? 1 : 0;
  if (pending) return 'DualWrite replications of this entity are pending';
  if (await followerBehind(postgres, spec, since)) return 'the change-stream follower had not caught up';
  return null;
}

/** PostgreSQL's clock (the follower's positions are in it). */
export async function serverTime(ds: PostgresDataSource): Promise<Date> {
  return (await ds.query<{ t: Date }>('select clock_timestamp() as t')).rows[0]!.t;
}

/** Both sides of each suspect, read again by id. */
async function readBoth(input: SettleInput, suspects: readonly Suspect[]): Promise<Map<string, Sides>> {
  const { spec } = input;
  const rows = await rowsByIds(input.postgres, spec, suspects.map((s) => s.id).sort());
  const legacyIds = new Map<string, string>();
  for (const s of suspects) {
    const row = rows.get(s.id);
    const legacyId = s.legacyId ?? (row ? effectiveLegacyId(s.id, row.legacyId) : null);
    if (legacyId !== null) legacyIds.set(s.id, legacyId);
  }
  const byLegacy = new Map<string, string>();
  for (const [id, l] of legacyIds) byLegacy.set(l, id);
  const docs = new Map<string, { entity: Record<string, unknown>; legacyId: string } | 'undecodable'>();
  if (byLegacy.size) {
    const filter = { _id: { $in: [...byLegacy.keys()].map((l) => mongoIdOf(l)) } };
    for await (const doc of input.mongo.collection(spec.collection).find(filter)) {
      const id = byLegacy.get(legacyIdOf(doc._id));
      if (id === undefined) continue;
      try {
        const decoded = decodeDocument(spec, doc);
        docs.set(id, { entity: decoded.entity, legacyId: decoded.legacyId });
      } catch {
        docs.set(id, 'undecodable');
      }
    }
  }
  const out = new Map<string, Sides>();
  for (const s of suspects) {
    const row = rows.get(s.id);
    const postgres = row ? { entity: row.entity, legacyId: effectiveLegacyId(s.id, row.legacyId) } : ('absent' as const);
    const mongo = docs.get(s.id) ?? ('absent' as const);
    out.set(s.id, {
      mongo,
      postgres,
      mongoSig: mongo === 'absent' || mongo === 'undecodable' ? mongo : digestHex(rowDigest(spec, mongo.entity, mongo.legacyId)),
      pgSig: postgres === 'absent' ? 'absent' : digestHex(rowDigest(spec, postgres.entity, postgres.legacyId)),
    });
  }
  return out;
}

/** The compared form of one side of a re-read, for a report sample. */
export function formsOf(spec: EntitySpec, s: Sides | null): { mongo: Record<string, unknown> | null; postgres: Record<string, unknown> | null; legacyId: string | null } {
  if (!s) return { mongo: null, postgres: null, legacyId: null };
  const mongo = s.mongo === 'absent' || s.mongo === 'undecodable' ? null : comparedForm(spec, s.mongo.entity, s.mongo.legacyId);
  const postgres = s.postgres === 'absent' ? null : comparedForm(spec, s.postgres.entity, s.postgres.legacyId);
  const legacyId = s.mongo !== 'absent' && s.mongo !== 'undecodable' ? s.mongo.legacyId : s.postgres !== 'absent' ? s.postgres.legacyId : null;
  return { mongo, postgres, legacyId };
}

/** Ids with a DualWrite record still waiting to be applied (either direction), when the logs exist. */
async function pendingIds(input: SettleInput, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (ids.length === 0) return out;
  const { spec } = input;
  const present = await input.postgres.query<{ ok: boolean }>("select to_regclass('core.dualwrite_pending') is not null as ok");
  if (present.rows[0]?.ok) {
    // The log is row-secured per tenant; verify's admin role reads it across tenants like the rows.
    const res = await input.postgres.transaction(async (tx) => {
      await tx.query('set local row_security = off');
      return tx.query<{ id: string }>('select distinct entity_id::text as id from core.dualwrite_pending where module = $1 and entity = $2 and entity_id = any($3::uuid[])', [spec.module, qualifiedName(spec), ids]);
    });
    for (const r of res.rows) out.add(r.id);
  }
  for await (const d of input.mongo.collection(PENDING_COLLECTION).find({ module: spec.module, entity: qualifiedName(spec), entityId: { $in: [...ids] } })) out.add(String(d.entityId));
  return out;
}

/**
 * True when a follower is running for the collection (it reported within the last few seconds) and
 * has not said "caught up" since `since`: a change made directly in MongoDB may still be on its way.
 */
async function followerBehind(ds: PostgresDataSource, spec: EntitySpec, since: Date): Promise<boolean> {
  const present = await ds.query<{ ok: boolean }>("select to_regclass('core.change_follow') is not null as ok");
  if (!present.rows[0]?.ok) return false;
  const res = await ds.query<{ behind: boolean }>(
    `select (caught_up_at is null or caught_up_at < $3) as behind from core.change_follow
      where module = $1 and collection = $2 and state = 'following' and updated_at > clock_timestamp() - interval '5 seconds'`,
    [spec.module, spec.collection, since],
  );
  return res.rows[0]?.behind ?? false;
}
