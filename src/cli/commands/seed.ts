import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EJSON, type Document } from 'bson';
import { parseExactJson } from '../../corpus/exact-json.js';
import { connectMongo } from '../../mongo/mongo-data-source.js';
import { loadLegacyDocuments } from '../../mongo/legacy-loader.js';
import { configFrom, out, UsageError, withConfigOption } from '../cli-support.js';

/**
 * Reads legacy documents from canonical Extended JSON files. Accepted shapes:
 * `{ "<collection>": [doc, ...], ... }` (several collections), or with `--collection C` an array of
 * documents or one document per line (JSON lines). Plain numbers that JSON would round are refused.
 */
export function readSeedFile(path: string, collection: string | undefined): [string, Document][] {
  const text = readFileSync(path, 'utf8');
  const trimmed = text.trimStart();
  const parse = (chunk: string, where: string): unknown => {
    parseExactJson(chunk, where); // refuses silent precision loss before EJSON reads the numbers
    return EJSON.parse(chunk, { relaxed: false });
  };
  if (collection) {
    const docs: unknown[] = trimmed.startsWith('[')
      ? (parse(text, path) as unknown[])
      : text.split('\n').map((l, i) => [l, i] as const).filter(([l]) => l.trim()).map(([l, i]) => parse(l, `${path}:${i + 1}`));
    return docs.map((d, i) => {
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new UsageError(`${path}: document ${i + 1} is not an object`);
      return [collection, d as Document];
    });
  }
  const parsed = parse(text, path);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${path}: expected { "<collection>": [documents] } (or pass --collection for an array / JSON lines)`);
  }
  const entries: [string, Document][] = [];
  for (const [name, docs] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(docs)) throw new UsageError(`${path}: "${name}" must be an array of documents`);
    for (const d of docs) entries.push([name, d as Document]);
  }
  return entries;
}

/** `seed`: loads canonical Extended JSON legacy documents into the configured MongoDB (real or memory:). */
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
    const entries = files.flatMap((f) => readSeedFile(f, opts.collection));
    const mongo = await connectMongo(config.Mongo.Url!, config.Mongo.Database);
    try {
      const report = await loadLegacyDocuments(mongo.db, entries);
      if (opts.json) out(JSON.stringify(report, null, 2));
      else for (const [name, s] of Object.entries(report.collections).sort()) out(`${name}: ${s.inserted} inserted, ${s.alreadyPresent} already present`);
    } finally {
      await mongo.close();
    }
  });
}
