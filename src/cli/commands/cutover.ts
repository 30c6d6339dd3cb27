import type { Command } from 'commander';
import { adminUrlOf } from '../../config/persistence-config.js';
import { migrationSetsFor } from '../../container/migration-sets.js';
import { checksFor, runChecks, type CheckContext } from '../../cutover/cutover-checks.js';
import { describeConfig, isPhase, PHASE_CONFIG, PHASE_WORK, PHASES, phaseIndex, type Phase } from '../../cutover/cutover-phases.js';
import { readCutover, recordMove, type CheckResult } from '../../cutover/cutover-store.js';
import { ConfigError } from '../../interfaces/errors.js';
import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { MODULES, moduleByName, unknownModuleMessage } from '../../modules/registry.js';
import { connectMongo, type MongoDataSource } from '../../mongo/mongo-data-source.js';
import type { PostgresDataSource } from '../../postgres/data-source.js';
import { withDataSource } from '../../postgres/migrations/data-source-for.js';
import { runMigrations } from '../../postgres/migrations/index.js';
import { configFrom, ExitCode, out, positiveInt, UsageError, withConfigOption } from '../cli-support.js';

interface CutoverFlags {
  module?: string[] | string;
  to?: string;
  maxLagMs?: number;
  maxVerifyAgeMinutes?: number;
  reports?: string;
  json?: boolean;
  config?: string;
}

const DEFAULT_MAX_LAG_MS = 5000;
const DEFAULT_MAX_VERIFY_AGE_MINUTES = 60;

function moduleNamed(name: string): ModuleDefinition {
  const m = moduleByName(name);
  if (!m) throw new UsageError(unknownModuleMessage(name));
  return m;
}

function printChecks(checks: readonly CheckResult[]): void {
  for (const c of checks) out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
}

/**
 * `cutover status|advance|rollback`: a module's move from MongoDB to PostgreSQL as phases the tool
 * knows (mongo -> dualwrite-mongo -> backfill -> verified -> dualwrite-postgres -> postgres). `advance`
 * and `rollback` check the move's preconditions and record it, or refuse naming each failed check
 * (exit 1); the configuration change stays the operator's act, and the command says what to set.
 */
