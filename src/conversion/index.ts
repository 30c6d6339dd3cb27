/**
 * The conversion engine (docs/design.md §8), written once for every module: it reads only the entity
 * declarations (collection, fields, tier) and the module's migrations.
 *
 * @example
 * import { runConversion, formatSummary } from './conversion/index.js';
 * const report = await runConversion({ config, module: 'Authority', tier: 'auto', batchSize: 1000 });
 * for (const c of report.collections) formatSummary(c).forEach((l) => console.log(l));
 */
export { runConversion, resolveTargets, type ConversionOptions } from './conversion-runner.js';
export { formatSummary, type CollectionSummary, type ConversionReport } from './summary.js';
export { ConversionOptionsError, ConversionFailedError } from './errors.js';
export { TIER_OPTIONS, effectiveTier, type TierOption, type EffectiveTier } from './tiers.js';
export type { ProgressMode } from './progress.js';
export { isTransient, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
