import type { EntitySpec } from '../interfaces/entity-spec.js';
import { ConversionOptionsError } from './errors.js';

/** `--tier`: `auto` takes each entity's declared tier. */
export type TierOption = 'auto' | 'A' | 'B' | 'C';

export const TIER_OPTIONS: readonly TierOption[] = ['auto', 'A', 'B', 'C'];

/** The tier a job runs with, with the tier-B predicate when there is one. */
export type EffectiveTier =
  | { readonly tier: 'A' }
  | { readonly tier: 'B'; readonly description: string; readonly keep: (entity: Record<string, unknown>, now: Date) => boolean }
  | { readonly tier: 'C'; readonly description: string };

/**
 * Resolves `--tier` for one entity. Forcing B on an entity without a tier-B predicate is a usage
 * error (there is no window to apply); forcing A or C is always possible.
 *
 * @example
 * effectiveTier(loginAttempt, 'auto'); // { tier: 'B', description: 'attempts of the last 90 days...', keep }
 */
export function effectiveTier(spec: EntitySpec, option: TierOption): EffectiveTier {
  if (option === 'auto') return spec.tier;
  if (option === 'A') return { tier: 'A' };
  if (option === 'C') return { tier: 'C', description: spec.tier.tier === 'C' ? spec.tier.description : 'forced by --tier C: schema only' };
  if (spec.tier.tier !== 'B') {
    throw new ConversionOptionsError(
      `--tier B: ${spec.module}/${spec.collection} declares tier ${spec.tier.tier} and has no tier-B predicate; allowed: auto, A, C`,
    );
  }
  return spec.tier;
}
