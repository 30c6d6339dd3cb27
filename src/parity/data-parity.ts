import { createHash } from 'node:crypto';
import { serialize, type Document } from 'bson';
import { isTenantScoped, fieldOf, qualifiedName } from '../codec/fields.js';
import { idFromLegacyId } from '../codec/ids.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { isUuid } from '../interfaces/tenant-context.js';
import { decodeDocument } from '../mongo/document-codec.js';
import { legacyIdOf } from '../mongo/legacy-id.js';
import type { MongoDbLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { comparedForm, diffFields, effectiveLegacyId, rowDigest } from './canonical-row.js';
import { DigestIndex, formatUuid, uuidBytes } from './digest-index.js';
import { drainRows, rowsByIds } from './postgres-rows.js';
import {
  MISMATCH_KINDS,
  SAMPLE_KINDS,
  type DataCounts,
  type DataSample,
  type EntityDataReport,
  type ReferenceTimeSource,
  type SampleKind,
} from './report-types.js';
import { SampleKeeper } from './sample-keeper.js';
import { redactSample } from './report-redaction.js';
import { Redactor } from '../codec/sensitive.js';

/**
 * Data parity of one entity (SPEC 9): every legacy document, decoded by the codec, against every
 * PostgreSQL row, by id, in canonical form.
 *
 * Memory: the PostgreSQL side is drained first into a {@link DigestIndex} (id and digest only, in id
 * order); the legacy side then streams in `_id` order and is looked up one document at a time, so
 * neither side is ever held whole. Samples are the first N by id of each kind, kept as they stream.
 *
 * Accounting: a document missing from PostgreSQL is `quarantined` when the conversion quarantine
 * holds its legacy id (with the recorded reason: it could not be decoded, or PostgreSQL refused the
 * row); a document that cannot be decoded and is not quarantined is `undecodable` (a mismatch); a tier-B document
 * outside the window is `outsideWindow` when PostgreSQL does not have it, and compared like any other
 * when it does (the window excuses absence, never a difference).
 */
export interface DataParityInput {
  readonly spec: EntitySpec;
  readonly mongo: MongoDbLike;
  readonly postgres: PostgresDataSource;
  /** Canonical legacy id -> quarantine reason. */
  readonly quarantine: ReadonlyMap<string, string>;
  readonly referenceTime: Date;
  readonly referenceTimeSource: ReferenceTimeSource;
  /** Samples per kind in the report. */
  readonly sampleSize: number;
  /** Decoded entities kept per tenant for output probes (first by `_id`). */
  readonly lookupSamples: number;
  /** Hides sensitive values in the samples (default: this entity's sensitive fields). */
  readonly redactor?: Redactor;
}

export interface LookupSample {
  readonly entity: Record<string, unknown>;
  readonly legacyId: string;
}

export interface DataParityResult {
  readonly report: EntityDataReport;
  /** Distinct valid tenant ids seen in the legacy collection. */
  readonly tenants: ReadonlySet<string>;
  /** Per tenant, the first decodable documents that should have been converted. */
  readonly samples: ReadonlyMap<string, readonly LookupSample[]>;
}

interface Seed {
  readonly id: string | null;
  readonly legacyId: string | null;
  readonly reason: string | null;
  readonly mongo: Record<string, unknown> | null;
  /** Fetch the PostgreSQL row for the sample. */
  readonly withPostgres: boolean;
}

/**
 * Whether a decoded entity is one conversion should have copied (tier B windows; A always).
 *
 * @example
 * shouldConvert(loginAttemptSpec, referenceTime)(attempt); // false for an attempt older than 90 days
 */
export function shouldConvert(spec: EntitySpec, referenceTime: Date): (entity: Record<string, unknown>) => boolean {
  const tier = spec.tier;
  return tier.tier === 'B' ? (entity) => tier.keep(entity, referenceTime) : () => true;
}

function emptyCounts(): Record<keyof DataCounts, number> {
  return { mongoDocuments: 0, postgresRows: 0, matched: 0, missingInPostgres: 0, missingInMongo: 0, differing: 0, undecodable: 0, quarantined: 0, outsideWindow: 0 };
}

/**
 * Runs data parity for one tier A or B entity.
 *
 * @example
 * const { report } = await dataParity({ spec: userSpec, mongo: mongo.db, postgres: adminDs, quarantine: new Map(),
 *   referenceTime: new Date(), referenceTimeSource: 'run', sampleSize: 20, lookupSamples: 5 });
 * report.counts.matched;
 */
export async function dataParity(input: DataParityInput): Promise<DataParityResult> {
  const { spec, quarantine, sampleSize } = input;
  const expected = shouldConvert(spec, input.referenceTime);
  const counts = emptyCounts();
  const keepers = Object.fromEntries(SAMPLE_KINDS.map((k) => [k, new SampleKeeper<Seed>(sampleSize)])) as Record<SampleKind, SampleKeeper<Seed>>;
  const tenants = new Set<string>();
  const samples = new Map<string, LookupSample[]>();
  const tenantField = isTenantScoped(spec) ? fieldOf(spec, 'tenantId').mongo : null;

  // 1. PostgreSQL: (id, digest) of every row, in id order.
  const index = new DigestIndex();
  counts.postgresRows = await drainRows(input.postgres, spec, (row) => {
    const id = row.entity.id as string;
    index.append(uuidBytes(id), rowDigest(spec, row.entity, effectiveLegacyId(id, row.legacyId)));
  });
  index.seal();

  // 2. MongoDB: every document in _id order, looked up by its converted id.
  let ordinal = 0;
  const cursor = input.mongo.collection(spec.collection).find({}, { sort: { _id: 1 }, batchSize: 1000 });
  let lastId = '(none yet)';
  const documents = async function* () {
    try {
      yield* cursor;
    } catch (err) {
      throw new Error(`${spec.collection}: reading the legacy documents failed after _id ${lastId}: ${(err as Error).message}`, { cause: err });
    }
  };
  for await (const doc of documents()) {
    lastId = describeId(doc._id);
    ordinal++;
    counts.mongoDocuments++;
    if (tenantField && isUuid(doc[tenantField])) tenants.add(doc[tenantField] as string);
    let decoded;
    try {
      decoded = decodeDocument(spec, doc);
    } catch (err) {
      undecodable(doc, err as Error, ordinal);
      continue;
    }
    const { entity, legacyId } = decoded;
    const id = entity.id as string;
    const convert = expected(entity);
    const at = index.find(uuidBytes(id));
    const quarantined = quarantine.get(legacyId);
    if (at < 0) {
      if (quarantined !== undefined) {
        // Decodes, yet PostgreSQL refused the row when it was converted: the quarantine accounts for it.
        counts.quarantined++;
        keepers.quarantined.offer(id, () => ({ id, legacyId, reason: quarantined, mongo: comparedForm(spec, entity, legacyId), withPostgres: false }));
      } else if (convert) {
        counts.missingInPostgres++;
        keepers.missingInPostgres.offer(id, () => ({ id, legacyId, reason: null, mongo: comparedForm(spec, entity, legacyId), withPostgres: false }));
      } else {
        counts.outsideWindow++;
        keepers.outsideWindow.offer(id, () => ({ id, legacyId, reason: tierRule(spec), mongo: null, withPostgres: false }));
      }
    } else if (index.seen(at)) {
      counts.differing++;
      keepers.differing.offer(id, () => ({ id, legacyId, reason: 'another legacy document converts to the same id', mongo: comparedForm(spec, entity, legacyId), withPostgres: true }));
    } else {
      index.markSeen(at);
      if (rowDigest(spec, entity, legacyId).equals(index.digestAt(at))) counts.matched++;
      else {
        counts.differing++;
        keepers.differing.offer(id, () => ({ id, legacyId, reason: null, mongo: comparedForm(spec, entity, legacyId), withPostgres: true }));
      }
    }
    if (convert && quarantined === undefined && input.lookupSamples > 0) {
      const tenant = isTenantScoped(spec) ? (entity.tenantId as string) : '';
      const list = samples.get(tenant) ?? [];
      if (list.length < input.lookupSamples) {
        list.push({ entity, legacyId });
        samples.set(tenant, list);
      }
    }
  }

  function undecodable(doc: Document, err: Error, n: number): void {
    let legacyId: string | null = null;
    let id: string | null = null;
    try {
      legacyId = legacyIdOf(doc._id);
      id = idFromLegacyId(spec.collection, legacyId);
    } catch {
      // An _id with no canonical form: conversion quarantines it under the hash of its BSON.
      legacyId = unreadableId(doc);
    }
    let inPostgres = false;
    if (id) {
      const at = index.find(uuidBytes(id));
      if (at >= 0 && !index.seen(at)) {
        index.markSeen(at);
        inPostgres = true;
      }
    }
    // Documents with no usable id sort after all ids, in stream (_id) order.
    const key = id ?? `~${String(n).padStart(12, '0')}`;
    const reason = quarantine.get(legacyId);
    if (reason !== undefined && !inPostgres) {
      counts.quarantined++;
      keepers.quarantined.offer(key, { id, legacyId, reason, mongo: null, withPostgres: false });
    } else if (reason !== undefined) {
      counts.differing++;
      keepers.differing.offer(key, { id, legacyId, reason: `quarantined by conversion (${reason}) yet PostgreSQL has a row with this id`, mongo: null, withPostgres: true });
    } else {
      counts.undecodable++;
      const where = inPostgres ? ' (PostgreSQL has a row with this id)' : '';
      keepers.undecodable.offer(key, { id, legacyId, reason: `cannot be decoded and is not in core.conversion_quarantine: ${err.message}${where}`, mongo: null, withPostgres: inPostgres });
    }
  }

  // 3. Rows PostgreSQL has and no legacy document accounts for.
  const extraIds: string[] = [];
  for (const at of index.unseen()) {
    counts.missingInMongo++;
    if (extraIds.length < sampleSize) extraIds.push(formatUuid(index.idAt(at)));
  }

  // 4. Evidence: the PostgreSQL side of the samples, and field-level differences.
  const wanted = new Set<string>(extraIds);
  for (const kind of SAMPLE_KINDS) for (const s of keepers[kind].items()) if (s.withPostgres && s.id) wanted.add(s.id);
  const rows = await rowsByIds(input.postgres, spec, [...wanted].sort());
  const pgForm = (id: string | null) => {
    const row = id ? rows.get(id) : undefined;
    return row ? comparedForm(spec, row.entity, effectiveLegacyId(id!, row.legacyId)) : null;
  };
  const built = {} as Record<SampleKind, DataSample[]>;
  // Compared on real values above; shown with sensitive values as fingerprints only.
  const redactor = input.redactor ?? Redactor.of([spec]);
  for (const kind of SAMPLE_KINDS) {
    built[kind] = keepers[kind].items().map((s) => {
      const postgres = s.withPostgres ? pgForm(s.id) : null;
      const differences = kind === 'differing' && s.mongo && postgres ? diffFields(spec, s.mongo, postgres) : [];
      return redactSample(spec, redactor, { id: s.id, legacyId: s.legacyId, reason: s.reason, differences, mongo: s.mongo, postgres });
    });
  }
  built.missingInMongo = extraIds.map((id) => {
    const postgres = pgForm(id);
    return redactSample(spec, redactor, { id, legacyId: (postgres?.legacyId as string | undefined) ?? null, reason: null, differences: [], mongo: null, postgres });
  });

  const mismatches = MISMATCH_KINDS.reduce((n, k) => n + counts[k], 0);
  const report: EntityDataReport = {
    entity: spec.name,
    collection: spec.collection,
    table: `${spec.schema}.${spec.table}`,
    tier: spec.tier.tier,
    tierDescription: spec.tier.tier === 'A' ? null : spec.tier.description,
    compared: true,
    note: null,
    referenceTime: input.referenceTime.toISOString(),
    referenceTimeSource: input.referenceTimeSource,
    counts,
    mismatches,
    samples: built,
  };
  return { report, tenants, samples };
}

/**
 * `unreadable:<sha256 of the BSON>`, the quarantine key conversion gives a document whose `_id` has
 * no canonical form, computed the same way (the driver's serialisation of the document as read).
 */
function unreadableId(doc: Document): string {
  return `unreadable:${createHash('sha256').update(serialize(doc, { checkKeys: false, ignoreUndefined: false, serializeFunctions: false })).digest('hex')}`;
}

function describeId(id: unknown): string {
  try {
    return legacyIdOf(id);
  } catch {
    return String(id);
  }
}

function tierRule(spec: EntitySpec): string {
  return spec.tier.tier === 'B' ? `outside the tier-B window (${spec.tier.description})` : `${qualifiedName(spec)}: tier ${spec.tier.tier}`;
}
