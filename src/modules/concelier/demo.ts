import { createHash } from 'node:crypto';
import { calculateObjectSize, type Document } from 'bson';
import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { corpusRelativePath, listCorpusFiles, readCorpusText, parseExactJson } from '../../corpus/index.js';
import { encodeDocument } from '../../mongo/document-codec.js';
import { DemoRandom, demoId, idFor, legacyDocument, minutesBefore } from '../shared/demo-random.js';
import { planAdvisory, type AdvisoryPlan } from './advisory-plan.js';
import { advisory, advisoryRaw, affected, alias, job, lock, source, sourceState } from './entities.js';
import { SYNTHETIC_SOURCES, syntheticAdvisory } from './demo-synthetic.js';

/**
 * Concelier's legacy documents for `demo` and tests, deterministic in the options:
 * - per tenant: the synthetic sources with their state, `count` generated advisories per source
 *   (with their alias, affected and raw-reference documents; some raw references superseded long
 *   ago, outside the tier-B window), and a few tier-C jobs and locks;
 * - with `corpusDir`, for the FIRST tenant only: every OSV advisory of the corpus, one source per
 *   corpus folder, one raw reference per file (storage key `corpus/<path>`, the file's sha256 and
 *   size). The corpus holds a few (folder, id) pairs twice with different content (linter test
 *   variants); as an import would, the later file (path order) is the advisory and the earlier
 *   one's raw reference is marked superseded, so every file stays reachable.
 *
 * A corpus file that cannot be read exactly, or an advisory whose legacy document would exceed
 * MongoDB's 16 MiB limit, is left out with a message on stderr naming the file and the reason.
 * An advisory the domain refuses (bad timestamp...) is still written, as legacy data can be:
 * conversion quarantines it with the reason.
 */

const MIB16 = 16 * 1024 * 1024;
const OSV_MEDIA_TYPE = 'application/vnd.osv+json';

type Pair = readonly [string, Document];

function warn(message: string): void {
  process.stderr.write(`concelier demo: ${message}\n`);
}

function pair(spec: EntitySpec, doc: Document): Pair {
  return [spec.collection, doc];
}

/**
 * The advisory's legacy document. Derived fields come from `spec.derive`; when the domain refuses the
 * payload the document is still produced, without them, so conversion sees it and quarantines it.
 */
function advisoryDocument(entity: Record<string, unknown>, legacyId: string): Document {
  let derived: Record<string, unknown> | null = null;
  try {
    derived = advisory.derive!(entity);
  } catch {
    derived = null;
  }
  if (derived) return legacyDocument(advisory, { ...entity, ...derived }, false, legacyId);
  return encodeDocument(advisory, entity, legacyId);
}

interface RawRef {
  readonly uri: string;
  readonly storageKey: string;
  readonly digest: string;
  readonly sizeBytes: bigint;
}

function* advisoryDocuments(tenantId: string, seed: number, key: string, plan: AdvisoryPlan, at: Date, raws: readonly (RawRef & { supersededAt: Date | null; fetchedAt: Date })[]): Generator<Pair> {
  const { sourceKey, advisoryKey } = plan.advisory;
  const std = (collection: string, i: string) => ({ id: demoId('Concelier', collection, tenantId, seed, `${key}|${i}`), tenantId, createdAt: at, updatedAt: at });
  const advId = std('advisory', 'advisory');
  const doc = advisoryDocument({ ...advId, ...plan.advisory }, `uuid:${advId.id}`);
  const size = calculateObjectSize(doc);
  if (size >= MIB16) {
    warn(`${sourceKey}/${advisoryKey}: legacy document of ${size} bytes exceeds MongoDB's 16 MiB limit; it cannot exist in the legacy store and is left out`);
    return;
  }
  yield pair(advisory, doc);
  for (const a of plan.aliases) yield pair(alias, legacyDocument(alias, { ...std('alias', a.alias), ...a }));
  for (const a of plan.affected) yield pair(affected, legacyDocument(affected, { ...std('affected', String(a.ordinal)), ...a }, a.ordinal % 2 === 1));
  for (const r of raws) {
    // GridFS-era references carry ObjectIds; the entity id is what conversion derives from it.
    const legacyId = `oid:${createHash('sha256').update(`${tenantId}|${sourceKey}|${r.digest}`).digest('hex').slice(0, 24)}`;
    yield pair(
      advisoryRaw,
      legacyDocument(
        advisoryRaw,
        { ...std('advisory_raw', r.digest), id: idFor(advisoryRaw.collection, legacyId, ''), createdAt: r.fetchedAt, updatedAt: r.supersededAt ?? r.fetchedAt, sourceKey, advisoryKey, mediaType: OSV_MEDIA_TYPE, ...r },
        false,
        legacyId,
      ),
    );
  }
}

