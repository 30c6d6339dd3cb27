/**
 * A service process that dies (SIGKILL, no clean-up of any kind) right after its last DualWrite
 * call returned, while the applier still holds records in memory. Run by pending-applier.test.ts:
 * `node crashing-writer.js <tenantId> <count>`, configured by the environment (POSTGRES_URL, ...).
 * Prints one JSON line: what the primary returned and what the applier held at the moment of death.
 */
import { loadConfig } from '../../src/config/load-config.js';
import { PersistenceRuntime } from '../../src/app/persistence-runtime.js';
import { AuthorityTokens, type UserRepository } from '../../src/interfaces/authority.js';
import { tenantContext } from '../../src/interfaces/tenant-context.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { withDualWrite } from '../setup/runtime.js';

const [tenantId, countArg] = process.argv.slice(2);
const count = Number(countArg);
// One record at a time, so the burst below leaves most of its records queued in memory.
const config = withDualWrite(loadConfig(), { ApplyConcurrency: 1, ApplyQueueSize: 10_000 });
const runtime = await PersistenceRuntime.start(config, { modules: [authorityModule], migrate: false });
const users = runtime.get<UserRepository>(AuthorityTokens.user);
const ctx = tenantContext(tenantId!);

// Each user: insert, update; every third is then deleted. Users run concurrently, each in order.
const outcomes = await Promise.all(
  Array.from({ length: count }, async (_, i) => {
    const u = await users.insert(ctx, { username: `crash-${i}`, email: null, displayName: null, passwordHash: null, status: 'active', mfaEnabled: false, lastLoginAt: null });
    await users.update(ctx, u.id, { displayName: `updated ${i}` });
    if (i % 3 === 0) await users.delete(ctx, u.id);
    return { id: u.id, deleted: i % 3 === 0 };
  }),
);
const stats = runtime.dualWriteStats()!;
process.stdout.write(`${JSON.stringify({ outcomes, stats })}\n`, () => process.kill(process.pid, 'SIGKILL'));
