import { randomUUID } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../../../codec/canonical.js';
import { ValidationError } from '../../../interfaces/errors.js';
import type { AsOf, UnknownAssertion, UnknownRecord } from '../../../interfaces/unknowns.js';

/**
 * The rules of the bitemporal Unknowns every backend applies alike (docs/design.md, "Unknowns"):
 * subject hashes, the as-of predicates, and the plan of one assertion.
 */

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
