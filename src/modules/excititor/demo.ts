import { createHash } from 'node:crypto';
import type { Document } from 'bson';
import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { VEX_STATUSES, type VexStatus } from '../../interfaces/excititor.js';
import type { UnknownAssertion, UnknownRecord } from '../../interfaces/unknowns.js';
import { planAssertion, subjectHashOf } from './unknowns/rules.js';
import { canonicalEntity } from '../../codec/canonical.js';
import { derivedUuid, idFromLegacyId } from '../../codec/ids.js';
import { validateEntity } from '../../codec/validate.js';
import { encodeDocument } from '../../mongo/document-codec.js';
import { loadVexCorpus } from './corpus-documents.js';
import {
  cacheEntry,
  consensus,
  linkset,
  observation,
  rawDocument,
  statement,
  timelineEvent,
  unknown,
  vexDecision,
  vexAuditLog,
  vexPackage,
  vulnFact,
} from './entities.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * A legacy ObjectId as the legacy services minted them (creation second first), made deterministic:
 * the other 8 bytes come from a hash of what the document is.
 */
export function demoObjectId(createdAt: Date, ...parts: (string | number)[]): string {
  const seconds = Math.floor(createdAt.getTime() / 1000).toString(16).padStart(8, '0');
  const rest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return `oid:${seconds}${rest}`;
}

/** The legacy document of a domain entity: validated against the declaration, in the legacy shape. */
export function legacyDocument(spec: EntitySpec, entity: Record<string, unknown>, legacyId: string): Document {
  const candidate: Record<string, unknown> = { ...entity, id: idFromLegacyId(spec.collection, legacyId) };
  if (spec.derive) Object.assign(candidate, spec.derive(candidate));
  return encodeDocument(spec, validateEntity(spec, candidate), legacyId);
}

/** A small deterministic generator (mulberry32) seeded from text. */
function rng(...seed: (string | number)[]): () => number {
  let a = createHash('sha256').update(JSON.stringify(seed)).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ECOSYSTEMS = ['npm', 'pypi', 'maven', 'golang', 'cargo'] as const;
const PROVIDERS = ['redhat', 'ubuntu', 'suse', 'github'] as const;
const KINDS = ['missing_vex', 'unresolved_purl', 'unknown_version'] as const;

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/**
 * Excititor's demo data, deterministic for a seed: every legacy collection of the module for every
 * tenant (about `count` documents each), with the tier-B windows exercised on both sides (old
 * processed raw documents and timeline events past retention stay behind), bitemporal Unknowns
 * histories, and, when `corpusDir` is set, the real VEX corpus (OpenVEX, CSAF, CycloneDX) for the
 * first tenant: raw documents and facts kept whole, their observations and statements.
 *
 * @example
 * for (const [collection, doc] of excititorDemo({ tenants: [t1], count: 10, seed: 1, now, corpusDir: null })) await db.collection(collection).insertOne(doc);
 */
export function* excititorDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const now = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  const n = Math.max(1, options.count);
  for (const [ti, tenantId] of options.tenants.entries()) {
    yield* tenantDemo(tenantId, ti, n, options.seed, now);
    if (ti === 0 && options.corpusDir) {
      for (const [collection, spec, entity, legacyId] of loadVexCorpus(options.corpusDir, tenantId, now)) {
        yield [collection, legacyDocument(spec, entity, legacyId)] as const;
      }
    }
  }
}

