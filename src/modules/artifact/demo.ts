import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { calculateObjectSize, type Document } from 'bson';
import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { corpusRelativePath, listCorpusFiles, readCorpusJson } from '../../corpus/index.js';
import { DemoRandom, demoId, legacyDocument, minutesBefore } from '../shared/demo-random.js';
import { artifact, sbomDocument, signature, tag } from './entities.js';
import { deriveSbomDocument, sbomContentHash } from './sbom-derive.js';
import { encodeDocument } from '../../mongo/document-codec.js';

/**
 * Artifact's legacy documents for `demo` and tests, deterministic in the options:
 * - per tenant: `count` artifacts (container images, archives...) with tags, signatures and a
 *   generated CycloneDX SBOM each;
 * - with `corpusDir`, for the FIRST tenant only: every CycloneDX SBOM of the corpus, exactly, its
 *   purl taken from `metadata.component.purl` (else `pkg:generic/corpus/<file stem>`).
 * A document whose legacy form would exceed MongoDB's 16 MiB limit cannot exist in the legacy store:
 * it is left out with a message on stderr naming the file and its size (never truncated); so is a
 * corpus file that cannot be read exactly.
 */

const MIB16 = 16 * 1024 * 1024;
type Pair = readonly [string, Document];

function warn(message: string): void {
  process.stderr.write(`artifact demo: ${message}\n`);
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * The legacy SBOM document, or null (reported) when it cannot exist in MongoDB. A document the
 * domain refuses (a non-string bomFormat...) is still produced, as legacy data can be: conversion
 * quarantines it with the reason.
 */
function sbomLegacy(entity: Record<string, unknown>, what: string): Document | null {
  let derived: Record<string, unknown> | null;
  try {
    derived = deriveSbomDocument(entity);
  } catch {
    derived = null;
  }
  const doc = derived ? legacyDocument(sbomDocument, { ...entity, ...derived }) : encodeDocument(sbomDocument, { ...entity, contentHash: sbomContentHash(entity.doc) }, null);
  const size = calculateObjectSize(doc);
  if (size >= MIB16) {
    warn(`${what}: legacy document of ${size} bytes exceeds MongoDB's 16 MiB limit; it cannot exist in the legacy store and is left out (not truncated)`);
    return null;
  }
  return doc;
}

const COMPONENTS = ['lodash', 'express', 'openssl', 'zlib', 'log4j-core', 'jackson-databind', 'netty', 'busybox'];

function syntheticSbom(r: DemoRandom, purl: string, i: number, now: Date): Record<string, unknown> {
  const components = Array.from({ length: r.int(2, 6) }, (_, k) => {
    const name = COMPONENTS[(i + k) % COMPONENTS.length]!;
    const version = `${r.int(0, 4)}.${r.int(0, 30)}.${r.int(0, 9)}`;
    return { type: 'library', 'bom-ref': `pkg:generic/${name}@${version}`, name, version, purl: `pkg:generic/${name}@${version}`, hashes: [{ alg: 'SHA-256', content: r.hex(64) }] };
  });
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: r.pick(['1.4', '1.5', '1.6']),
    serialNumber: `urn:uuid:${demoId('Artifact', 'sbom', purl, i, 'serial')}`,
    version: 1,
    metadata: { timestamp: new Date(now.getTime() - i * 60_000).toISOString(), component: { type: 'container', name: purl.split('/').pop(), purl }, tools: [{ name: 'stella-scanner', version: '1.0.0' }] },
    components,
    dependencies: [{ ref: components[0]!['bom-ref'], dependsOn: components.slice(1).map((c) => c['bom-ref']) }],
  };
}

