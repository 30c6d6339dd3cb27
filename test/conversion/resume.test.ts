import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { runConversion } from '../../src/conversion/index.js';
import { user } from '../../src/modules/authority/entities.js';
import { startConversionEnv, testLog, type ConversionEnv } from './conversion-env.js';
import { CLI, expectExactlyConverted, runCli, seed, userDoc, waitFor } from './legacy-docs.js';

/**
 * kill -9 in the middle of a conversion, resume, and the end state is exact: every document once,
 * equal to its decoded legacy document. Then: a finished job run again changes nothing; --rerun adds
 * only what legacy writers added since.
 */
describe('conversion: kill -9, resume, rerun', function () {
  this.timeout(180_000);
  const N = 2000;
  let env: ConversionEnv;

  before(async () => {
    env = await startConversionEnv('conv_resume');
    await seed(env, 'authority_users', Array.from({ length: N }, (_, i) => userDoc(i)));
  });
  after(async () => env?.close());

  it('resumes after kill -9 with no duplicate and no gap', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'convert', '--module', 'Authority', '--collection', 'authority_users', '--batch-size', '20', '--range-size', '300', '--throttle-ms', '15', '--no-progress'],
      { env: { ...process.env, ...env.env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    // Kill it after several committed checkpoints, mid-range, while it keeps writing.
    await waitFor('first checkpoints', async () => {
      const r = await env.admin.query(`select coalesce(sum(batches), 0)::int as b from core.conversion_range where job_id = 'Authority/authority_users'`);
      return r.rows[0].b >= 12;
    });
    child.kill('SIGKILL');
    expect(await exited, stderr).to.equal('SIGKILL');

    const partial = (await env.admin.query(`select count(*)::int as n from authority."user"`)).rows[0].n as number;
    expect(partial).to.be.greaterThan(0).and.lessThan(N);
    const job = (await env.admin.query(`select status from core.conversion_job where job_id = 'Authority/authority_users'`)).rows[0];
    expect(job.status).to.equal('running');
    const held = (await env.admin.query(`select count(*)::int as n from core.conversion_range where status = 'claimed'`)).rows[0].n;
    // Killed mid-range (almost always: 15 batches per range) or between two ranges.
    expect(held).to.be.at.most(1);

    // Same host, dead pid: its claim is taken over at once (no need to wait for the lease).
    const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', batchSize: 50, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    const s = report.collections[0]!;
    expect(s.outcome).to.equal('completed');
    expect([s.converted, s.inserted, s.alreadyPresent, s.skipped, s.quarantined]).to.deep.equal([N, N, 0, 0, 0]);
    expect(s.processed).to.equal(N - partial);

    expect(await expectExactlyConverted(env, user)).to.equal(N);
    const ranges = (await env.admin.query(`select seq, status, claims, planned, converted from core.conversion_range order by seq`)).rows;
    expect(ranges.every((r) => r.status === 'done')).to.equal(true);
    if (held === 1) expect(ranges.some((r) => r.claims === 2), 'the interrupted range was claimed again').to.equal(true);
    expect(ranges.reduce((n, r) => n + Number(r.converted), 0)).to.equal(N);
    const finished = (await env.admin.query(`select status, converted, skipped, quarantined from core.conversion_job`)).rows[0];
    expect([finished.status, Number(finished.converted), Number(finished.skipped), Number(finished.quarantined)]).to.deep.equal(['finished', N, 0, 0]);
  });

  it('running a finished job again changes nothing', async () => {
    const before = (await env.admin.query(`select count(*)::int as n, max(xmin::text::bigint) as x from authority."user"`)).rows[0];
    const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', progress: 'none', log: testLog });
    expect(report.ok).to.equal(true);
    expect(report.collections[0]!.outcome).to.equal('already-finished');
    expect(report.collections[0]!.converted).to.equal(N);
    const cli = await runCli(['convert', '--module', 'Authority', '--collection', 'authority_users', '--json'], env.env);
    expect(cli.code, cli.stderr).to.equal(0);
    const json = JSON.parse(cli.stdout);
    expect(json.ok).to.equal(true);
    expect(json.collections[0]).to.include({ outcome: 'already-finished', converted: N, pass: 1 });
    const after = (await env.admin.query(`select count(*)::int as n, max(xmin::text::bigint) as x from authority."user"`)).rows[0];
    expect(after).to.deep.equal(before);
    expect((await env.admin.query(`select count(*)::int as n from core.conversion_pass`)).rows[0].n).to.equal(1);
  });

  it('--rerun starts a new pass that only adds what is missing', async () => {
    const added = Array.from({ length: 30 }, (_, i) => userDoc(N + i));
    await seed(env, 'authority_users', added);
    const cli = await runCli(['convert', '--module', 'Authority', '--collection', 'authority_users', '--rerun', '--batch-size', '100'], env.env);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.match(/Authority\/authority_users \(tier A\): completed pass 2: converted 2030 \(new 30, already present 2000\), skipped by tier 0, quarantined 0/);
    expect(await expectExactlyConverted(env, user)).to.equal(N + 30);
    const job = (await env.admin.query(`select status, converted from core.conversion_job`)).rows[0];
    expect([job.status, Number(job.converted)]).to.deep.equal(['finished', N + 30]);
  });
});
