import type { PersistenceConfig } from '../config/persistence-config.js';
import type { ModuleDefinition } from '../interfaces/module-definition.js';
import { connectMongo } from '../mongo/mongo-data-source.js';
import { resolveSelection } from '../parity/run-verify.js';
import { profileCollection } from './collection-profile.js';
import { profileReport, type ProfileReport } from './profile-report.js';

export { profileCollection, duplicateReason, type CollectionProfile } from './collection-profile.js';
export { formatProfile, profileReport, type ProfileReport } from './profile-report.js';
export { reasonGroup, ReasonGroups, stableReason, type ReasonGroupSummary } from './reason-groups.js';
export type { FieldProfile, TypeCount } from './field-summary.js';
export type { UniqueKeyDuplicates, DuplicateExample } from './unique-keys.js';

export interface ProfileOptions {
  readonly config: PersistenceConfig;
  readonly module: string | ModuleDefinition;
  /** Legacy collections (or entity names); default: every collection of the module. */
  readonly collections?: readonly string[] | null;
  readonly sample?: number | null;
  readonly referenceTime?: Date;
  readonly examples?: number;
  readonly log?: (line: string) => void;
}

/**
 * `profile`: reads the module's legacy collections (never writes) and reports, per collection,
 * what conversion would do with them. Throws VerifySelectionError for an unknown module or collection.
 *
 * @example
 * const report = await runProfile({ config, module: 'Authority', sample: 10_000 });
 * formatProfile(report).forEach((l) => console.log(l));
 */
export async function runProfile(options: ProfileOptions): Promise<ProfileReport> {
  const { module, entities } = resolveSelection(options.module, options.collections ?? null);
  const referenceTime = options.referenceTime ?? new Date();
  const sample = options.sample ?? null;
  const mongo = await connectMongo(options.config.Mongo.Url!, options.config.Mongo.Database);
  try {
    const collections = [];
    for (const spec of entities) {
      options.log?.(`profiling ${module.name}/${spec.collection}`);
      const profile = await profileCollection({
        db: mongo.db,
        spec,
        referenceTime,
        sample,
        examples: options.examples,
        onProgress: (n) => options.log?.(`${module.name}/${spec.collection}: ${n} documents read`),
      });
      options.log?.(`${module.name}/${spec.collection}: ${profile.documents} documents, would convert ${profile.wouldConvert}, skipped by tier ${profile.skippedByTier}, quarantined ${profile.quarantined}`);
      collections.push(profile);
    }
    return profileReport(module.name, referenceTime, sample, collections);
  } finally {
    await mongo.close();
  }
}