function sha256(text: string | Buffer): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function* syntheticTenant(options: DemoOptions, tenantId: string): Generator<Pair> {
  const { seed, now } = options;
  const r = new DemoRandom(seed, 'concelier', tenantId);
  const perSource = Math.max(1, Math.ceil(options.count / SYNTHETIC_SOURCES.length));
  for (const [p, s] of SYNTHETIC_SOURCES.entries()) {
    const at = minutesBefore(now, 500 * 24 * 60 + p);
    const std = { tenantId, createdAt: at, updatedAt: at };
    yield pair(source, legacyDocument(source, { id: demoId('Concelier', 'source', tenantId, seed, s.key), ...std, key: s.key, displayName: s.key.toUpperCase(), kind: s.kind, baseUrl: `https://feeds.example.org/${s.key}`, enabled: p !== 3, priority: 10 * (p + 1) }, p % 2 === 1));
    const fetched = minutesBefore(now, r.int(5, 600));
    yield pair(sourceState, legacyDocument(sourceState, { id: demoId('Concelier', 'source_state', tenantId, seed, s.key), ...std, updatedAt: fetched, sourceKey: s.key, cursor: p === 0 ? null : { etag: `"${r.hex(16)}"`, page: r.int(1, 40), since: '2025-01-01T00:00:00.000001Z' }, lastFetchAt: fetched, lastSuccessAt: p === 3 ? null : fetched, lastError: p === 3 ? 'HTTP 503 from upstream' : null, failureCount: p === 3 ? 4 : 0, backoffUntil: p === 3 ? minutesBefore(now, -30) : null }));
    for (let i = 0; i < perSource; i++) {
      const payload = syntheticAdvisory(seed, tenantId, s, i, now);
      const plan = planAdvisory(s.key, payload);
      const at2 = minutesBefore(now, r.int(60, 300 * 24 * 60));
      const text = JSON.stringify(payload);
      const digest = sha256(text);
      const raws = [{ uri: `https://feeds.example.org/${s.key}/${plan.advisory.advisoryKey}.json`, storageKey: `raw/${s.key}/${digest.slice(7)}`, digest, sizeBytes: BigInt(Buffer.byteLength(text)), fetchedAt: at2, supersededAt: null as Date | null }];
      // An older upstream version: superseded long ago (outside the tier-B window) or recently (inside).
      if (i % 3 === 0) {
        const old = sha256(`${text} `);
        const fetchedAt = minutesBefore(at2, i % 2 === 0 ? 200 * 24 * 60 : 60);
        raws.push({ uri: raws[0]!.uri, storageKey: `raw/${s.key}/${old.slice(7)}`, digest: old, sizeBytes: BigInt(Buffer.byteLength(text) + 1), fetchedAt, supersededAt: i % 2 === 0 ? minutesBefore(fetchedAt, -60) : at2 });
      }
      yield* advisoryDocuments(tenantId, seed, `${s.key}|${i}`, plan, at2, raws);
    }
  }
  // Tier C: present in the legacy store, never converted.
  for (let i = 0; i < 3; i++) {
    const at = minutesBefore(now, 10 + i);
    yield pair(job, legacyDocument(job, { id: demoId('Concelier', 'jobs', tenantId, seed, i), tenantId, createdAt: at, updatedAt: at, jobKey: `fetch:${SYNTHETIC_SOURCES[i]!.key}:${i}`, kind: 'source:fetch', sourceKey: SYNTHETIC_SOURCES[i]!.key, status: (['queued', 'running', 'dead'] as const)[i], payload: { window: i }, runAfter: at, attempts: i, lockedBy: i === 1 ? 'worker-1' : null, lockedAt: i === 1 ? at : null, lastError: i === 2 ? 'timeout' : null }));
  }
  const at = minutesBefore(now, 1);
  yield pair(lock, legacyDocument(lock, { id: demoId('Concelier', 'locks', tenantId, seed, 'fetch'), tenantId, createdAt: at, updatedAt: at, name: 'concelier:fetch', holder: 'worker-1', acquiredAt: at, expiresAt: minutesBefore(now, -5) }));
}