export function registerCutover(program: Command): void {
  const cutover = program.command('cutover').description('Where each module stands in its cutover, and checked moves between phases');
  const common = (cmd: Command) =>
    withConfigOption(
      cmd
        .option('--max-lag-ms <n>', `bound on follow lag and on the age of pending DualWrite records (default ${DEFAULT_MAX_LAG_MS})`, positiveInt('--max-lag-ms'))
        .option('--max-verify-age-minutes <n>', `how old the last clean verify may be (default ${DEFAULT_MAX_VERIFY_AGE_MINUTES})`, positiveInt('--max-verify-age-minutes'))
        .option('--reports <dir>', 'folder of verify reports (default: reports)')
        .option('--json', 'print JSON on stdout'),
    );

  common(cutover.command('status').description('Each module\'s phase, its configuration, and the checks of its next move').option('--module <module...>', 'modules (default: all)')).action(
    (flags: CutoverFlags) =>
      withContext(flags, async (base) => {
        const names = flags.module ? ([] as string[]).concat(flags.module) : MODULES.map((m) => m.name);
        const rows = [];
        for (const name of names) {
          const module = moduleNamed(name);
          const rec = await readCutover(base.ds, module.name);
          const next = PHASES[phaseIndex(rec.phase) + 1] as Phase | undefined;
          const plan = next ? checksFor(rec.phase, next) : null;
          const checks = plan && 'checks' in plan ? await runChecks(plan.checks, { ...base, module }) : [];
          rows.push({ module: module.name, phase: rec.phase, enteredAt: rec.enteredAt, runs: describeConfig(PHASE_CONFIG[rec.phase]), next: next ?? null, nextReady: checks.every((c) => c.ok), checks, work: PHASE_WORK[rec.phase] });
        }
        if (flags.json) {
          out(JSON.stringify({ modules: rows }));
          return;
        }
        for (const r of rows) {
          out(`${r.module}: ${r.phase} (services run ${r.runs})${r.enteredAt ? ` since ${r.enteredAt.toISOString()}` : ''}`);
          out(`  ${r.work}`);
          if (r.next) {
            out(`  next: ${r.next}${r.nextReady ? ' (ready)' : ' (not ready)'}`);
            printChecks(r.checks);
          }
        }
      }),
  );

  const move = (kind: 'advance' | 'rollback') =>
    common(
      cutover
        .command(kind)
        .description(kind === 'advance' ? 'Move a module to its next phase once the preconditions hold' : 'Move a module back to an earlier phase, when MongoDB holds every write')
        .requiredOption('--module <module>', 'the module')
        [kind === 'advance' ? 'option' : 'requiredOption']('--to <phase>', `target phase: ${PHASES.join(', ')}${kind === 'advance' ? ' (default: the next one)' : ''}`),
    ).action((flags: CutoverFlags) =>
      withContext(flags, async (base) => {
        const module = moduleNamed(String(flags.module));
        const rec = await readCutover(base.ds, module.name);
        const to = flags.to ?? PHASES[phaseIndex(rec.phase) + 1];
        if (!isPhase(to)) throw new UsageError(`--to must be one of ${PHASES.join(', ')}, got ${JSON.stringify(flags.to ?? 'nothing after postgres')}`);
        if (kind === 'advance' && phaseIndex(to) < phaseIndex(rec.phase)) throw new UsageError(`${to} is before ${rec.phase}: use cutover rollback`);
        if (kind === 'rollback' && phaseIndex(to) >= phaseIndex(rec.phase)) throw new UsageError(`${to} is not before ${rec.phase}: use cutover advance`);
        const plan = checksFor(rec.phase, to);
        const checks = 'checks' in plan ? await runChecks(plan.checks, { ...base, module }) : [];
        const refused = 'reason' in plan ? plan.reason : checks.some((c) => !c.ok) ? `preconditions failed: ${checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}` : null;
        let recorded = false;
        if (!refused) recorded = await recordMove(base.ds, module.name, { from: rec.phase, to, at: base.now.toISOString(), kind, checks });
        const result = { module: module.name, from: rec.phase, to, moved: recorded, refused: refused ?? (recorded ? null : 'another operator moved the module meanwhile; look again'), checks, set: describeConfig(PHASE_CONFIG[to]) };
        if (flags.json) out(JSON.stringify(result));
        else {
          out(`${module.name}: ${rec.phase} -> ${to}: ${recorded ? 'recorded' : `REFUSED: ${result.refused}`}`);
          printChecks(checks);
          if (recorded) {
            const c = PHASE_CONFIG[to];
            out(`  now set Persistence.${module.name} = ${c.backend}${c.primary ? ` and DualWriteOverrides.${module.name}.Primary = ${c.primary}` : ''}, and restart the services`);
            out(`  ${PHASE_WORK[to]}`);
          }
        }
        if (!recorded) throw new ExitCode(1);
      }),
    );
  move('advance');
  move('rollback');
}

/** The maintenance connection (migrated), MongoDB when configured, and the check bounds. */
async function withContext(flags: CutoverFlags, fn: (c: Omit<CheckContext, 'module'> & { ds: PostgresDataSource }) => Promise<void>): Promise<void> {
  const config = configFrom(flags);
  const adminUrl = adminUrlOf(config);
  if (!adminUrl) throw new ConfigError('Postgres.AdminUrl (POSTGRES_ADMIN_URL) and Postgres.Url (POSTGRES_URL) are missing; cutover keeps its state in PostgreSQL');
  const mongo: MongoDataSource | null = config.Mongo.Url ? await connectMongo(config.Mongo.Url, config.Mongo.Database) : null;
  try {
    await withDataSource(adminUrl, async (ds) => {
      await runMigrations(ds, migrationSetsFor([]), { categories: ['startup'] });
      await fn({
        ds,
        mongo,
        config,
        maxLagMs: flags.maxLagMs ?? DEFAULT_MAX_LAG_MS,
        maxVerifyAgeMs: (flags.maxVerifyAgeMinutes ?? DEFAULT_MAX_VERIFY_AGE_MINUTES) * 60_000,
        reportsDir: flags.reports ?? 'reports',
        now: new Date(),
      });
    }, 'stellaops-cutover');
  } finally {
    await mongo?.close();
  }
}
