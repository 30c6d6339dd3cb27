import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { corpusRelativePath, listCorpusFiles, readCorpusJson } from '../../corpus/index.js';
import type { EntitySpec } from '../../interfaces/entity-spec.js';
import { VEX_FORMATS, type VexFormat } from '../../interfaces/excititor.js';
import { observation, rawDocument, statement, vulnFact } from './entities.js';
import { factContentHash } from './vuln-fact-rules.js';
import { summarizeVexDocument } from './vex-documents.js';

/** One real VEX document of the corpus, read exactly. */
export interface VexCorpusFile {
  readonly format: VexFormat;
  /** Path relative to the corpus root (`vex/csaf/...`). */
  readonly relativePath: string;
  /** `sha256:<hex>` of the file's bytes. */
  readonly digest: string;
  /** The parsed document (readCorpusJson refuses anything a JS value would not carry exactly). */
  readonly document: Record<string, unknown>;
}

/** Every VEX document of the corpus, in the corpus reader's order: openvex, csaf, cyclonedx folders. */
export function readVexCorpus(root: string): VexCorpusFile[] {
  const out: VexCorpusFile[] = [];
  for (const format of [...VEX_FORMATS].sort()) {
    for (const path of listCorpusFiles('vex', format, root)) {
      const document = readCorpusJson(path);
      if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Error(`${path}: a VEX document must be a JSON object`);
      out.push({
        format,
        relativePath: corpusRelativePath(path, root),
        digest: `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`,
        document: document as Record<string, unknown>,
      });
    }
  }
  return out;
}

/** The provider a corpus file stands for: its format and the project it comes from (file name prefix). */
export function corpusProvider(file: VexCorpusFile): string {
  const name = file.relativePath.split('/').pop()!;
  return `${file.format}:${name.split('__')[0]}`;
}

/**
 * The legacy documents the corpus becomes for one tenant: each VEX document kept WHOLE as the
 * content of a `vex.raw` document and as the payload of a `vex.vuln_facts` fact (once per distinct
 * payload: facts are unique by content hash), plus its observation and its statements. Yields
 * [collection, entity declaration, domain entity, legacy id]; legacy ids are deterministic.
 */
export function* loadVexCorpus(root: string, tenantId: string, now: Date): Generator<readonly [string, EntitySpec, Record<string, unknown>, string]> {
  const facts = new Set<string>();
  for (const [i, file] of readVexCorpus(root).entries()) {
    const provider = corpusProvider(file);
    const retrievedAt = new Date(now.getTime() - (i + 1) * 60_000);
    const processedAt = new Date(retrievedAt.getTime() + 1000);
    const stamp = { tenantId, createdAt: retrievedAt, updatedAt: retrievedAt };
    const idOf = (kind: string, extra = '') => `str:corpus:${kind}:${file.relativePath}${extra}`;

    yield [rawDocument.collection, rawDocument, {
      ...stamp, updatedAt: processedAt, digest: file.digest, providerId: provider, format: file.format,
      sourceUri: `corpus:${file.relativePath}`, content: file.document, retrievedAt, processedAt,
    }, idOf('raw')] as const;

    const summary = summarizeVexDocument(file.format, file.document);
    const hash = factContentHash(file.document);
    if (!facts.has(hash)) {
      facts.add(hash);
      yield [vulnFact.collection, vulnFact, {
        ...stamp, source: file.format, externalId: summary.streamId, payload: file.document, schemaVersion: 1, receivedAt: retrievedAt, contentHash: hash,
      }, idOf('fact')] as const;
    }

    const sorted = (xs: string[]) => [...new Set(xs)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    yield [observation.collection, observation, {
      ...stamp, observationId: `${provider}:${file.digest}`, providerId: provider, streamId: summary.streamId ?? file.relativePath,
      format: file.format, documentDigest: file.digest, documentVersion: summary.version,
      vulnerabilityIds: sorted(summary.claims.map((c) => c.vulnerabilityId)), productKeys: sorted(summary.claims.map((c) => c.productKey)),
      statementCount: summary.claims.length, observedAt: retrievedAt,
    }, idOf('observation')] as const;

    for (const [j, c] of summary.claims.entries()) {
      yield [statement.collection, statement, {
        ...stamp, providerId: provider, format: file.format, documentDigest: file.digest, vulnerabilityId: c.vulnerabilityId, productKey: c.productKey,
        status: c.status, justification: c.justification, detail: c.detail, issued: c.issued, firstSeenAt: retrievedAt,
      }, idOf('statement', `#${j}`)] as const;
    }
  }
}
