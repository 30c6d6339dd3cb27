import { parseSchema } from 'mongodb-schema';
import type { Document } from 'bson';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { fieldOf, isTenantScoped } from '../codec/fields.js';
import { classify } from '../conversion/classify.js';
import { SourceDocument } from '../conversion/source-document.js';
import { effectiveTier } from '../conversion/tiers.js';
import type { FindOptions, MongoDbLike } from '../mongo/mongo-types.js';
import { fieldProfiles, UUID_SEMANTIC_TYPE, type FieldProfile } from './field-summary.js';
import { ReasonGroups, type ReasonGroupSummary } from './reason-groups.js';
import { UniqueKeys, type UniqueKeyDuplicates } from './unique-keys.js';

/**
 * Profiles one legacy collection before any conversion, in one streaming pass in `_id` order (the
 * conversion's order): each document goes through the conversion's own classification (`classify`:
 * the document codec's strict rules and the tier), then through the declared unique keys, and into
 * `mongodb-schema` for its fields and BSON types. What conversion would do is therefore what this
 * says, except refusals PostgreSQL alone knows of (constraints the declarations do not describe).
 *
 * Memory: bounded by the schema's width (distinct field paths), plus the unique-key map (see
 * unique-keys.ts: ~150 bytes per document per unique key) and mongodb-schema's list of array
 * lengths (a number per array value seen); `sample` bounds both.
 */

export interface CollectionProfile {
  readonly module: string;
  readonly collection: string;
  readonly entity: string;
  readonly tier: 'A' | 'B' | 'C';
  readonly tierDescription: string | null;
  /** Documents profiled (the first `sample` in `_id` order, or all). */
  readonly documents: number;
  /** Documents in the collection when sampled, else null (all were profiled). */
  readonly collectionDocuments: number | null;
  readonly wouldConvert: number;
  /** Left out by the tier: outside a tier-B window, or everything for tier C (schema only). */
  readonly skippedByTier: number;
  readonly quarantined: number;
  /** Quarantine reasons by kind, largest first, a few legacy ids each (the smallest, sorted). */
  readonly quarantine: readonly ReasonGroupSummary[];
  /** Duplicates of each declared unique key among the documents that would convert. */
  readonly uniqueKeys: readonly UniqueKeyDuplicates[];
  readonly fields: readonly FieldProfile[];
  /** Declared legacy fields no profiled document holds. */
  readonly absentDeclared: readonly string[];
  /**
   * The source handed over decoded documents instead of their BSON (the `memory:` store): an Int64 or
   * a Double that fits an Int32 then shows as Int32.
   */
  readonly inexactTypes: boolean;
}

export interface ProfileCollectionInput {
  readonly db: MongoDbLike;
  readonly spec: EntitySpec;
  /** "now" of tier-B windows. */
  readonly referenceTime: Date;
  /** Profile only the first N documents in `_id` order (null: all). */
  readonly sample: number | null;
  /** Legacy ids shown per group (default 5). */
  readonly examples?: number;
  readonly onProgress?: (documents: number) => void;
}

/** The reason a later duplicate is quarantined with (the key in the words conversion's index uses). */
export function duplicateReason(spec: EntitySpec, key: readonly string[]): string {
  const fields = [...(isTenantScoped(spec) ? ['tenantId'] : []), ...key];
  return `duplicates the unique key (${fields.join(', ')}) of an earlier document (a legacy duplicate: PostgreSQL's unique index refuses it)`;
}

/**
 * @example
 * const profile = await profileCollection({ db: mongo.db, spec: userSpec, referenceTime: new Date(), sample: null });
 * profile.wouldConvert; // 118
 */
export async function profileCollection(input: ProfileCollectionInput): Promise<CollectionProfile> {
  const { db, spec, referenceTime, sample } = input;
  const examples = input.examples ?? 5;
  const tier = effectiveTier(spec, 'auto');
  const reasons = new ReasonGroups(examples);
  const keys = new UniqueKeys(spec, examples);
  const tenantField = isTenantScoped(spec) ? fieldOf(spec, 'tenantId') : null;
  let documents = 0;
  let wouldConvert = 0;
  let skipped = 0;
  let inexact = false;

  const tenantLabel = (entity: Record<string, unknown>, doc: Document): string => {
    if (!tenantField) return '(global)';
    const raw = doc[tenantField.mongo];
    const tenant = String(entity.tenantId);
    return typeof raw === 'string' && raw !== tenant ? `${raw} (${tenant})` : tenant;
  };

  const account = (source: SourceDocument) => {
    if (tier.tier === 'C') {
      skipped++;
      return;
    }
    const outcome = classify(spec, tier, source, referenceTime);
    if (outcome.kind === 'skipped') skipped++;
    else if (outcome.kind === 'quarantine') reasons.add(outcome.legacyId, outcome.reason);
    else {
      const duplicate = keys.see(outcome.entity, outcome.legacyId, tenantLabel(outcome.entity, source.driverDocument()));
      if (duplicate) reasons.add(outcome.legacyId, duplicateReason(spec, duplicate.key));
      else wouldConvert++;
    }
  };

  const options = { sort: { _id: 1 }, batchSize: 1000, raw: true, ...(sample ? { limit: sample } : {}) } as FindOptions;
  const cursor = db.collection(spec.collection).find({}, options);
  async function* exactDocuments(): AsyncGenerator<Document> {
    for await (const item of cursor) {
      const source = SourceDocument.fromCursorItem(item);
      if (!source.exactBytes) inexact = true;
      documents++;
      account(source);
      if (documents % 10_000 === 0) input.onProgress?.(documents);
      let exact: Document;
      try {
        exact = source.exactDocument();
      } catch {
        // Not even a lenient decode: classify quarantined it as unreadable; it has no fields to show.
        continue;
      }
      yield exact;
    }
  }
  let schema;
  try {
    schema = await parseSchema(exactDocuments(), { storeValues: false, semanticTypes: UUID_SEMANTIC_TYPE });
  } finally {
    await cursor.close().catch(() => undefined);
  }
  const { fields, absentDeclared } = fieldProfiles(spec, schema);
  const collectionDocuments = sample && documents === sample ? await db.collection(spec.collection).countDocuments({}) : null;
  return {
    module: spec.module,
    collection: spec.collection,
    entity: spec.name,
    tier: tier.tier,
    tierDescription: tier.tier === 'A' ? null : tier.description,
    documents,
    collectionDocuments,
    wouldConvert,
    skippedByTier: skipped,
    quarantined: reasons.total,
    quarantine: reasons.summary(),
    uniqueKeys: keys.summary(),
    fields,
    absentDeclared,
    inexactTypes: inexact,
  };
}
