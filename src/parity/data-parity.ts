import { createHash } from 'node:crypto';
import { deserialize, serialize, type Document } from 'bson';
import { isTenantScoped, fieldOf, qualifiedName } from '../codec/fields.js';
import { idFromLegacyId } from '../codec/ids.js';
import type { EntitySpec } from '../interfaces/entity-spec.js';
import { isUuid } from '../interfaces/tenant-context.js';
import { decodeDocument, EXACT_DOCUMENT_READ } from '../mongo/document-codec.js';
import { decodeDocumentBytes, legacyIdOfBytes } from '../mongo/direct-decode.js';
import { cursorBatches } from '../mongo/cursor-batches.js';
import { SourceDocument } from '../conversion/source-document.js';
import { tenantRegistryOf } from '../mongo/tenant-keys.js';
import { legacyIdOf, mongoIdOf } from '../mongo/legacy-id.js';
import type { FindOptions, MongoDbLike } from '../mongo/mongo-types.js';
import type { PostgresDataSource } from '../postgres/data-source.js';
import { comparedForm, diffFields, digestHex, effectiveLegacyId, rowDigest } from './canonical-row.js';
import { DigestIndex, formatUuid } from './digest-index.js';
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
import { formsOf, settle, SETTLE_DEFAULTS, type SettleOptions, type Suspect, type SuspectKind, type Verdict } from './settle.js';
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
  /** How rows that differ are re-checked while writes continue (default {@link SETTLE_DEFAULTS}; rounds 0: never). */
  readonly settle?: SettleOptions;
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

export interface Seed {
  readonly id: string | null;
  readonly legacyId: string | null;
  readonly reason: string | null;
  readonly mongo: Record<string, unknown> | null;
  /** Fetch the PostgreSQL row for the sample. */
  readonly withPostgres: boolean;
  /** The PostgreSQL side as read when the sample was taken (in-flight rows: both sides of the last re-check). */
  readonly postgres?: Record<string, unknown> | null;
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
 * A slice of an entity's id space (UUIDs in PostgreSQL's byte order, lowercase text): `lower <= id <
 * upper`, null = open. Data parity of disjoint ranges that together cover the space adds up to data
 * parity of the whole entity, which is how `verify --workers N` shares one verification. The range
 * open above also holds the legacy documents whose `_id` has no canonical form (they have no id).
 */
export interface IdRange {
  readonly lower: string | null;
  readonly upper: string | null;
}

/** The whole id space: one process verifying alone. */
export const WHOLE_RANGE: IdRange = Object.freeze({ lower: null, upper: null });

/** A lookup sample candidate: `ordinal` is the document's position in the whole `_id`-ordered stream. */
interface LookupCandidate {
  readonly tenant: string;
  readonly ordinal: number;
  readonly legacyId: string;
  /** Present in the process that read it; a merged result from another process reads it again by `_id`. */
  readonly entity?: Record<string, unknown>;
}

/**
 * What one range contributed, in plain JSON (a worker stores it in PostgreSQL as text): counts,
 * the first samples by key of each kind (before the PostgreSQL side is fetched), the first ids of
 * rows no document accounts for, the tenants seen, and the lookup sample candidates.
 */
export interface RangePartial {
  readonly counts: Record<keyof DataCounts, number>;
  readonly seeds: Record<SampleKind, { key: string; seed: Seed }[]>;
  readonly extraIds: string[];
  readonly tenants: string[];
  readonly lookups: LookupCandidate[];
  /** Rows still changing after the re-checks (absent when none), and rows that settled on a re-check. */
  readonly inFlight?: { readonly count: number; readonly settled: number; readonly seeds: { key: string; seed: Seed }[] };
}

