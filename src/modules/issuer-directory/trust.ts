import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { IssuerDirectoryTokens, type IssuerRepository, type TrustOverride, type TrustOverrideRepository } from '../../interfaces/issuer-directory.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';

/** The trust a tenant places in an issuer at a time, and where it comes from. */
export interface EffectiveTrust {
  readonly issuerId: string;
  readonly weight: number;
  readonly trust: TrustOverride['trust'] | 'default';
  /** `override` when the tenant's override applies, `issuer` for the issuer's default weight. */
  readonly source: 'override' | 'issuer';
}

/** An override applies until `expiresAt` (exclusive); one without expiry always applies. */
export function isOverrideActive(o: TrustOverride, at: Date): boolean {
  return o.expiresAt === null || at.getTime() < o.expiresAt.getTime();
}

/**
 * Trust resolution over the generic repositories (the same on every backend): the tenant's
 * override while it applies, else the issuer's default weight; a disabled issuer weighs 0.
 *
 * @example
 * const trust = runtime.container.resolve(IssuerTrust);
 * const t = await trust.effectiveTrust(ctx, 'redhat', new Date()); // { weight: 0.9, source: 'override', ... }
 */
@injectable()
export class IssuerTrust {
  constructor(
    @inject(IssuerDirectoryTokens.issuer) private readonly issuers: IssuerRepository,
    @inject(IssuerDirectoryTokens.trust_override) private readonly overrides: TrustOverrideRepository,
  ) {}

  /** Null when the tenant knows no such issuer. */
  async effectiveTrust(ctx: TenantContext, issuerId: string, at: Date): Promise<EffectiveTrust | null> {
    const issuer = await this.issuers.findOne(ctx, { issuerId });
    if (!issuer) return null;
    if (!issuer.enabled) return { issuerId, weight: 0, trust: 'untrusted', source: 'issuer' };
    const override = await this.overrides.findOne(ctx, { issuerId });
    if (override && isOverrideActive(override, at)) return { issuerId, weight: override.weight, trust: override.trust, source: 'override' };
    return { issuerId, weight: issuer.defaultWeight, trust: 'default', source: 'issuer' };
  }
}
