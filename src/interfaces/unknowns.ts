import type { Entity } from './entity-spec.js';
import type { Page } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Unknowns (docs/postgres-patterns.md §3.4, schema `unknowns`): what the platform does not know yet about a subject
 * (a component without VEX, a purl it cannot resolve...), kept BITEMPORALLY:
 *
 * - valid time `[validFrom, validTo)`: when the subject was in that state in the world;
 * - system time `[sysFrom, sysTo)`: when we believed it (a row is a belief, recorded at `sysFrom`,
 *   superseded at `sysTo`; `null` = still believed / still valid).
 *
 * Every change is an assertion "during [validFrom, validTo) the subject's state is X (or: not
 * unknown)". It closes (sets `sysTo` on) every believed row whose valid interval overlaps, and opens
 * new rows for the parts of those rows outside the interval plus the asserted state. Nothing else is
 * ever written: the past beliefs stay exactly as they were, so "as known at system time S, what was
 * valid at time V" always has the answer we would have given at S.
 *
 * Invariant: for one subject and kind, the rows believed at any system time have disjoint valid
 * intervals, so at most one is open-ended: the one "open row" of the unique index
 * `(tenant_id, subject_hash, kind) where valid_to is null and sys_to is null`.
 *
 * @example
 * const unknowns = container.get<UnknownsRepository>(ExcititorCustomTokens.unknowns);
 * const subject = subjectHashOf({ purl: 'pkg:npm/lodash@4.17.20', vuln: 'CVE-2021-23337' });
 * await unknowns.record(ctx, { subjectHash: subject, kind: 'missing_vex', context: { reason: 'no statement' } });
 * await unknowns.resolve(ctx, { subjectHash: subject, kind: 'missing_vex' });
 * const then = await unknowns.subjectAsOf(ctx, subject, 'missing_vex', { systemTime: t1, validTime: t1 });
 */
export interface UnknownRecord extends Entity {
  subjectHash: string;
  kind: string;
  context: Record<string, unknown>;
  validFrom: Date;
  validTo: Date | null;
  sysFrom: Date;
  sysTo: Date | null;
}

/** "During [validFrom, validTo) the subject's state is `context`" (null: it is not unknown then). */
export interface UnknownAssertion {
  readonly subjectHash: string;
  readonly kind: string;
  readonly context: Record<string, unknown> | null;
  readonly validFrom: Date;
  /** Exclusive end; null or absent = until further notice. */
  readonly validTo?: Date | null;
}

/** What one assertion wrote: the rows it closed (now with `sysTo`) and the rows it opened. */
export interface BitemporalChange {
  readonly closed: readonly UnknownRecord[];
  readonly opened: readonly UnknownRecord[];
}

/** The two times of an as-of question. */
export interface AsOf {
  readonly systemTime: Date;
  readonly validTime: Date;
}

export interface UnknownsPageQuery {
  readonly kind?: string;
  readonly after?: string | null;
  readonly limit?: number;
}

/**
 * The bitemporal Unknowns repository, on every backend. Lists are ordered by (subjectHash, kind)
 * in byte order, which is unique among the rows of one as-of snapshot, and keyset-paged.
 */
export interface UnknownsRepository {
  /** From `validFrom` (default now) on, the subject is unknown with `context`. No-op when already so. */
  record(ctx: TenantContext, input: { subjectHash: string; kind: string; context: Record<string, unknown>; validFrom?: Date }): Promise<BitemporalChange>;
  /** From `at` (default now) on, the subject is no longer unknown. No-op when it is not. */
  resolve(ctx: TenantContext, input: { subjectHash: string; kind: string; at?: Date }): Promise<BitemporalChange>;
  /** The general assertion (a correction of any valid interval, past included). */
  correct(ctx: TenantContext, assertion: UnknownAssertion): Promise<BitemporalChange>;
  /** The open rows (`unknowns.current`): believed now and valid until further notice. */
  current(ctx: TenantContext, query?: UnknownsPageQuery): Promise<Page<UnknownRecord>>;
  /** Every row believed at `systemTime` and valid at `validTime` (SQL `unknowns.as_of`). */
  asOf(ctx: TenantContext, at: AsOf, query?: UnknownsPageQuery): Promise<Page<UnknownRecord>>;
  /** The one row of a subject believed at `systemTime` and valid at `validTime`, or null. */
  subjectAsOf(ctx: TenantContext, subjectHash: string, kind: string, at: AsOf): Promise<UnknownRecord | null>;
  /** Every row ever recorded for a subject, by sysFrom, validFrom, id. */
  history(ctx: TenantContext, subjectHash: string, kind: string): Promise<UnknownRecord[]>;
}