/** The 16 bytes of a lowercase or uppercase UUID text, parsed without a regular expression or a temporary string. */
function uuidInto(uuid: string, out: Buffer): Buffer {
  let j = 0;
  for (let i = 0; i < uuid.length && j < 16; i++) {
    const c = uuid.charCodeAt(i);
    if (c === 45) continue; // '-'
    const d = uuid.charCodeAt(i + 1);
    out[j++] = (hexValue(c) << 4) | hexValue(d);
    i++;
  }
  return out;
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/**
 * Data parity of one range of one entity: the PostgreSQL rows of the range drained into a
 * {@link DigestIndex}, then every legacy document streamed in `_id` order; those whose id falls in
 * the range are compared exactly as {@link dataParity} does.
 *
 * @example
 * const part = await parityRange(input, { lower: null, upper: '80000000-0000-0000-0000-000000000000' });
 */
export async function parityRange(input: DataParityInput, range: IdRange): Promise<RangePartial> {
  const { spec, quarantine, sampleSize } = input;
  const expected = shouldConvert(spec, input.referenceTime);
  const counts = emptyCounts();
  const keepers = Object.fromEntries(SAMPLE_KINDS.map((k) => [k, new SampleKeeper<Seed>(sampleSize)])) as Record<SampleKind, SampleKeeper<Seed>>;

  const tenants = new Set<string>();
  const lookups: LookupCandidate[] = [];
  const perTenant = new Map<string, number>();
  const tenantField = isTenantScoped(spec) ? fieldOf(spec, 'tenantId').mongo : null;
  const registry = tenantRegistryOf(input.mongo);
  const whole = range.lower === null && range.upper === null;
  const scratch = Buffer.alloc(16);
  const settleOptions = input.settle ?? SETTLE_DEFAULTS;
  // Differences seen while streaming, re-checked at the end (parity under traffic, see settle.ts).
  const suspects: Suspect[] = [];
  let overflow = settleOptions.rounds <= 0;
  const suspect = (s: Suspect) => {
    if (overflow) return;
    if (suspects.length >= settleOptions.limit) {
      overflow = true;
      suspects.length = 0;
    } else suspects.push(s);
  };
  // Differing rows that are not suspects (two documents, one id; quarantined yet in PostgreSQL), kept apart to rebuild the samples.
  const otherDiffering = new SampleKeeper<Seed>(sampleSize);

  // 1. PostgreSQL: (id, digest) of every row of the range, in id order.
  const index = new DigestIndex();
  counts.postgresRows = await drainRows(
    input.postgres,
    spec,
    (row) => {
      const id = row.entity.id as string;
      index.append(uuidInto(id, scratch), rowDigest(spec, row.entity, effectiveLegacyId(id, row.legacyId)));
    },
    undefined,
    range,
  );
  index.seal();

  // 2. MongoDB: every document in _id order, looked up by its converted id.
  let ordinal = 0;
  // raw: the stored bytes. A document in the plain shape is decoded from them in one pass
  // (direct-decode.ts: the same entity); any other is read as the driver reads it, and decoded as before.
  const cursor = input.mongo.collection(spec.collection).find({}, { sort: { _id: 1 }, batchSize: 1000, raw: true, ...EXACT_DOCUMENT_READ } as FindOptions);
  // The last document read, for a read error: its legacy id, or its `_id` as read.
  let lastLegacyId: string | null = null;
  let lastId: unknown = undefined;
  const readFailed = (err: Error) => {
    const after = lastLegacyId ?? (lastId === undefined ? '(none yet)' : describeId(lastId));
    return new Error(`${spec.collection}: reading the legacy documents failed after _id ${after}: ${err.message}`, { cause: err });
  };
  const batches = async function* () {
    try {
      yield* cursorBatches(cursor);
    } catch (err) {
      throw readFailed(err as Error);
    }
  };
  for await (const items of batches()) {
    for (const item of items) {
      ordinal++;
      const bytes = item instanceof Uint8Array ? Buffer.from(item.buffer, item.byteOffset, item.byteLength) : null;
      if (!whole && bytes) {
        // A shard of a shared verification: another range's document is told by its `_id` alone, undecoded.
        const quick = legacyIdOfBytes(bytes);
        if (quick !== null && !inRange(range, idFromLegacyId(spec.collection, quick))) {
          lastLegacyId = quick;
          continue;
        }
      }
      let decoded = bytes ? decodeDocumentBytes(spec, bytes, registry) : null;
      if (decoded) {
        lastLegacyId = decoded.legacyId;
        if (!whole && !inRange(range, decoded.entity.id as string)) continue;
        counts.mongoDocuments++;
        // The registry already mapped the document's tenant (a string) to its UUID.
        if (tenantField) tenants.add(decoded.entity.tenantId as string);
      } else {
        let doc: Document;
        try {
          doc = bytes ? deserialize(bytes, EXACT_DOCUMENT_READ) : (item as Document);
        } catch (err) {
          if (!bytes) throw readFailed(err as Error);
          // Bytes no driver reads: conversion quarantined them as unreadable BSON; account for them so.
          const { legacyId, id } = quarantineKey(spec, null, bytes);
          lastLegacyId = legacyId;
          if (!whole && !inRange(range, id)) continue;
          counts.mongoDocuments++;
          undecodable(null, bytes, err as Error, ordinal);
          continue;
        }
        lastLegacyId = null;
        lastId = doc._id;
        // Another range's document: its id alone decides (the id decoding gives, or none).
        if (!whole && !inRange(range, routingId(spec, doc))) continue;
        counts.mongoDocuments++;
        if (tenantField) {
          const tenant = doc[tenantField];
          // A set lookup before the pattern: the same few tenants come back on every document.
          if (typeof tenant === 'string' && !tenants.has(tenant)) {
            // A named tenant is probed under the UUID the registry maps it to (README "Tenant registry").
            const uuid = isUuid(tenant) ? tenant : registry.tryUuidOf(tenant);
            if (uuid !== null) tenants.add(uuid);
          }
        }
        try {
          decoded = decodeDocument(spec, doc, undefined, registry);
        } catch (err) {
          undecodable(doc, bytes, err as Error, ordinal);
          continue;
        }
      }
      const { entity, legacyId } = decoded;
      const id = entity.id as string;
      const convert = expected(entity);
      const at = index.find(uuidInto(id, scratch));
      const quarantined = quarantine.get(legacyId);
      if (at < 0) {
        if (quarantined !== undefined) {
          // Decodes, yet PostgreSQL refused the row when it was converted: the quarantine accounts for it.
          counts.quarantined++;
          keepers.quarantined.offer(id, () => ({ id, legacyId, reason: quarantined, mongo: comparedForm(spec, entity, legacyId), withPostgres: false }));
        } else if (convert) {
          counts.missingInPostgres++;
          suspect({ id, legacyId, kind: 'missingInPostgres', mongoSig: digestHex(rowDigest(spec, entity, legacyId)), pgSig: 'absent' });
          keepers.missingInPostgres.offer(id, () => ({ id, legacyId, reason: null, mongo: comparedForm(spec, entity, legacyId), withPostgres: false }));
        } else {
          counts.outsideWindow++;
          keepers.outsideWindow.offer(id, () => ({ id, legacyId, reason: tierRule(spec), mongo: null, withPostgres: false }));
        }
      } else if (index.seen(at)) {
        counts.differing++;
        const seed = () => ({ id, legacyId, reason: 'another legacy document converts to the same id', mongo: comparedForm(spec, entity, legacyId), withPostgres: true });
        keepers.differing.offer(id, seed);
        otherDiffering.offer(id, seed);
      } else {
        index.markSeen(at);
        const digest = rowDigest(spec, entity, legacyId);
        if (index.digestIs(at, digest)) counts.matched++;
        else {
          counts.differing++;
          suspect({ id, legacyId, kind: 'differing', mongoSig: digestHex(digest), pgSig: index.digestHexAt(at) });
          keepers.differing.offer(id, () => ({ id, legacyId, reason: null, mongo: comparedForm(spec, entity, legacyId), withPostgres: true }));
        }
      }
      if (convert && quarantined === undefined && input.lookupSamples > 0) {
        const tenant = isTenantScoped(spec) ? (entity.tenantId as string) : '';
        const n = perTenant.get(tenant) ?? 0;
        if (n < input.lookupSamples) {
          lookups.push({ tenant, ordinal, legacyId, entity });
          perTenant.set(tenant, n + 1);
        }
      }
    }
  }

  /**
   * A document that does not decode, or does not even read (`bytes` that no driver reads, such as
   * invalid UTF-8): conversion quarantined it under the legacy id of its `_id`, or, when the `_id` has
   * no canonical form, under the hash of its BSON (the stored bytes when read raw).
   */
  function undecodable(doc: Document | null, bytes: Buffer | null, err: Error, n: number): void {
    const { legacyId, id } = quarantineKey(spec, doc, bytes);
    let inPostgres = false;
    if (id) {
      const at = index.find(uuidInto(id, scratch));
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
      const seed = { id, legacyId, reason: `quarantined by conversion (${reason}) yet PostgreSQL has a row with this id`, mongo: null, withPostgres: true };
      keepers.differing.offer(key, seed);
      otherDiffering.offer(key, seed);
    } else {
      counts.undecodable++;
      const where = inPostgres ? ' (PostgreSQL has a row with this id)' : '';
      keepers.undecodable.offer(key, { id, legacyId, reason: `cannot be decoded and is not in core.conversion_quarantine: ${err.message}${where}`, mongo: null, withPostgres: inPostgres });
    }
  }

  // 3. Rows PostgreSQL has and no legacy document accounts for.
  let extraIds: string[] = [];
  for (const at of index.unseen()) {
    counts.missingInMongo++;
    const id = formatUuid(index.idAt(at));
    suspect({ id, legacyId: null, kind: 'missingInMongo', mongoSig: 'absent', pgSig: index.digestHexAt(at) });
    if (extraIds.length < sampleSize) extraIds.push(id);
  }

  // 4. Under traffic: the differences are read again until they settle (settle.ts).
  let inFlight: RangePartial['inFlight'];
  if (!overflow && suspects.length > 0) {
    const stream = suspects.map((s) => ({ ...s }));
    const verdicts = await settle({ spec, mongo: input.mongo, postgres: input.postgres, expected, options: settleOptions }, suspects);
    const finals: { kind: SuspectKind; id: string; verdict: Verdict & { verdict: 'mismatch' } }[] = [];
    const flying = new SampleKeeper<Seed>(sampleSize);
    let inFlightCount = 0;
    let settled = 0;
    let changed = false;
    for (const s of stream) {
      const v = verdicts.get(s.id)!;
      if (v.verdict === 'mismatch' && v.kind === s.kind && (v.sides === null || (v.sides.mongoSig === s.mongoSig && v.sides.pgSig === s.pgSig))) {
        finals.push({ kind: s.kind, id: s.id, verdict: v });
        continue;
      }
      // What the stream saw is not what holds now: the counts and samples follow the re-check.
      changed = true;
      counts[s.kind]--;
      if (v.verdict === 'settled') {
        settled++;
        if (v.matched) counts.matched++;
      } else if (v.verdict === 'mismatch') {
        counts[v.kind]++;
        finals.push({ kind: v.kind, id: s.id, verdict: v });
      } else {
        inFlightCount++;
        const f = formsOf(spec, v.sides);
        flying.offer(s.id, { id: s.id, legacyId: f.legacyId ?? s.legacyId, reason: v.reason, mongo: f.mongo, postgres: f.postgres, withPostgres: false });
      }
    }
    if (changed) {
      keepers.differing = new SampleKeeper<Seed>(sampleSize);
      keepers.missingInPostgres = new SampleKeeper<Seed>(sampleSize);
      otherDiffering.keys().forEach((key, i) => keepers.differing.offer(key, otherDiffering.items()[i]!));
      const extras: string[] = [];
      for (const f of finals) {
        const forms = formsOf(spec, f.verdict.sides);
        const legacyId = forms.legacyId ?? stream.find((s) => s.id === f.id)?.legacyId ?? null;
        if (f.kind === 'missingInMongo') extras.push(f.id);
        else keepers[f.kind].offer(f.id, { id: f.id, legacyId, reason: null, mongo: forms.mongo, withPostgres: f.kind === 'differing' });
      }
      extraIds = extras.sort().slice(0, sampleSize);
      inFlight = { count: inFlightCount, settled, seeds: flying.keys().map((key, i) => ({ key, seed: flying.items()[i]! })) };
    }
  }
  const seeds = Object.fromEntries(SAMPLE_KINDS.map((k) => [k, keepers[k].keys().map((key, i) => ({ key, seed: keepers[k].items()[i]! }))])) as RangePartial['seeds'];
  return { counts, seeds, extraIds, tenants: [...tenants].sort(), lookups, ...(inFlight ? { inFlight } : {}) };
}

/** The id a legacy document converts to, from its `_id` alone; null when the `_id` has no canonical form. */
function routingId(spec: EntitySpec, doc: Document): string | null {
  try {
    return idFromLegacyId(spec.collection, legacyIdOf(doc._id));
  } catch {
    return null;
  }
}

function inRange(range: IdRange, id: string | null): boolean {
  if (id === null) return range.upper === null;
  const lower = id.toLowerCase();
  return (range.lower === null || lower >= range.lower) && (range.upper === null || lower < range.upper);
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
  return mergeRanges(input, [await parityRange(input, WHOLE_RANGE)]);
}

/**
 * Data parity of an entity from the results of ranges that cover its id space, in range order:
 * counts add up, samples are again the first N by key, lookup samples the first N per tenant in
 * `_id` order. Then the PostgreSQL side of the samples is read and the report built, so the result
 * is the one a single process gets.
 *
 * @example
 * const result = await mergeRanges(input, [await parityRange(input, low), await parityRange(input, high)]);
 */
export async function mergeRanges(input: DataParityInput, partials: readonly RangePartial[]): Promise<DataParityResult> {
  const { spec, sampleSize } = input;
  const counts = emptyCounts();
  for (const p of partials) for (const k of Object.keys(counts) as (keyof DataCounts)[]) counts[k] += p.counts[k];
  const firstByKey = <T extends { key: string }>(all: T[]) => all.map((x, i) => ({ x, i })).sort((a, b) => (a.x.key < b.x.key ? -1 : a.x.key > b.x.key ? 1 : a.i - b.i)).slice(0, sampleSize).map((e) => e.x);
  const seeds = Object.fromEntries(SAMPLE_KINDS.map((k) => [k, firstByKey(partials.flatMap((p) => p.seeds[k])).map((e) => e.seed)])) as Record<SampleKind, Seed[]>;
  const extraIds = partials.flatMap((p) => p.extraIds).sort().slice(0, sampleSize);
  const tenants = new Set(partials.flatMap((p) => p.tenants));

  // Lookup samples: per tenant, the first by position in the _id-ordered stream.
  const candidates = partials.flatMap((p) => p.lookups).sort((a, b) => a.ordinal - b.ordinal);
  const samples = new Map<string, LookupSample[]>();
  for (const c of candidates) {
    const list = samples.get(c.tenant) ?? [];
    if (list.length >= input.lookupSamples) continue;
    list.push({ entity: c.entity ?? (await reread(input, c.legacyId)), legacyId: c.legacyId });
    samples.set(c.tenant, list);
  }

  // 4. Evidence: the PostgreSQL side of the samples, and field-level differences.
  const wanted = new Set<string>(extraIds);
  for (const kind of SAMPLE_KINDS) for (const s of seeds[kind]) if (s.withPostgres && s.id) wanted.add(s.id);
  const rows = await rowsByIds(input.postgres, spec, [...wanted].sort());
  const pgForm = (id: string | null) => {
    const row = id ? rows.get(id) : undefined;
    return row ? comparedForm(spec, row.entity, effectiveLegacyId(id!, row.legacyId)) : null;
  };
  const built = {} as Record<SampleKind, DataSample[]>;
  // Compared on real values above; shown with sensitive values as fingerprints only.
  const redactor = input.redactor ?? Redactor.of([spec]);
  for (const kind of SAMPLE_KINDS) {
    built[kind] = seeds[kind].map((s) => {
      const postgres = s.withPostgres ? pgForm(s.id) : null;
      const differences = kind === 'differing' && s.mongo && postgres ? diffFields(spec, s.mongo, postgres) : [];
      return redactSample(spec, redactor, { id: s.id, legacyId: s.legacyId, reason: s.reason, differences, mongo: s.mongo, postgres });
    });
  }
  built.missingInMongo = extraIds.map((id) => {
    const postgres = pgForm(id);
    return redactSample(spec, redactor, { id, legacyId: (postgres?.legacyId as string | undefined) ?? null, reason: null, differences: [], mongo: null, postgres });
  });

  // Rows still changing when the re-checks ended: counted and shown apart, never mismatches.
  const flying = partials.filter((p) => p.inFlight);
  const inFlight: EntityDataReport['inFlight'] = flying.length
    ? {
        count: flying.reduce((n, p) => n + p.inFlight!.count, 0),
        settled: flying.reduce((n, p) => n + p.inFlight!.settled, 0),
        samples: firstByKey(flying.flatMap((p) => p.inFlight!.seeds)).map(({ seed: s }) =>
          redactSample(spec, redactor, { id: s.id, legacyId: s.legacyId, reason: s.reason, differences: s.mongo && s.postgres ? diffFields(spec, s.mongo, s.postgres) : [], mongo: s.mongo, postgres: s.postgres ?? null }),
        ),
      }
    : undefined;

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
    // Only under traffic: a report of data at rest is today's, field for field (and digest).
    ...(inFlight ? { inFlight } : {}),
  };
  return { report, tenants, samples };
}

