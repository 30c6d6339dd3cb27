import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { JsonObject, VulnFact, VulnFactRepository } from '../../interfaces/excititor.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';
import { factContentHash } from './vuln-fact-rules.js';

/** A fact to record; its contentHash is computed from the payload. */
export interface NewVulnFact {
  readonly source: string;
  readonly externalId?: string | null;
  readonly payload: JsonObject;
  readonly schemaVersion: number;
  readonly receivedAt: Date;
}

/**
 * Records an immutable fact idempotently (docs/postgres-patterns.md §3.1, §3.2: imports are idempotent by content hash per
 * tenant): the first call stores it, every later call with the same payload returns that fact
 * unchanged (`created: false`), whatever its source or time. Works on every backend, concurrent
 * importers included (the unique key decides; the loser reads the winner's fact).
 *
 * @example
 * const facts = container.get<VulnFactRepository>(ExcititorTokens.vuln_fact);
 * const { fact, created } = await recordFact(facts, ctx, { source: 'openvex', externalId: doc['@id'], payload: doc, schemaVersion: 1, receivedAt: new Date() });
 */
export async function recordFact(repo: VulnFactRepository, ctx: TenantContext, input: NewVulnFact): Promise<{ fact: VulnFact; created: boolean }> {
  const contentHash = factContentHash(input.payload);
  const existing = await repo.findOne(ctx, { contentHash });
  if (existing) return { fact: existing, created: false };
  try {
    const fact = await repo.insert(ctx, {
      source: input.source,
      externalId: input.externalId ?? null,
      payload: input.payload,
      schemaVersion: input.schemaVersion,
      receivedAt: input.receivedAt,
      contentHash,
    });
    return { fact, created: true };
  } catch (err) {
    if (err instanceof DuplicateKeyError) {
      const winner = await repo.findOne(ctx, { contentHash });
      if (winner) return { fact: winner, created: false };
    }
    throw err;
  }
}
