import { expect } from 'chai';
import { ObjectId, type Document } from 'bson';
import { ConversionOptionsError, runConversion } from '../../src/conversion/index.js';
import { loginAttempt, oauthToken, scope } from '../../src/modules/authority/entities.js';
import { startConversionEnv, testLog, type ConversionEnv } from './conversion-env.js';
import { expectExactlyConverted, runCli, seed, TENANTS } from './legacy-docs.js';

const DAY = 86_400_000;

async function expectRejects(promise: Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp): Promise<void> {
  let error: unknown = null;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(error, 'rejected').to.be.instanceOf(type);
  expect((error as Error).message).to.match(message);
}
const NOW = new Date(Date.UTC(2025, 8, 15, 12, 0, 0, 0));

function attempt(i: number, daysAgo: number): Document {
  const at = new Date(NOW.getTime() - daysAgo * DAY);
  return {
    _id: new ObjectId(`a0${i.toString(16).padStart(22, '0')}`),
    tenantId: TENANTS[i % 2],
    username: `user-${i % 7}`,
    successful: i % 2 === 0,
    reason: i % 2 ? 'bad_password' : null,
    attemptedAt: at,
    createdAt: at,
    updatedAt: at,
  };
}

function token(i: number, state: 'active' | 'expired' | 'revoked'): Document {
  const issued = new Date(NOW.getTime() - 10 * DAY);
  return {
    _id: `tok-${String(i).padStart(4, '0')}`,
    tenantId: TENANTS[i % 3],
    tokenHash: `sha256:${i}`,
    clientId: 'console',
    tokenType: 'access',
    scopes: ['openid'],
    issuedAt: issued,
    expiresAt: new Date(NOW.getTime() + (state === 'expired' ? -DAY : DAY)),
    ...(state === 'revoked' ? { revokedAt: new Date(NOW.getTime() - DAY) } : {}),
    createdAt: issued,
    updatedAt: issued,
  };
}

describe('conversion: tiers', function () {
  this.timeout(120_000);
  let env: ConversionEnv;

  before(async () => {
    env = await startConversionEnv('conv_tiers');
  });
  after(async () => env?.close());

  it('tier B keeps the window (last 90 days at the job reference time) and counts the rest as skipped', async () => {
    // Inside: 0..90 days ago (90 exactly is kept: attemptedAt >= now - 90 days); outside: 91 days and more.
    const ages = [0, 1, 30, 89, 90, 91, 120, 365, 1000, 5, 60];
    const docs = ages.map((d, i) => attempt(i, d));
    await seed(env, 'authority_login_attempts', docs);
    const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_login_attempts', referenceTime: NOW, batchSize: 4, rangeSize: 3, progress: 'none', log: testLog });
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    const s = report.collections[0]!;
    expect([s.tier, s.converted, s.skipped, s.quarantined]).to.deep.equal(['B', 7, 4, 0]);
    expect(s.referenceTime).to.equal(NOW.toISOString());
    const inside = (d: Document) => (d.attemptedAt as Date).getTime() >= NOW.getTime() - 90 * DAY;
    expect(await expectExactlyConverted(env, loginAttempt, inside)).to.equal(7);
    const job = (await env.admin.query(`select tier, reference_time, converted, skipped from core.conversion_job where job_id = 'Authority/authority_login_attempts'`)).rows[0];
    expect([job.tier, (job.reference_time as Date).toISOString(), Number(job.converted), Number(job.skipped)]).to.deep.equal(['B', NOW.toISOString(), 7, 4]);
  });

  it('tier B for tokens converts active tokens only (not revoked, not expired)', async () => {
    const states = ['active', 'expired', 'revoked', 'active', 'active', 'revoked'] as const;
    await seed(env, 'authority_tokens', states.map((st, i) => token(i, st)));
    const report = await runConversion({ config: env.config, module: 'Authority', collection: 'authority_tokens', referenceTime: NOW, progress: 'none', log: testLog });
    const s = report.collections[0]!;
    expect([s.outcome, s.converted, s.skipped]).to.deep.equal(['completed', 3, 3]);
    const active = (d: Document) => d.revokedAt === undefined && (d.expiresAt as Date).getTime() > NOW.getTime();
    expect(await expectExactlyConverted(env, oauthToken, active)).to.equal(3);
  });

  it('--tier A on a tier-B collection converts everything; an existing job keeps its tier', async () => {
    await expectRejects(
      runConversion({ config: env.config, module: 'Authority', collection: 'authority_login_attempts', tier: 'A', rerun: true, progress: 'none', log: testLog }),
      ConversionOptionsError,
      /created with tier B; it cannot continue as tier A/,
    );
    const fresh = await startConversionEnv('conv_tier_a');
    try {
      const states = ['active', 'expired', 'revoked', 'active'] as const;
      await seed(fresh, 'authority_tokens', states.map((st, i) => token(i, st)));
      const report = await runConversion({ config: fresh.config, module: 'Authority', collection: 'authority_tokens', tier: 'A', progress: 'none', log: testLog });
      expect([report.collections[0]!.tier, report.collections[0]!.converted, report.collections[0]!.skipped]).to.deep.equal(['A', 4, 0]);
      expect(await expectExactlyConverted(fresh, oauthToken)).to.equal(4);
    } finally {
      await fresh.close();
    }
  });

  it('tier C creates the schema and converts nothing', async () => {
    await seed(env, 'authority_scopes', [{ _id: new ObjectId(), tenantId: TENANTS[0], name: 'openid', isDefault: true, createdAt: NOW, updatedAt: NOW }]);
    const cli = await runCli(['convert', '--module', 'Authority', '--collection', 'authority_scopes', '--tier', 'C'], env.env);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.match(/Authority\/authority_scopes \(tier C\): schema only \(forced by --tier C: schema only\); 1 legacy documents left behind by design/);
    const table = (await env.admin.query(`select to_regclass('authority.scope')::text as t`)).rows[0].t;
    expect(table).to.equal('authority.scope');
    expect(await expectExactlyConverted(env, scope, () => false)).to.equal(0);
    const job = (await env.admin.query(`select tier, status, converted, skipped from core.conversion_job where job_id = 'Authority/authority_scopes'`)).rows[0];
    expect([job.tier, job.status, Number(job.converted), Number(job.skipped)]).to.deep.equal(['C', 'finished', 0, 1]);
  });

  it('refuses unknown modules, collections and impossible tiers, naming what is allowed (exit 2)', async () => {
    await expectRejects(runConversion({ config: env.config, module: 'Nope' }), ConversionOptionsError, /unknown module "Nope"; allowed: .*Authority/);
    await expectRejects(runConversion({ config: env.config, module: 'Authority', collection: 'users' }), ConversionOptionsError,
      /unknown collection "users" for module Authority; allowed: authority_users, roles, grants, authority_clients/,
    );
    await expectRejects(runConversion({ config: env.config, module: 'Authority', collection: 'authority_users', tier: 'B' }), ConversionOptionsError,
      /--tier B: Authority\/authority_users declares tier A and has no tier-B predicate/,
    );
    const cli = await runCli(['convert', '--module', 'Authority', '--collection', 'users'], env.env);
    expect(cli.code).to.equal(2);
    expect(cli.stderr).to.match(/unknown collection "users" for module Authority; allowed: authority_users/);
    const badTier = await runCli(['convert', '--module', 'Authority', '--tier', 'D'], env.env);
    expect(badTier.code).to.equal(2);
    expect(badTier.stderr).to.match(/Allowed choices are auto, A, B, C/);
  });
});
