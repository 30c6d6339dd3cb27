import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { PolicyTokens, type PolicyException, type PolicyExceptionRepository } from '../../interfaces/policy.js';
import type { TenantContext } from '../../interfaces/tenant-context.js';

/** Narrows `activeAt` to one subject; every given field must match exactly. */
export interface ExceptionSubject {
  readonly scope?: PolicyException['scope'];
  readonly vulnerabilityId?: string;
  readonly purl?: string;
  readonly artifactDigest?: string;
}

/**
 * True when the exception waives findings at `at`: approved, `effectiveFrom <= at < expiresAt`,
 * and not revoked at `at`. An exception expires exactly at `expiresAt`.
 */
export function isExceptionActive(e: PolicyException, at: Date): boolean {
  const t = at.getTime();
  return (
    e.status === 'approved' &&
    e.effectiveFrom.getTime() <= t &&
    t < e.expiresAt.getTime() &&
    (e.revokedAt === null || t < e.revokedAt.getTime())
  );
}

/**
 * Exceptions over the generic repository (the same answer on every backend).
 *
 * @example
 * const exceptions = runtime.container.resolve(PolicyExceptions);
 * const waivers = await exceptions.activeAt(ctx, new Date(), { vulnerabilityId: 'CVE-2025-1234' });
 */
@injectable()
export class PolicyExceptions {
  constructor(@inject(PolicyTokens.exception) private readonly exceptions: PolicyExceptionRepository) {}

  /**
   * Every exception active at `at` (see {@link isExceptionActive}), in the default order
   * (expiresAt, then id). Reads approved exceptions not yet expired, page by page, through the
   * partial index `ix_exception_active` on PostgreSQL.
   */
  async activeAt(ctx: TenantContext, at: Date, subject: ExceptionSubject = {}): Promise<PolicyException[]> {
    const out: PolicyException[] = [];
    let after: string | null = null;
    do {
      const page: { items: PolicyException[]; next: string | null } = await this.exceptions.list(ctx, {
        where: { status: 'approved', ...subject },
        // expiresAt > at, at millisecond precision.
        range: { field: 'expiresAt', gte: new Date(at.getTime() + 1) },
        order: 'default',
        limit: 500,
        after,
      });
      out.push(...page.items.filter((e) => isExceptionActive(e, at)));
      after = page.next;
    } while (after);
    return out;
  }
}
