import { PersistenceError } from '../../../interfaces/errors.js';
import type { TriageQueueItem } from '../../../interfaces/excititor.js';
import { encodeCursor, type CursorShape } from '../../../codec/cursor.js';

/** The decisions the triage queue shows: still needing work. */
export const OPEN_STATUSES = ['affected', 'under_investigation'] as const;

export const ORDER = 'triage';
/** (eventCount desc, purl, vulnId), tie `packageId|vulnId`: what decodeCursor checks a triage cursor holds. */
export const CURSOR: CursorShape = Object.freeze({ entity: 'Excititor.triage_queue', keys: [{ type: 'int' as const }, { type: 'text' as const }, { type: 'text' as const }], tie: 'text' as const });

/** The queue's order: eventCount desc, then purl, vulnId by bytes (the pair is unique per tenant). */
export function compareTriage(a: TriageQueueItem, b: TriageQueueItem): number {
  if (a.eventCount !== b.eventCount) return b.eventCount - a.eventCount;
  return Buffer.compare(Buffer.from(a.purl), Buffer.from(b.purl)) || Buffer.compare(Buffer.from(a.vulnId), Buffer.from(b.vulnId));
}

export function cursorOf(backend: 'pg' | 'mongo', last: TriageQueueItem): string {
  return encodeCursor({ backend, order: ORDER, keys: [last.eventCount, last.purl, last.vulnId], tie: `${last.packageId}|${last.vulnId}` });
}

/** `eventsSince` only makes sense on a live read (the view is computed once for everybody). */
export function checkQuery(query: { live?: boolean; eventsSince?: Date }): void {
  if (query.eventsSince !== undefined && !query.live) throw new PersistenceError('triage queue: eventsSince needs live: true (the materialized view counts every event kept)');
  if (query.eventsSince !== undefined && (!(query.eventsSince instanceof Date) || Number.isNaN(query.eventsSince.getTime()))) throw new PersistenceError('triage queue: eventsSince must be a valid Date');
}
