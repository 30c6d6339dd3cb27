import type { Command } from 'commander';
import { adminUrlOf, tenantPinsOf } from '../../config/persistence-config.js';
import { resolveTargets } from '../../conversion/conversion-runner.js';
import { ConversionOptionsError } from '../../conversion/errors.js';
import { ChangeFollower } from '../../follow/change-follower.js';
import type { FollowState } from '../../follow/follow-store.js';
import { ConfigError } from '../../interfaces/errors.js';
import { connectMongo } from '../../mongo/mongo-data-source.js';
import { attachTenantRegistry } from '../../mongo/tenant-keys.js';
import { withDataSource } from '../../postgres/migrations/data-source-for.js';
import { configFrom, err, ExitCode, out, positiveInt, UsageError, withConfigOption } from '../cli-support.js';

interface FollowFlags {
  module: string;
  collection?: string;
  init?: boolean;
  restart?: boolean;
  once?: boolean;
  intervalMs?: number;
  json?: boolean;
  config?: string;
}

function line(s: FollowState): string {
  const lag = s.state === 'lost' ? `LOST: ${s.lostReason}` : `lag ${s.lagMs} ms${s.caughtUpAt ? `, caught up ${s.caughtUpAt.toISOString()}` : ''}`;
  return `${s.module}/${s.collection}: applied ${s.eventsApplied}, skipped ${s.eventsSkipped}, quarantined ${s.eventsQuarantined}; ${lag}`;
}

/**
 * `follow --module M [--collection C] [--init [--restart]] [--once] [--interval-ms N] [--json]`:
 * catch-up from MongoDB change streams for writers that bypass the adapter. `--init` records where
 * each stream starts (run it before the backfill); without it, applies every change since the recorded
 * position, with the position, in one transaction per change. Exit 1 when a resume point is gone.
 */
export function registerFollow(program: Command): void {
  const cmd = program
    .command('follow')
    .description('Catch up changes made directly in MongoDB (change streams), resumably: --init before the backfill, then follow')
    .requiredOption('--module <module>', 'module to follow (e.g. Authority)')
    .option('--collection <collection>', 'one legacy collection of the module (default: all but tier C)')
    .option('--init', 'record where each change stream starts now (before `convert`); existing positions are kept')
    .option('--restart', 'with --init: start again from now (after a lost resume point; backfill again afterwards)')
    .option('--once', 'apply what is there, report, and stop (default: keep following until SIGINT/SIGTERM)')
    .option('--interval-ms <n>', 'pause when caught up (default: 500)', positiveInt('--interval-ms'))
    .option('--json', 'print the final report as JSON on stdout');
  withConfigOption(cmd).action(async (flags: FollowFlags) => {
    if (flags.restart && !flags.init) throw new UsageError('--restart goes with --init');
    const config = configFrom(flags, { mongo: true });
    let targets;
    try {
      targets = resolveTargets(flags.module, flags.collection);
    } catch (e) {
      if (e instanceof ConversionOptionsError) throw new UsageError(e.message);
      throw e;
    }
    const adminUrl = adminUrlOf(config);
    if (!adminUrl) throw new ConfigError('Postgres.AdminUrl (POSTGRES_ADMIN_URL) and Postgres.Url (POSTGRES_URL) are missing; follow writes PostgreSQL');
    const mongo = await connectMongo(config.Mongo.Url!, config.Mongo.Database);
    attachTenantRegistry(mongo.db, tenantPinsOf(config));
    try {
      await withDataSource(adminUrl, async (ds) => {
        const follower = new ChangeFollower({ ds, mongo, module: targets.module, entities: targets.entities, log: err });
        if (flags.init) {
          const states = await follower.init(Boolean(flags.restart));
          out(flags.json ? JSON.stringify({ collections: states }) : states.map(line).join('\n'));
          return;
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const report = await follower.run({ once: flags.once, intervalMs: flags.intervalMs, signal: stop.signal });
          out(flags.json ? JSON.stringify(report) : report.collections.map(line).join('\n'));
          if (report.lost.length) throw new ExitCode(1);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }, 'stellaops-follow');
    } finally {
      await mongo.close();
    }
  });
}