function* tenantDemo(tenantId: string, ti: number, n: number, seed: number, now: Date): Generator<readonly [string, Document]> {
  const random = rng(seed, tenantId);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const stamp = (at: Date) => ({ tenantId, createdAt: at, updatedAt: at });
  const doc = (spec: EntitySpec, entity: Record<string, unknown>, legacyId: string) => [spec.collection, legacyDocument(spec, entity, legacyId)] as const;

  // Packages: legacy ids are Binary UUIDs, which decisions and events reference as uuid strings.
  const packages: { id: string; purl: string }[] = [];
  for (let k = 0; k < n; k++) {
    const ecosystem = ECOSYSTEMS[k % ECOSYSTEMS.length]!;
    // Upper- and lower-case names, and a non-ASCII one: byte order differs from a locale's.
    const name = k % 6 === 0 ? `Démo-lib-${k}` : k % 3 === 0 ? `Zeta-${k}` : `lib-${String.fromCharCode(97 + (k % 26))}${k}`;
    const version = `${1 + (k % 4)}.${k % 10}.${Math.floor(random() * 20)}`;
    const id = derivedUuid('excititor-demo-package', String(seed), tenantId, String(k));
    const purl = `pkg:${ecosystem}/${name}@${version}`;
    packages.push({ id, purl });
    const at = new Date(now.getTime() - (n - k) * DAY);
    yield doc(vexPackage, { ...stamp(at), purl, name, ecosystem, version: k % 5 === 4 ? null : version }, `uuid:${id}`);
  }

  // Decisions and their timeline.
  for (let k = 0; k < n; k++) {
    const pkg = packages[k]!;
    const vulns = k % 3 === 0 ? 2 : 1;
    for (let j = 0; j < vulns; j++) {
      const vulnId = `CVE-2025-${String(10_000 + ((k * 7 + j * 13) % (5 * n))).padStart(5, '0')}`;
      const status = VEX_STATUSES[(k + j) % VEX_STATUSES.length] as VexStatus;
      const decidedAt = new Date(now.getTime() - (k * 5 + j + 1) * HOUR);
      const legacyId = demoObjectId(decidedAt, 'decision', seed, tenantId, k, j);
      const decisionId = idFromLegacyId(vexDecision.collection, legacyId);
      const decision = {
        ...stamp(decidedAt),
        packageId: pkg.id,
        vulnId,
        status,
        rationale: status === 'not_affected' ? 'vulnerable code not in execute path' : k % 2 ? null : `triaged by rota ${ti}`,
        proofRef: k % 4 === 0 ? `https://evidence.example.org/${k}/${j}` : null,
        decidedBy: k % 3 === 1 ? derivedUuid('excititor-demo-user', String(seed), String(k % 5)) : null,
        decidedAt,
      };
      yield doc(vexDecision, decision, legacyId);
      // The legacy service audited its decisions too (same shape as the repositories' audit rows).
      yield doc(vexAuditLog, {
        ...stamp(decidedAt), actorId: decision.decidedBy, action: 'insert', entityType: 'Excititor.vex_decision', entityId: decisionId, at: decidedAt,
        diff: { after: canonicalEntity(vexDecision, { ...decision, id: decisionId }) },
      }, demoObjectId(decidedAt, 'audit', seed, tenantId, k, j));
      const events = (k + j) % 4;
      for (let e = 0; e < events; e++) {
        // Distinct times per tenant (lists sorted by time alone never tie); every 10th pair has an
        // event past the 12-month retention, which tier B leaves behind.
        const old = k % 10 === 0 && e === 0;
        const occurredAt = new Date(decidedAt.getTime() - (old ? 400 * DAY : (e * 17 + 3) * MINUTE) - (k * 11 + j) * 1000);
        yield doc(timelineEvent, {
          ...stamp(occurredAt),
          packageId: pkg.id,
          vulnId,
          eventType: e === 0 ? 'decision_made' : e === 1 ? 'statement_ingested' : 'comment',
          decisionId: e === 0 ? decisionId : null,
          actorId: e === 2 ? derivedUuid('excititor-demo-user', String(seed), String(e)) : null,
          detail: { note: `event ${e} of ${vulnId}`, source: pick(PROVIDERS), tags: ['demo', `k${k}`] },
          occurredAt,
        }, demoObjectId(occurredAt, 'event', seed, tenantId, k, j, e));
      }
    }
  }

  // Statements, observations, linksets and consensus about a shared set of (vulnerability, product) pairs.
  for (let k = 0; k < n; k++) {
    const provider = PROVIDERS[k % PROVIDERS.length]!;
    const vulnerabilityId = `CVE-2024-${String(20_000 + (k % Math.max(1, Math.floor(n / 2)))).padStart(5, '0')}`;
    const productKey = packages[(k * 3) % n]!.purl;
    const status = VEX_STATUSES[(k * 3) % VEX_STATUSES.length] as VexStatus;
    const documentDigest = sha(`demo-doc|${seed}|${tenantId}|${k}`);
    const seenAt = new Date(now.getTime() - (k + 1) * 37 * MINUTE);
    yield doc(statement, {
      ...stamp(seenAt), providerId: provider, format: k % 3 === 0 ? 'openvex' : k % 3 === 1 ? 'csaf' : 'cyclonedx', documentDigest,
      vulnerabilityId, productKey, status,
      justification: status === 'not_affected' ? 'vulnerable_code_not_in_execute_path' : null,
      detail: k % 2 ? `Assessment ${k} — see advisory` : null,
      issued: `2025-0${1 + (k % 9)}-0${1 + (k % 9)}T10:00:00.${String(123456789 + k).slice(0, 9)}Z`,
      firstSeenAt: seenAt,
    }, demoObjectId(seenAt, 'statement', seed, tenantId, k));
    if (k % 2 === 0) {
      yield doc(observation, {
        ...stamp(seenAt), observationId: `${provider}:${documentDigest}`, providerId: provider, streamId: `${provider.toUpperCase()}-2025-${1000 + k}`,
        format: 'csaf', documentDigest, documentVersion: k % 4 === 0 ? null : String(1 + (k % 3)),
        vulnerabilityIds: [vulnerabilityId], productKeys: [productKey, `${productKey}?arch=x86_64`], statementCount: 2, observedAt: seenAt,
      }, demoObjectId(seenAt, 'observation', seed, tenantId, k));
    }
  }
  for (let k = 0; k < n; k++) {
    const vulnerabilityId = `CVE-2024-${String(30_000 + k).padStart(5, '0')}`;
    const productKey = packages[k]!.purl;
    const at = new Date(now.getTime() - (k + 1) * 53 * MINUTE);
    const agree = k % 3 !== 0;
    const providers = [PROVIDERS[k % 4]!, PROVIDERS[(k + 1) % 4]!].sort();
    yield doc(linkset, {
      ...stamp(at), linksetId: sha(`${vulnerabilityId}|${productKey}`), vulnerabilityId, productKey,
      providerIds: providers, observationIds: providers.map((p) => `${p}:${sha(`${p}|${k}`)}`),
      conflicts: agree ? [] : [{ providerId: providers[0], status: 'affected' }, { providerId: providers[1], status: 'not_affected' }],
    }, demoObjectId(at, 'linkset', seed, tenantId, k));
    yield doc(consensus, {
      ...stamp(at), vulnerabilityId, productKey, status: agree ? 'fixed' : 'under_investigation',
      sources: providers.map((p, i) => ({ providerId: p, status: agree ? 'fixed' : i ? 'not_affected' : 'affected', weight: 0.5 + i * 0.25 })),
      policyRevisionId: k % 2 ? `rev-${k}` : null, calculatedAt: at,
    }, demoObjectId(at, 'consensus', seed, tenantId, k));
  }

  // Raw documents: recent processed, old processed (left behind by tier B), old pending (kept).
  for (let k = 0; k < n; k++) {
    const old = k % 3 === 1;
    const retrievedAt = new Date(now.getTime() - (old ? 40 + k : 1 + (k % 20)) * DAY - k * MINUTE);
    const processedAt = k % 5 === 2 ? null : new Date(retrievedAt.getTime() + 90_000);
    const content = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': `https://vex.example.org/docs/${tenantId}/${k}`,
      author: 'Demo Security 🛡️',
      timestamp: `2025-06-0${1 + (k % 9)}T12:00:00.000000${k % 10}Z`,
      version: 1 + (k % 3),
      statements: [{ vulnerability: { name: `CVE-2025-${10_000 + k}` }, products: [{ '@id': packages[k]!.purl }], status: pick(VEX_STATUSES) }],
    };
    yield doc(rawDocument, {
      ...stamp(retrievedAt), digest: sha(JSON.stringify(content)), providerId: PROVIDERS[k % 4]!, format: 'openvex',
      sourceUri: k % 4 === 3 ? null : `https://vex.example.org/feeds/${k}.json`, content, retrievedAt, processedAt,
    }, demoObjectId(retrievedAt, 'raw', seed, tenantId, k));
  }

  // Cache entries (tier C: never converted).
  for (let k = 0; k < Math.ceil(n / 2); k++) {
    const at = new Date(now.getTime() - k * MINUTE);
    yield doc(cacheEntry, { ...stamp(at), cacheKey: `consensus:${packages[k]!.purl}`, payload: { hits: k, statuses: ['fixed'] }, expiresAt: new Date(at.getTime() + HOUR) },
      demoObjectId(at, 'cache', seed, tenantId, k));
  }

  // Immutable facts: one version each (updatedAt = createdAt).
  for (let k = 0; k < n; k++) {
    const receivedAt = new Date(now.getTime() - (k + 1) * 71 * MINUTE);
    const payload = {
      $schema: 'https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json',
      document: { category: 'csaf_vex', csaf_version: '2.0', title: `Demo advisory ${k} ✓`, tracking: { id: `DEMO-${ti}-${k}`, version: String(1 + (k % 2)) } },
      vulnerabilities: [{ cve: `CVE-2025-${10_000 + k}`, product_status: { [k % 2 ? 'fixed' : 'known_affected']: [`PID-${k}`] }, scores: [{ cvss_v3: { baseScore: 5 + (k % 5) / 2 } }] }],
    };
    yield doc(vulnFact, { ...stamp(receivedAt), source: k % 2 ? 'csaf' : 'openvex', externalId: k % 5 === 0 ? null : `DEMO-${ti}-${k}`, payload, schemaVersion: 1 + (k % 2), receivedAt },
      demoObjectId(receivedAt, 'fact', seed, tenantId, k));
  }

  // Bitemporal Unknowns: each subject's history as the repository would have written it.
  for (let k = 0; k < Math.ceil(n / 2); k++) {
    const subjectHash = subjectHashOf({ purl: packages[k]!.purl, vuln: `CVE-2025-${10_000 + k}` });
    const kind = KINDS[k % KINDS.length]!;
    const t0 = new Date(now.getTime() - (30 - (k % 7)) * DAY - k * MINUTE);
    const steps: { at: Date; assertion: UnknownAssertion }[] = [
      { at: t0, assertion: { subjectHash, kind, context: { reason: 'no VEX statement', severity: 'high' }, validFrom: t0 } },
    ];
    if (k % 2 === 0) {
      const t1 = new Date(t0.getTime() + 5 * DAY);
      steps.push({ at: t1, assertion: { subjectHash, kind, context: { reason: 'statement under investigation', severity: 'medium' }, validFrom: t1 } });
    }
    if (k % 3 === 0) {
      // A correction of the past: we learn at t2 that the subject was already known 2 days after t0.
      const t2 = new Date(t0.getTime() + 9 * DAY);
      steps.push({ at: t2, assertion: { subjectHash, kind, context: null, validFrom: new Date(t0.getTime() + 2 * DAY) } });
    } else if (k % 4 === 1) {
      const t3 = new Date(t0.getTime() + 12 * DAY);
      steps.push({ at: t3, assertion: { subjectHash, kind, context: null, validFrom: t3 } });
    }
    for (const row of simulateHistory(tenantId, steps, (i) => demoObjectId(t0, 'unknown', seed, tenantId, k, i))) {
      yield [unknown.collection, legacyDocument(unknown, row.entity, row.legacyId)] as const;
    }
  }
}

