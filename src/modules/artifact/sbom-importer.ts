import type { SbomDocument } from '../../interfaces/artifact.js';
import type { EntityRepository } from '../../interfaces/repository.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { sbomContentHash } from './sbom-derive.js';

/**
 * Idempotent SBOM import by content hash (docs/postgres-patterns.md §3.1, source of truth): the same document
 * (after RFC 8785 canonicalisation, so key order and `5.0` vs `5` do not matter) is stored once per
 * tenant; importing it again returns the stored row, whatever purl it is imported under.
 *
 * @example
 * const importer = new SbomImporter(sbomRepository);
 * const { outcome } = await importer.import(ctx, 'pkg:npm/juice-shop@14.1.1', cyclonedx); // 'created'
 */
export class SbomImporter {
  constructor(private readonly sboms: EntityRepository<SbomDocument>) {}

  async import(ctx: TenantContext, artifactPurl: string, doc: Record<string, unknown>): Promise<{ outcome: 'created' | 'unchanged'; document: SbomDocument }> {
    const contentHash = sbomContentHash(doc);
    const existing = await this.sboms.findOne(ctx, { contentHash });
    if (existing) return { outcome: 'unchanged', document: existing };
    try {
      return { outcome: 'created', document: await this.sboms.insert(ctx, { artifactPurl, contentHash, doc } as never) };
    } catch (err) {
      // A concurrent import of the same document won the race: that is the same outcome.
      if (err instanceof DuplicateKeyError) {
        const winner = await this.sboms.findOne(ctx, { contentHash });
        if (winner) return { outcome: 'unchanged', document: winner };
      }
      throw err;
    }
  }
}