interface CorpusAdvisory {
  readonly file: string;
  readonly rel: string;
  readonly sourceKey: string;
  readonly plan: AdvisoryPlan;
  readonly raw: RawRef;
}

/** Reads the corpus advisories (path order); unreadable files are reported and left out. */
export function readCorpusAdvisories(corpusDir: string): CorpusAdvisory[] {
  const out: CorpusAdvisory[] = [];
  for (const file of listCorpusFiles('advisories', undefined, corpusDir)) {
    const rel = corpusRelativePath(file, corpusDir);
    const sourceKey = rel.split('/')[1]!;
    try {
      const text = readCorpusText(file);
      const plan = planAdvisory(sourceKey, parseExactJson(text, rel));
      const bytes = Buffer.from(text, 'utf8');
      out.push({ file, rel, sourceKey, plan, raw: { uri: `corpus:${rel}`, storageKey: `corpus/${rel}`, digest: sha256(bytes), sizeBytes: BigInt(bytes.length) } });
    } catch (err) {
      warn(`${rel}: left out: ${(err as Error).message}`);
    }
  }
  return out;
}

function* corpusTenant(options: DemoOptions, tenantId: string, corpusDir: string): Generator<Pair> {
  const { seed, now } = options;
  const items = readCorpusAdvisories(corpusDir);
  const sources = [...new Set(items.map((i) => i.sourceKey))].sort();
  for (const [p, key] of sources.entries()) {
    const at = minutesBefore(now, 400 * 24 * 60 + p);
    yield pair(source, legacyDocument(source, { id: demoId('Concelier', 'source', tenantId, seed, `corpus|${key}`), tenantId, createdAt: at, updatedAt: at, key, displayName: key, kind: 'osv', baseUrl: null, enabled: true, priority: 100 + p }));
  }
  // Group by (source, id): the last file in path order is the advisory, earlier ones are superseded raws.
  const groups = new Map<string, CorpusAdvisory[]>();
  for (const item of items) {
    const k = `${item.sourceKey}\u0000${item.plan.advisory.advisoryKey}`;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  let n = 0;
  for (const group of groups.values()) {
    const current = group[group.length - 1]!;
    const at = minutesBefore(now, 24 * 60 + n++);
    const raws = group.map((g, i) => ({ ...g.raw, fetchedAt: minutesBefore(at, group.length - 1 - i), supersededAt: i === group.length - 1 ? null : minutesBefore(at, group.length - 2 - i) }));
    yield* advisoryDocuments(tenantId, seed, `corpus|${current.rel}`, current.plan, at, raws);
  }
}

/** The module's `demo`: synthetic documents for every tenant, then the corpus for the first. */
export function* concelierDemo(options: DemoOptions): Generator<Pair> {
  for (const tenantId of options.tenants) yield* syntheticTenant(options, tenantId);
  if (options.corpusDir && options.tenants.length > 0) yield* corpusTenant(options, options.tenants[0]!, options.corpusDir);
}
