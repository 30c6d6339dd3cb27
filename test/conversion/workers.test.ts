import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import pg from 'pg';
import { runConversion } from '../../src/conversion/index.js';
import { goSignal } from '../../src/conversion/worker-processes.js';
import { user } from '../../src/modules/authority/entities.js';
import { startConversionEnv, type ConversionEnv } from './conversion-env.js';
import { CLI, expectExactlyConverted, seed, userDoc, waitFor } from './legacy-docs.js';

describe('conversion: several workers and transient errors', function () {
  this.timeout(180_000);
  let env: ConversionEnv;

  beforeEach(async () => {
    env = await startConversionEnv('conv_workers');
  });
  afterEach(async () => env?.close());

  it('--workers 2: this process and one worker process share one job without overlap or gap', async () => {
    const N = 1500;
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
    const lines: string[] = [];
    const report = await runConversion({
      config: env.config,
      module: 'Authority',
      collection: 'authority_users',
      workers: 2,
      batchSize: 20,
      rangeSize: 60,
      // Slow enough that the worker process, which takes about a second to start, finds ranges left.
      throttleMs: 40,
      progress: 'log',
      log: (l) => lines.push(l),
    });
    expect(report.ok, `${JSON.stringify(report)}\n${lines.join('\n')}`).to.equal(true);
    const s = report.collections[0]!;
    expect([s.outcome, s.converted, s.inserted, s.alreadyPresent, s.processed]).to.deep.equal(['completed', N, N, 0, N]);
    expect(await expectExactlyConverted(env, user)).to.equal(N);
    const ranges = (await env.admin.query(`select claimed_by, claims, status, planned, converted from core.conversion_range order by seq`)).rows;
    expect(ranges.length).to.equal(25);
    // Each range was claimed once (no overlap) and is done (no gap); both processes took part.
    expect(ranges.every((r) => r.claims === 1 && r.status === 'done')).to.equal(true);
    expect(ranges.map((r) => Number(r.converted))).to.deep.equal(ranges.map((r) => Number(r.planned)));
    const workers = new Set(ranges.map((r) => r.claimed_by as string));
    expect(workers.size, [...workers].join(', ')).to.equal(2);
    expect(workers.has(`${(await import('node:os')).hostname()}:${process.pid}`), 'the parent converts too').to.equal(true);
    // The parent reported progress from the shared counters.
    expect(lines.some((l) => /Authority\/authority_users: 1500\/1500 rows \(100%\)/.test(l)), lines.join('\n')).to.equal(true);
  });

  it('--workers 2 on a finished job: the worker process started ahead of the plan stands down, nothing changes', async () => {
    const N = 120;
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
    const first = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', progress: 'none', log: () => undefined });
    expect(first.ok, JSON.stringify(first)).to.equal(true);
    const before = (await env.admin.query(`select seq, claimed_by, claims, batches from core.conversion_range order by seq`)).rows;
    const lines: string[] = [];
    const started = Date.now();
    const again = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', workers: 2, progress: 'none', log: (l) => lines.push(l) });
    expect(again.ok, `${JSON.stringify(again)}\n${lines.join('\n')}`).to.equal(true);
    expect(again.collections[0]!.outcome).to.equal('already-finished');
    // The worker process was told there is nothing to join: it left at once, without error or claim.
    expect(Date.now() - started, 'no wait for a lease or a timeout').to.be.below(15_000);
    expect(lines.filter((l) => /error/i.test(l)), lines.join('\n')).to.deep.equal([]);
    expect((await env.admin.query(`select seq, claimed_by, claims, batches from core.conversion_range order by seq`)).rows).to.deep.equal(before);
    expect(await expectExactlyConverted(env, user)).to.equal(N);
  });

  it('a worker started ahead of the plan joins on "go" and stands down when its input ends', async () => {
    const go = new PassThrough();
    const joined = goSignal(go);
    go.end('go\n');
    expect(await joined).to.equal(true);
    const silent = new PassThrough();
    const stood = goSignal(silent);
    silent.end();
    expect(await stood).to.equal(false);
    const other = new PassThrough();
    const refused = goSignal(other);
    other.end('stop\n');
    expect(await refused).to.equal(false);
  });

  it('takes over the range of a worker on another host once its lease has expired', async () => {
    const N = 400;
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
    const child = spawn(process.execPath, [CLI, 'convert', '--module', 'Authority', '--collection', 'authority_users', '--batch-size', '10', '--throttle-ms', '20', '--no-progress'], {
      env: { ...process.env, ...env.env },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor('first checkpoints', async () => (await env.admin.query(`select coalesce(sum(batches), 0)::int as b from core.conversion_range`)).rows[0].b >= 3);
    child.kill('SIGKILL');
    await exited;
    // Make the dead claim look like a live worker elsewhere whose lease runs out in 2 seconds.
    const moved = await env.admin.query(`update core.conversion_range set claimed_by = 'elsewhere.example:4242', lease_until = now() + interval '2 seconds' where status = 'claimed'`);
    expect(moved.rowCount).to.equal(1);
    const started = Date.now();
    const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', progress: 'none', log: () => undefined });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    expect(Date.now() - started, 'waited for the lease').to.be.at.least(1500);
    expect(await expectExactlyConverted(env, user)).to.equal(N);
    const ranges = (await env.admin.query(`select claims, claimed_by from core.conversion_range`)).rows;
    expect(ranges).to.have.length(1);
    expect(ranges[0].claims).to.equal(2);
    expect(ranges[0].claimed_by).to.not.equal('elsewhere.example:4242');
  });

  it('retries transient errors: the server terminates the conversion connections mid-run', async () => {
    const N = 600;
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
    const lines: string[] = [];
    const running = runConversion({
      config: env.config,
      module: 'Authority',
      collection: 'authority_users',
      batchSize: 20,
      throttleMs: 20,
      progress: 'none',
      retry: { retries: 8, minTimeoutMs: 50, maxTimeoutMs: 500 },
      log: (l) => lines.push(l),
    });
    await waitFor('first checkpoints', async () => {
      const r = await env.admin.query(`select coalesce(sum(batches), 0)::int as b from core.conversion_range`);
      return r.rows[0].b >= 3;
    });
    // Hold the range rows so the worker's next batch waits on a lock, then terminate that backend:
    // a guaranteed in-flight 57P01 (admin shutdown), which must be retried, not fatal.
    const locker = new pg.Client({ connectionString: env.db.adminUrl });
    await locker.connect();
    let terminated = 0;
    const done = new Set<number>();
    try {
      await locker.query('begin');
      await locker.query('select * from core.conversion_range for update');
      for (let round = 0; round < 2; round++) {
        let pids: number[] = [];
        await waitFor('a conversion backend waiting on the lock', async () => {
          const r = await env.admin.query(
            `select pid from pg_stat_activity where datname = $1 and application_name = 'stellaops-convert' and wait_event_type = 'Lock'`,
            [env.db.name],
          );
          // A terminated backend may still be listed for a moment: only new ones count.
          pids = r.rows.map((x) => x.pid as number).filter((pid) => !done.has(pid));
          return pids.length > 0;
        });
        for (const pid of pids) {
          done.add(pid);
          terminated += (await env.admin.query('select pg_terminate_backend($1) as ok', [pid])).rows[0].ok ? 1 : 0;
        }
      }
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }
    const report = await running;
    expect(terminated).to.be.greaterThan(0);
    expect(report.ok, `${JSON.stringify(report)}\n${lines.join('\n')}`).to.equal(true);
    expect(lines.filter((l) => /transient error .*terminating connection due to administrator command/.test(l)).length, lines.join('\n')).to.be.at.least(2);
    expect(await expectExactlyConverted(env, user)).to.equal(N);
    const counts = (await env.admin.query(`select sum(converted)::int as c, sum(present)::int as p from core.conversion_range`)).rows[0];
    expect([counts.c, counts.p]).to.deep.equal([N, 0]);
  });
});