function* syntheticTenant(options: DemoOptions, tenantId: string): Generator<Pair> {
  const { seed, now } = options;
  const r = new DemoRandom(seed, 'artifact', tenantId);
  const pair = (spec: EntitySpec, doc: Document): Pair => [spec.collection, doc];
  for (let i = 0; i < options.count; i++) {
    const at = minutesBefore(now, 60 * 24 * (i + 1) + r.int(0, 59));
    const std = (collection: string, k: number | string = i) => ({ id: demoId('Artifact', collection, tenantId, seed, k), tenantId, createdAt: at, updatedAt: at });
    const repository = `registry.example.org/team-${i % 3}/app-${i % 5}`;
    const digest = sha256(`${tenantId}|${seed}|artifact|${i}`);
    const purl = `pkg:oci/app-${i % 5}@${encodeURIComponent(digest)}?repository_url=${encodeURIComponent(repository)}`;
    const kind = r.pick(['container-image', 'container-image', 'oci-artifact', 'archive'] as const);
    yield pair(artifact, legacyDocument(artifact, { ...std('artifacts'), digest, kind, mediaType: kind === 'archive' ? 'application/gzip' : 'application/vnd.oci.image.manifest.v1+json', repository, purl: kind === 'archive' ? null : purl, sizeBytes: BigInt(r.int(1_000, 900_000_000)) * (i % 4 === 0 ? 8n : 1n), annotations: i % 2 ? { 'org.opencontainers.image.source': `https://git.example.org/app-${i % 5}`, 'org.opencontainers.image.revision': r.hex(40) } : null }, i % 3 === 1));
    yield pair(tag, legacyDocument(tag, { ...std('tags', `${i}|latest`), repository, name: `v1.${i}`, artifactDigest: digest }));
    if (i % 5 === i % 3) yield pair(tag, legacyDocument(tag, { ...std('tags', `${i}|stable`), repository, name: 'stable', artifactDigest: digest }));
    for (let k = 0; k < 1 + (i % 2); k++) {
      const signedAt = minutesBefore(at, -5 - k);
      yield pair(signature, legacyDocument(signature, { ...std('signatures', `${i}|${k}`), createdAt: signedAt, updatedAt: signedAt, artifactDigest: digest, keyId: `cosign:key-${k}`, algorithm: k ? 'ed25519' : 'ecdsa-p256-sha256', signature: Buffer.from(r.hex(128), 'hex'), payloadType: 'application/vnd.dsse.envelope.v1+json', issuer: k ? 'https://accounts.example.org' : null, signedAt, verifiedAt: i % 3 ? signedAt : null }));
    }
    if (kind !== 'archive') {
      const sbom = sbomLegacy({ ...std('sbom_documents'), artifactPurl: purl, doc: syntheticSbom(r, purl, i, now) }, `generated sbom ${i}`);
      if (sbom) yield pair(sbomDocument, sbom);
    }
  }
}

/** The purl a corpus SBOM describes: its metadata.component.purl, else one named after the file. */
export function corpusSbomPurl(doc: Record<string, unknown>, file: string): string {
  const metadata = doc.metadata as { component?: { purl?: unknown } } | undefined;
  const purl = metadata?.component?.purl;
  return typeof purl === 'string' && purl !== '' ? purl : `pkg:generic/corpus/${encodeURIComponent(basename(file, '.json'))}`;
}

function* corpusTenant(options: DemoOptions, tenantId: string, corpusDir: string): Generator<Pair> {
  const { seed, now } = options;
  const files = listCorpusFiles('sbom', undefined, corpusDir);
  const seen = new Map<string, string>();
  for (const [i, file] of files.entries()) {
    const rel = corpusRelativePath(file, corpusDir);
    let doc: Record<string, unknown>;
    try {
      doc = readCorpusJson(file) as Record<string, unknown>;
    } catch (err) {
      warn(`${rel}: left out: ${(err as Error).message}`);
      continue;
    }
    const hash = sbomContentHash(doc).toString('hex');
    if (seen.has(hash)) {
      warn(`${rel}: same canonical content as ${seen.get(hash)}; stored once per tenant (as an import would), left out`);
      continue;
    }
    seen.set(hash, rel);
    const at = minutesBefore(now, 30 + i);
    const entity = { id: demoId('Artifact', 'sbom_documents', tenantId, seed, `corpus|${rel}`), tenantId, createdAt: at, updatedAt: at, artifactPurl: corpusSbomPurl(doc, file), doc };
    const legacy = sbomLegacy(entity, rel);
    if (legacy) yield [sbomDocument.collection, legacy];
  }
}

/** The module's `demo`: generated documents for every tenant, then the corpus SBOMs for the first. */
export function* artifactDemo(options: DemoOptions): Generator<Pair> {
  for (const tenantId of options.tenants) yield* syntheticTenant(options, tenantId);
  if (options.corpusDir && options.tenants.length > 0) yield* corpusTenant(options, options.tenants[0]!, options.corpusDir);
}
