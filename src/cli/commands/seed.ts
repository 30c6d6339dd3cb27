import type { Command } from 'commander';
import { connectMongo } from '../../mongo/mongo-data-source.js';
import { loadLegacyDocuments } from '../../mongo/legacy-loader.js';
import { MODULES } from '../../modules/registry.js';
import { configFrom, out, UsageError, withConfigOption } from '../cli-support.js';
import { readSeedFile } from '../seed-input.js';
import { collectionChecker, planSeed } from '../seed-plan.js';

/**
 * `seed`: loads canonical (or relaxed v2) Extended JSON legacy documents into the configured MongoDB
 * (real or memory:/folder). Every file is read and checked before anything is written: bad bytes,
 * bad JSON, lenient Extended JSON, unknown collections and conflicting `_id`s exit 2 naming the file
 * and the document (see seed-input.ts); nothing is loaded then.
 */
export function registerSeed(program: Command): void {
  withConfigOption(
    program
      .command('seed')
      .description('Load legacy documents (canonical Extended JSON) into the configured MongoDB (real or memory:/folder)')
      .argument('<files...>', 'Extended JSON files: { "<collection>": [docs] }, or with --collection an array / JSON lines')
      .option('--collection <name>', 'the collection every document of the files goes to')
      .option('--json', 'print the report as JSON'),
  ).action(async (files: string[], opts: { collection?: string; json?: boolean; config?: string }) => {
    const config = configFrom(opts, { mongo: true });
    if (config.Mongo.Url === 'memory:') {
      throw new UsageError('Mongo.Url "memory:" keeps nothing after this command ends; use memory:/some/folder so convert and verify see the same data');
    }
    const checkCollection = collectionChecker(MODULES);
    const unknown = opts.collection === undefined ? null : checkCollection(opts.collection);
    if (unknown) throw new UsageError(`--collection: ${unknown}`);
    const plan = planSeed(files.flatMap((f) => readSeedFile(f, opts.collection, checkCollection)));
    const mongo = await connectMongo(config.Mongo.Url!, config.Mongo.Database);
    try {
      const loaded = await loadLegacyDocuments(mongo.db, plan.entries);
      const collections = Object.fromEntries(
        Object.entries(loaded.collections)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, s]) => [name, { ...s, repeatedInInput: plan.repeated[name] ?? 0 }]),
      );
      if (opts.json) out(JSON.stringify({ collections }, null, 2));
      else {
        for (const [name, s] of Object.entries(collections)) {
          const repeats = s.repeatedInInput ? `, ${s.repeatedInInput} repeated identically in the input (loaded once)` : '';
          out(`${name}: ${s.inserted} inserted, ${s.alreadyPresent} already present${repeats}`);
        }
      }
    } finally {
      await mongo.close();
    }
  });
}
