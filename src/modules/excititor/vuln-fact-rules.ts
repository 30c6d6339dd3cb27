import { canonicalJson, sha256Hex } from '../../codec/canonical.js';
import { ImmutableFactError } from '../../interfaces/excititor.js';
import { ValidationError } from '../../interfaces/errors.js';

const ENTITY = 'Excititor.vuln_fact';

/** `sha256:<hex>` of the RFC 8785 canonical JSON of a fact's payload: its identity per tenant. */
export function factContentHash(payload: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(payload))}`;
}

/**
 * The `derive` of `vex.vuln_fact`, which every backend runs on every create, every update and every
 * legacy decode (codec/entity-lifecycle, mongo/document-codec):
 *
 * - `contentHash` is computed from the payload, never trusted from input: a caller or a legacy
 *   document carrying another hash is refused (nothing is silently altered);
 * - a fact has exactly one version, so its `updatedAt` always equals its `createdAt`: an update
 *   (which bumps `updatedAt`) is refused with {@link ImmutableFactError} before anything is written,
 *   on Mongo, Postgres and DualWrite alike. PostgreSQL also refuses it in a trigger, whatever the path.
 */
export function vulnFactDerive(entity: Record<string, unknown>): Record<string, unknown> {
  const created = entity.createdAt;
  const updated = entity.updatedAt;
  if (created instanceof Date && updated instanceof Date && created.getTime() !== updated.getTime()) {
    throw new ImmutableFactError(
      ENTITY,
      `vuln facts are immutable: fact ${String(entity.id)} was recorded at ${created.toISOString()} and cannot be changed; record a new fact instead`,
    );
  }
  if (entity.payload === undefined || entity.payload === null) return {};
  let hash: string;
  try {
    hash = factContentHash(entity.payload);
  } catch {
    return {}; // not JSON: validation names the field
  }
  if (typeof entity.contentHash === 'string' && entity.contentHash !== hash) {
    throw new ValidationError(ENTITY, 'contentHash', `does not match the payload (given ${entity.contentHash}, payload hashes to ${hash})`);
  }
  return { contentHash: hash };
}