/** A lookup sample found by another process: the same document, read again by `_id` and decoded again. */
async function reread(input: DataParityInput, legacyId: string): Promise<Record<string, unknown>> {
  const doc = await input.mongo.collection(input.spec.collection).findOne({ _id: mongoIdOf(legacyId) }, EXACT_DOCUMENT_READ);
  if (!doc) throw new Error(`${input.spec.collection}: legacy document ${legacyId} disappeared during verification`);
  return decodeDocument(input.spec, doc, undefined, tenantRegistryOf(input.mongo)).entity;
}

/** A range's result as stored by a worker (plain JSON text; the lookup entities are left out). */
export function serializePartial(partial: RangePartial): string {
  return JSON.stringify({ ...partial, lookups: partial.lookups.map(({ entity: _entity, ...rest }) => rest) });
}

export function parsePartial(text: string): RangePartial {
  return JSON.parse(text) as RangePartial;
}

/**
 * The key conversion quarantines an undecodable document under (classify.ts): the legacy id of its
 * `_id` and the id it converts to; `unreadable:<sha256 of the BSON>` (and no id) when the `_id` has no
 * canonical form or cannot be read. From the stored bytes when read raw (as conversion does), else from
 * the driver's serialisation of the document as read.
 */
function quarantineKey(spec: EntitySpec, doc: Document | null, bytes: Buffer | null): { legacyId: string; id: string | null } {
  const source = bytes ? SourceDocument.fromCursorItem(bytes) : null;
  try {
    const legacyId = legacyIdOf(source ? source.id() : doc!._id);
    return { legacyId, id: idFromLegacyId(spec.collection, legacyId) };
  } catch {
    if (source) return { legacyId: source.unreadableId(), id: null };
    return { legacyId: `unreadable:${createHash('sha256').update(serialize(doc!, { checkKeys: false, ignoreUndefined: false, serializeFunctions: false })).digest('hex')}`, id: null };
  }
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
