import type { Command } from 'commander';
import { adminUrlOf } from '../../config/persistence-config.js';
import { migrationSetsFor } from '../../container/migration-sets.js';
import { PersistenceRuntime } from '../../app/persistence-runtime.js';
import { migrationStatus } from '../../postgres/migrations/index.js';
import { brokenIndexLine } from '../../mongo/broken-index.js';
import { configFrom, ExitCode, out, withConfigOption } from '../cli-support.js';
import { selectModules } from './module-options.js';

/**
 * `status`: the backend of each module, its applied and pending migrations (for modules on
 * PostgreSQL or DualWrite), whether each backend in use answers, and how fast, and the declared unique
 * indexes MongoDB could not build over the legacy data (reported, not a failure: the service serves
 * without them, as the legacy one did).
 * Reads only: applies nothing. Exit 1 when a backend in use does not answer, or when an applied
 * migration's file changed since it was applied (its checksum differs: `migrate` would refuse it).
 */
export function registerStatus(program: Command): void {
  withConfigOption(
    program
      .command('status')
      .description('Backend per module, applied and pending migrations, backend health')
      .option('--module <names...>', 'only these modules (default: all)')
      .option('--json', 'print as JSON'),
  ).action(async (opts: { module?: string[]; json?: boolean; config?: string }) => {
    const config = configFrom(opts);
    const modules = selectModules(opts.module);
    const pgModules = modules.filter((m) => config.Persistence[m.name] !== 'Mongo');
    const migrations = pgModules.length ? await migrationStatus(adminUrlOf(config)!, migrationSetsFor(pgModules)) : [];
    const runtime = await PersistenceRuntime.start(config, { modules, migrate: false });
    let health;
    let pending;
    try {
      health = await runtime.health();
      // The DualWrite backlog per module (README "Metrics": stellaops_dualwrite_pending_*), or why it cannot be read.
      pending = await runtime.pendingBacklog().catch((e: Error) => ({ error: e.message }));
    } finally {
      await runtime.close();
    }
    const rows = modules.map((m) => {
      const status = migrations.find((s) => s.module === m.name);
      return {
        module: m.name,
        backend: config.Persistence[m.name],
        applied: status?.applied.map((a) => a.version) ?? [],
        pending: status?.pending.map((p) => `${p.version} (${p.category})`) ?? [],
        changed: status?.changed ?? [],
      };
    });
    const core = migrations.find((s) => s.module === 'core');
    const changed = migrations.flatMap((s) => s.changed.map((c) => ({ module: s.module, ...c })));
    if (opts.json) {
      const coreJson = core ? { applied: core.applied.map((a) => a.version), pending: core.pending.map((p) => p.version), changed: core.changed } : null;
      out(JSON.stringify({ modules: rows, core: coreJson, health, dualWritePending: pending, ok: changed.length === 0 && health.every((h) => h.ok) }, null, 2));
    } else {
      for (const r of rows) {
        const mig = r.backend === 'Mongo' ? '' : ` migrations applied: ${r.applied.join(', ') || 'none'}${r.pending.length ? `; pending: ${r.pending.join(', ')}` : ''}`;
        const bad = r.changed.length ? `; CHANGED since applied: ${r.changed.map((c) => c.version).join(', ')}` : '';
        out(`${r.module.padEnd(16)} ${r.backend.padEnd(9)}${mig}${bad}`);
      }
      for (const c of changed) {
        out(`${c.module}: migration ${c.file} changed after it was applied (recorded sha256 ${c.recorded}, file now ${c.actual}); restore it and add a new migration instead`);
      }
      for (const h of health) out(`${h.backend}: ${h.ok ? 'ok' : `DOWN (${h.error})`} ${h.latencyMs} ms (${h.target})`);
      // Declared unique keys the legacy data breaks: served without the index (README "Broken legacy unique keys").
      for (const h of health) for (const b of h.brokenIndexes ?? []) out(`warning: ${brokenIndexLine(b)}`);
      if ('error' in pending!) out(`DualWrite pending: unknown (${pending.error})`);
      else for (const b of pending!) out(`DualWrite pending ${b.module} (${b.store} log): ${b.pending}${b.oldestAgeSeconds === null ? '' : `, oldest ${Math.round(b.oldestAgeSeconds)} s`}`);
    }
    if (changed.length || health.some((h) => !h.ok)) throw new ExitCode(1);
  });
}
