import { FINGERPRINT_PATTERN } from '../codec/sensitive.js';
import { SmallestIds } from './smallest-ids.js';

/**
 * Quarantine reasons grouped by kind: a reason names the value that was refused (`not a UUID: "acme"`,
 * `Key (tenant_id, name)=(..., admin)`), so grouping by the raw text would make one group per document.
 * The group of a reason is its text with the values taken out; each group keeps its count, the
 * smallest legacy ids (sorted) and the full reason of the smallest one.
 */

/** At most this many groups; further kinds of reasons are counted under one last group. */
export const MAX_REASON_GROUPS = 200;
export const OTHER_REASONS = '(further kinds of reasons)';

/**
 * The kind of a reason: the text with the refused values replaced by `…` (PostgreSQL's key detail,
 * quoted values except constraint names, ISO dates, numbers of 5 digits or more outside a SQLSTATE,
 * array indices).
 *
 * @example
 * reasonGroup('tenantId: not a UUID: "acme"'); // 'tenantId: not a UUID: "…"'
 */
export function reasonGroup(reason: string): string {
  return stableReason(reason)
    .replace(/ \(Key \(.*$/s, ' (Key …)')
    .replace(/(constraint )?"(?:[^"\\]|\\.)*"/g, (m, constraint: string | undefined) => (constraint ? m : '"…"'))
    .replace(/-?\+?\d{4,6}-\d{2}-\d{2}T[\d:.]+Z/g, '…')
    .replace(/\[\d+\]/g, '[]')
    .replace(/(SQLSTATE )?-?\b\d{5,}(\.\d+)?\b/g, (m, sqlstate: string | undefined) => (sqlstate ? m : '…'));
}

/**
 * A reason as a report shows it: a sensitive value's fingerprint is keyed per process, so it is shown
 * as `sensitive:…` (two runs over the same data print the same report).
 */
export function stableReason(reason: string): string {
  return reason.replace(FINGERPRINT_PATTERN, 'sensitive:…');
}

export interface ReasonGroupSummary {
  /** The kind of reason (`reasonGroup`). */
  readonly reason: string;
  readonly count: number;
  /** The smallest legacy ids of the group, sorted. */
  readonly legacyIds: readonly string[];
  /** The full reason of the first of them. */
  readonly example: string;
}

interface Group {
  count: number;
  ids: SmallestIds;
  firstId: string | null;
  example: string;
}

/**
 * Counts reasons by group, in bounded memory (`MAX_REASON_GROUPS` groups of `examples` ids each).
 *
 * @example
 * const groups = new ReasonGroups(3);
 * groups.add('oid:01', 'tenantId: not a UUID: "acme"');
 * groups.summary(); // [{ reason: 'tenantId: not a UUID: "…"', count: 1, legacyIds: ['oid:01'], example: '...' }]
 */
export class ReasonGroups {
  private readonly groups = new Map<string, Group>();
  total = 0;

  constructor(private readonly examples: number) {}

  add(legacyId: string, reason: string): void {
    this.total++;
    let key = reasonGroup(reason);
    if (!this.groups.has(key) && this.groups.size >= MAX_REASON_GROUPS - 1) key = OTHER_REASONS;
    let group = this.groups.get(key);
    if (!group) {
      group = { count: 0, ids: new SmallestIds(this.examples), firstId: null, example: '' };
      this.groups.set(key, group);
    }
    group.count++;
    group.ids.offer(legacyId);
    if (group.firstId === null || legacyId < group.firstId) {
      group.firstId = legacyId;
      group.example = stableReason(reason);
    }
  }

  /** Largest groups first, then by reason: deterministic. */
  summary(): ReasonGroupSummary[] {
    return [...this.groups.entries()]
      .map(([reason, g]) => ({ reason, count: g.count, legacyIds: g.ids.values(), example: g.example }))
      .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  }
}