/**
 * Runs assertions through {@link planAssertion} in memory, as the bitemporal repositories do, and
 * returns every row version (closed ones with their sysTo) with deterministic legacy ids.
 */
export function simulateHistory(
  tenantId: string,
  steps: readonly { at: Date; assertion: UnknownAssertion }[],
  legacyIdOf: (i: number) => string,
): { entity: Record<string, unknown>; legacyId: string }[] {
  const rows: { entity: UnknownRecord; legacyId: string }[] = [];
  for (const { at, assertion } of steps) {
    const believed = rows.filter((r) => r.entity.sysTo === null).map((r) => r.entity);
    const plan = planAssertion('Excititor.unknown', believed, assertion);
    for (const c of plan.close) {
      const r = rows.find((x) => x.entity.id === c.id)!;
      r.entity = { ...r.entity, sysTo: at, updatedAt: at };
    }
    for (const p of plan.open) {
      const legacyId = legacyIdOf(rows.length);
      rows.push({
        legacyId,
        entity: {
          id: idFromLegacyId(unknown.collection, legacyId), tenantId, createdAt: at, updatedAt: at,
          subjectHash: assertion.subjectHash, kind: assertion.kind, context: p.context, validFrom: p.validFrom, validTo: p.validTo, sysFrom: at, sysTo: null,
        },
      });
    }
  }
  return rows.map((r) => ({ entity: r.entity as unknown as Record<string, unknown>, legacyId: r.legacyId }));
}
