import { randomUUID } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../codec/canonical.js';
import type { Entity } from './entity-spec.js';
import { ValidationError } from './errors.js';
import type { Page } from './repository.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Unknowns (seeds 3.4, schema `unknowns`): what the platform does not know yet about a subject
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

/** `sha256:<hex>` of the canonical JSON of a subject description: the `subjectHash` of that subject. */
export function subjectHashOf(subject: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(subject))}`;
}

/** Believed at system time `s`: sysFrom <= s < sysTo. */
export function believedAt(row: Pick<UnknownRecord, 'sysFrom' | 'sysTo'>, s: Date): boolean {
  return row.sysFrom.getTime() <= s.getTime() && (row.sysTo === null || row.sysTo.getTime() > s.getTime());
}

/** Valid at time `v`: validFrom <= v < validTo. */
export function validAt(row: Pick<UnknownRecord, 'validFrom' | 'validTo'>, v: Date): boolean {
  return row.validFrom.getTime() <= v.getTime() && (row.validTo === null || row.validTo.getTime() > v.getTime());
}

/** A new row's valid interval and context (system time and ids are filled by the repository). */
export interface PlannedRow {
  readonly context: Record<string, unknown>;
  readonly validFrom: Date;
  readonly validTo: Date | null;
}

/** The row a planned interval becomes, believed from `now` (system time) on; a new random id. */
export function openedRecord(tenantId: string, a: Pick<UnknownAssertion, 'subjectHash' | 'kind'>, p: PlannedRow, now: Date): UnknownRecord {
  return {
    id: randomUUID(),
    tenantId,
    createdAt: now,
    updatedAt: now,
    subjectHash: a.subjectHash,
    kind: a.kind,
    context: p.context,
    validFrom: p.validFrom,
    validTo: p.validTo,
    sysFrom: now,
    sysTo: null,
  } as UnknownRecord;
}

/** Rows to close and rows to open for one assertion; both empty when it changes nothing. */
export interface AssertionPlan {
  readonly close: readonly UnknownRecord[];
  readonly open: readonly PlannedRow[];
}

const end = (d: Date | null | undefined) => (d ? d.getTime() : Number.POSITIVE_INFINITY);

/**
 * The backend-independent half of every assertion: given the rows of one subject believed now
 * (sysTo null), which to close and which to open. Every backend runs it inside its own unit of work.
 * Throws ValidationError for an empty or inverted valid interval.
 */
export function planAssertion(entity: string, believed: readonly UnknownRecord[], a: UnknownAssertion): AssertionPlan {
  const from = a.validFrom.getTime();
  const to = end(a.validTo);
  if (Number.isNaN(from) || Number.isNaN(to)) throw new ValidationError(entity, 'validFrom', 'must be a valid Date');
  if (to <= from) throw new ValidationError(entity, 'validTo', `must be after validFrom (${a.validFrom.toISOString()})`);
  const overlapping = believed.filter((r) => r.validFrom.getTime() < to && end(r.validTo) > from);
  if (a.context === null && overlapping.length === 0) return { close: [], open: [] };
  if (a.context !== null && overlapping.length === 1) {
    const r = overlapping[0]!;
    const covers = r.validFrom.getTime() <= from && end(r.validTo) >= to;
    if (covers && canonicalJson(r.context) === canonicalJson(a.context)) return { close: [], open: [] };
  }
  const open: PlannedRow[] = [];
  for (const r of overlapping) {
    // The parts of a superseded belief outside the asserted interval are still believed: re-open them.
    if (r.validFrom.getTime() < from) open.push({ context: r.context, validFrom: r.validFrom, validTo: a.validFrom });
    if (to !== Number.POSITIVE_INFINITY && end(r.validTo) > to) open.push({ context: r.context, validFrom: a.validTo!, validTo: r.validTo });
  }
  if (a.context !== null) open.push({ context: a.context, validFrom: a.validFrom, validTo: a.validTo ?? null });
  open.sort((x, y) => x.validFrom.getTime() - y.validFrom.getTime());
  return { close: overlapping, open };
}

/** Refuses a subject no backend could store exactly, with the same error everywhere. */
export function checkSubject(entity: string, subjectHash: unknown, kind: unknown): void {
  for (const [name, value] of [['subjectHash', subjectHash], ['kind', kind]] as const) {
    if (typeof value !== 'string' || value === '') throw new ValidationError(entity, name, `must be a non-empty string, got ${JSON.stringify(value)}`);
    if (value.includes('\u0000')) throw new ValidationError(entity, name, 'contains U+0000, which PostgreSQL text cannot store');
  }
}

/** Refuses an as-of question without two valid Dates. */
export function checkTimes(entity: string, at: AsOf): void {
  for (const [name, value] of [['systemTime', at?.systemTime], ['validTime', at?.validTime]] as const) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ValidationError(entity, name, 'must be a valid Date');
  }
}
