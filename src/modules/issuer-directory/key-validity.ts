import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { IssuerDirectoryTokens, type IssuerKey, type IssuerKeyRepository } from '../../interfaces/issuer-directory.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';

/**
 * Whether a key may verify a signature made at `at`:
 * - `validFrom <= at` (valid from its first millisecond);
 * - `at < validTo` when it has one (expired exactly at `validTo`);
 * - not revoked at `at`: `at < revokedAt` (revoked exactly at `revokedAt`);
 * - never when revoked for `keyCompromise`: nothing the key ever signed can be trusted.
 */
export function isKeyValidAt(key: IssuerKey, at: Date): boolean {
  const t = at.getTime();
  if (Number.isNaN(t)) throw new TypeError('isKeyValidAt: invalid Date');
  if (key.validFrom.getTime() > t) return false;
  if (key.validTo !== null && t >= key.validTo.getTime()) return false;
  if (key.revokedAt !== null && (key.revocationReason === 'keyCompromise' || t >= key.revokedAt.getTime())) return false;
  return true;
}

/**
 * Key lookups over the generic repository, so they answer the same on Mongo, Postgres and
 * DualWrite. The fingerprint lookup is a unique-key lookup (indexed on both stores).
 *
 * @example
 * const keys = runtime.container.resolve(IssuerKeyLookup);
 * const key = await keys.findValidKey(ctx, 'sha256:9f2c...', new Date('2026-01-10T12:00:00Z'));
 * if (!key) throw new Error('unknown, revoked, expired or not yet valid signing key');
 */
@injectable()
export class IssuerKeyLookup {
  constructor(@inject(IssuerDirectoryTokens.issuer_key) private readonly keys: IssuerKeyRepository) {}

  /** The key with this fingerprint when it is valid at `at` (see {@link isKeyValidAt}); otherwise null. */
  async findValidKey(ctx: TenantContext, fingerprint: string, at: Date): Promise<IssuerKey | null> {
    const key = await this.keys.findOne(ctx, { fingerprint });
    return key && isKeyValidAt(key, at) ? key : null;
  }

  /** Every key of an issuer, newest `validFrom` first (the default order), valid or not. */
  async keysOf(ctx: TenantContext, issuerId: string): Promise<IssuerKey[]> {
    const out: IssuerKey[] = [];
    let after: string | null = null;
    do {
      const page: { items: IssuerKey[]; next: string | null } = await this.keys.list(ctx, { where: { issuerId }, order: 'default', limit: 500, after });
      out.push(...page.items);
      after = page.next;
    } while (after);
    return out;
  }

  /** The keys of an issuer valid at `at`, newest `validFrom` first. */
  async validKeysOf(ctx: TenantContext, issuerId: string, at: Date): Promise<IssuerKey[]> {
    return (await this.keysOf(ctx, issuerId)).filter((k) => isKeyValidAt(k, at));
  }
}
