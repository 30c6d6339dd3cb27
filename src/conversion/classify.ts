import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConversionError } from '../interfaces/errors.js';
import { decodeDocument } from '../mongo/document-codec.js';
import { decodeDocumentBytes } from '../mongo/direct-decode.js';
import { legacyIdOf } from '../mongo/legacy-id.js';
import type { SourceDocument } from './source-document.js';
import type { EffectiveTier } from './tiers.js';
import type { TenantRegistry } from '../codec/tenant-registry.js';

/**
 * What becomes of one legacy document: a row to load, a document the tier leaves out, or a
 * document the quarantine keeps (with why). Decided before PostgreSQL is involved; PostgreSQL may
 * still refuse a row, which then joins the quarantine in the same transaction.
 */
export type Outcome =
  | { readonly kind: 'row'; readonly legacyId: string; readonly entity: Record<string, unknown>; readonly source: SourceDocument }
  | { readonly kind: 'skipped'; readonly legacyId: string }
  | { readonly kind: 'quarantine'; readonly legacyId: string; readonly reason: string; readonly source: SourceDocument };

/** Reasons go into a text column: PostgreSQL text cannot hold U+0000, so it is spelled out. */
export function cleanReason(reason: string): string {
  return reason.replace(/\u0000/g, '\\u0000');
}

/**
 * Classifies one document. Conversion problems (ConversionError: the codecs' strict rules of docs/design.md §6)
 * quarantine the document; any other error is a defect of this program and propagates, stopping the
 * job rather than quarantining everything.
 *
 * @example
 * const outcome = classify(userSpec, { tier: 'A' }, SourceDocument.fromCursorItem(raw), new Date());
 */
export function classify(spec: EntitySpec, tier: EffectiveTier, source: SourceDocument, referenceTime: Date, tenants?: TenantRegistry): Outcome {
  // The stored bytes of a document in the plain shape decode in one pass (same entity); the rest goes below.
  const direct = source.exactBytes ? decodeDocumentBytes(spec, source.bytes, tenants) : null;
  if (direct) return kept(tier, direct.entity, direct.legacyId, source, referenceTime);
  let doc;
  try {
    doc = source.driverDocument();
  } catch (err) {
    const legacyId = legacyIdOrUnreadable(source);
    return { kind: 'quarantine', legacyId, reason: cleanReason(`unreadable BSON: ${(err as Error).message}`), source };
  }
  let legacyId: string;
  try {
    legacyId = legacyIdOf(doc._id);
  } catch (err) {
    if (!(err instanceof ConversionError)) throw err;
    return { kind: 'quarantine', legacyId: source.unreadableId(), reason: cleanReason(err.message), source };
  }
  let entity: Record<string, unknown>;
  try {
    entity = decodeDocument(spec, doc, legacyId, tenants).entity;
  } catch (err) {
    if (err instanceof ConversionError) return { kind: 'quarantine', legacyId, reason: cleanReason(err.message), source };
    throw new Error(`${spec.collection} ${legacyId}: ${(err as Error).message}`, { cause: err });
  }
  return kept(tier, entity, legacyId, source, referenceTime);
}

/** A decoded document's outcome: a row, or skipped when a tier B rule leaves it out. */
function kept(tier: EffectiveTier, entity: Record<string, unknown>, legacyId: string, source: SourceDocument, referenceTime: Date): Outcome {
  if (tier.tier === 'B' && !tier.keep(entity, referenceTime)) return { kind: 'skipped', legacyId };
  return { kind: 'row', legacyId, entity, source };
}

function legacyIdOrUnreadable(source: SourceDocument): string {
  try {
    return legacyIdOf(source.id());
  } catch {
    return source.unreadableId();
  }
}
