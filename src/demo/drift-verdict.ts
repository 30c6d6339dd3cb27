import { ReasonGroups, type ReasonGroupSummary } from '../profile/reason-groups.js';
import type { DriftLedger } from './drift.js';

/**
 * The pass rule of `demo --drift`: every document the tier keeps converts, except what PostgreSQL
 * physically cannot hold. The quarantine may hold only
 * - `duplicate-key`: a later duplicate of a natural key (the module's deliberate one, which must be
 *   there, and any the generators produce by chance);
 * - `unstorable`: U+0000 in text or jsonb, a lone surrogate (no UTF-8 form), a date or number outside
 *   the column's range, a value beyond PostgreSQL's size limits.
 * Anything else (an undeclared field, a typed payload value, a named tenant...) is representable and
 * fails the run.
 */

export type QuarantineCategory = 'duplicate-key' | 'unstorable' | 'other';

/** A verdict's categories: the module's deliberate duplicate is told apart from other duplicates. */
export type VerdictCategory = QuarantineCategory | 'deliberate-duplicate';

const DUPLICATE = /SQLSTATE 23505|duplicate key value|duplicates the unique key|duplicate of (the |an? )?(natural|unique) key/i;
const UNSTORABLE = /U\+0000|lone surrogate|before 4714 BC|after 294276|out of range|outside the range|within 64 bits|SQLSTATE (22003|22P05|22021|22008|54000)/i;

/**
 * @example
 * quarantineCategory('name: contains U+0000, which PostgreSQL text cannot store'); // 'unstorable'
 * quarantineCategory('legacyFlag: unknown field (not declared for roles)'); // 'other'
 */
export function quarantineCategory(reason: string): QuarantineCategory {
  if (DUPLICATE.test(reason)) return 'duplicate-key';
  if (UNSTORABLE.test(reason)) return 'unstorable';
  return 'other';
}

export interface QuarantinedDocument {
  readonly collection: string;
  readonly legacyId: string;
  readonly reason: string;
}

export interface DriftCounts {
  /** Documents seeded. */
  readonly documents: number;
  readonly converted: number;
  readonly skippedByTier: number;
  readonly quarantined: number;
}

export interface DriftVerdict extends DriftCounts {
  readonly module: string;
  readonly ok: boolean;
  /** Quarantine by collection and kind of reason, with the category of each. */
  readonly quarantine: readonly (ReasonGroupSummary & { readonly collection: string; readonly category: VerdictCategory })[];
  /** Why the run fails (empty when ok). */
  readonly problems: readonly string[];
}

/**
 * Judges one module's drifted conversion.
 *
 * @example
 * const verdict = driftVerdict(ledger, { documents: 800, converted: 567, skippedByTier: 232, quarantined: 1 }, rows);
 * verdict.ok; // true when the quarantine holds only the deliberate duplicate and unstorable values
 */
export function driftVerdict(ledger: DriftLedger, counts: DriftCounts, quarantined: readonly QuarantinedDocument[], examples = 3): DriftVerdict {
  const problems: string[] = [];
  const d = ledger.duplicate;
  // Groups per collection and category: the deliberate duplicate is counted apart from the rest.
  const groups = new Map<string, { collection: string; category: VerdictCategory; reasons: ReasonGroups }>();
  for (const q of quarantined) {
    const deliberate = d !== null && q.collection === d.collection && q.legacyId === d.legacyId && quarantineCategory(q.reason) === 'duplicate-key';
    const category: VerdictCategory = deliberate ? 'deliberate-duplicate' : quarantineCategory(q.reason);
    const key = `${q.collection}\u0000${category}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { collection: q.collection, category, reasons: new ReasonGroups(examples) }));
    g.reasons.add(q.legacyId, q.reason);
  }
  const quarantine = [...groups.keys()].sort().flatMap((key) => {
    const g = groups.get(key)!;
    return g.reasons.summary().map((s) => ({ collection: g.collection, ...s, category: g.category }));
  });
  const other = quarantine.filter((g) => g.category === 'other');
  if (other.length) {
    problems.push(`${other.reduce((n, g) => n + g.count, 0)} document(s) quarantined for reasons PostgreSQL can store: ${other.map((g) => `${g.collection}: ${g.reason} (${g.count})`).join('; ')}`);
  }
  if (d && !quarantined.some((q) => q.collection === d.collection && q.legacyId === d.legacyId)) {
    problems.push(`the deliberate duplicate ${d.collection} ${d.legacyId} (key ${d.key.join(', ')} of ${d.duplicateOf}) is not in the quarantine`);
  }
  const accounted = counts.converted + counts.skippedByTier + counts.quarantined;
  if (accounted !== counts.documents) problems.push(`${counts.documents} document(s) seeded, but converted + skipped + quarantined = ${accounted}`);
  return { module: ledger.module, ...counts, ok: problems.length === 0, quarantine, problems };
}
