import { expect } from 'chai';
import type { EvaluationRun, PolicyException } from '../../src/interfaces/policy.js';
import type { TierSpec } from '../../src/interfaces/entity-spec.js';
import { evaluationRun, EVALUATION_RUN_WINDOW_DAYS } from '../../src/modules/policy/entities.js';
import { PolicyExceptions, isExceptionActive, policyModule } from '../../src/modules/policy/index.js';
import { ALL_BACKENDS } from '../contract/repository-contract.js';
import { startTestRuntime, type TestRuntime } from '../setup/runtime.js';

const T = Date.UTC(2026, 2, 1, 12, 0, 0, 0);
const at = (ms: number) => new Date(T + ms);
const DAY = 86_400_000;

function exceptionAt(i: number, over: Partial<PolicyException>): Omit<PolicyException, 'id' | 'tenantId' | 'createdAt' | 'updatedAt'> {
  return {
    exceptionId: `EXC-${i}`, status: 'approved', scope: 'vulnerability', vulnerabilityId: 'CVE-2025-0001', purl: null, artifactDigest: null,
    justification: 'mitigated', requestedBy: null, approvedBy: null, effectiveFrom: at(-DAY), expiresAt: at(DAY), revokedAt: null, ...over,
  };
}

describe('Policy evaluation runs: tier B window', () => {
  const tier = evaluationRun.tier as Extract<TierSpec, { tier: 'B' }>;
  const now = at(0);
  const run = (startedAt: Date) => ({ startedAt }) as unknown as Record<string, unknown>;

  it(`keeps runs started in the last ${EVALUATION_RUN_WINDOW_DAYS} days, the boundary included`, () => {
    expect(tier.tier).to.equal('B');
    expect(tier.keep(run(now), now)).to.equal(true);
    expect(tier.keep(run(at(-EVALUATION_RUN_WINDOW_DAYS * DAY)), now)).to.equal(true);
    expect(tier.keep(run(at(-EVALUATION_RUN_WINDOW_DAYS * DAY - 1)), now)).to.equal(false);
    expect(tier.keep(run(at(-365 * DAY)), now)).to.equal(false);
    expect(tier.description).to.contain('startedAt >= now - 30 days');
  });

  it('leaves every other Policy entity on tier A', () => {
    const tiers = Object.fromEntries(policyModule.entities.map((e) => [e.name, e.tier.tier]));
    expect(tiers).to.deep.equal({ pack: 'A', pack_version: 'A', rule: 'A', risk_profile: 'A', exception: 'A', evaluation_run: 'B', audit_log: 'A' });
  });
});

describe('Policy exceptions: activity at a time', () => {
  it('is active from effectiveFrom (inclusive) to expiresAt (exclusive), when approved and not revoked', () => {
    const e = { ...exceptionAt(1, {}), id: '', tenantId: '', createdAt: at(0), updatedAt: at(0) } as PolicyException;
    expect(isExceptionActive(e, at(-DAY - 1))).to.equal(false);
    expect(isExceptionActive(e, at(-DAY))).to.equal(true);
    expect(isExceptionActive(e, at(DAY - 1))).to.equal(true);
    expect(isExceptionActive(e, at(DAY))).to.equal(false);
    expect(isExceptionActive({ ...e, status: 'proposed' }, at(0))).to.equal(false);
    expect(isExceptionActive({ ...e, revokedAt: at(0) }, at(-1))).to.equal(true);
    expect(isExceptionActive({ ...e, revokedAt: at(0) }, at(0))).to.equal(false);
  });
});

for (const backend of ALL_BACKENDS) {
  describe(`Policy exceptions and runs on ${backend}`, function () {
    this.timeout(120_000);
    let t: TestRuntime;
    before(async () => {
      t = await startTestRuntime(backend, { modules: [policyModule] });
    });
    after(async () => t?.close());

    it('lists the exceptions active at a time, in expiry order, at the boundaries', async () => {
      const ctx = t.tenant();
      const repo = t.runtime.repository<PolicyException>('Policy', 'exception');
      const made = async (i: number, over: Partial<PolicyException>) => (await repo.insert(ctx, exceptionAt(i, over))).exceptionId;
      await made(1, { expiresAt: at(2 * DAY) });
      await made(2, { expiresAt: at(0) }); // expires exactly now: not active
      await made(3, { expiresAt: at(1) }); // one millisecond left
      await made(4, { effectiveFrom: at(0) }); // starts exactly now: active
      await made(5, { effectiveFrom: at(1) }); // not yet
      await made(6, { status: 'proposed' });
      await made(7, { status: 'revoked', revokedAt: at(-1) });
      await made(8, { vulnerabilityId: 'CVE-2025-0002', expiresAt: at(DAY + 5) });
      const exceptions = t.runtime.container.resolve(PolicyExceptions);
      expect((await exceptions.activeAt(ctx, at(0))).map((e) => e.exceptionId)).to.deep.equal(['EXC-3', 'EXC-4', 'EXC-8', 'EXC-1']);
      expect((await exceptions.activeAt(ctx, at(0), { vulnerabilityId: 'CVE-2025-0002' })).map((e) => e.exceptionId)).to.deep.equal(['EXC-8']);
      expect(await exceptions.activeAt(t.tenant(), at(0))).to.deep.equal([]);
    });

    it('lists recent evaluation runs of a subject, newest first, paged', async () => {
      const ctx = t.tenant();
      const repo = t.runtime.repository<EvaluationRun>('Policy', 'evaluation_run');
      const subject = 'sha256:' + 'a'.repeat(64);
      for (let i = 0; i < 5; i++) {
        await repo.insert(ctx, {
          packId: '00000000-0000-4000-8000-000000000001', packVersionId: '00000000-0000-4000-8000-000000000002', contentHash: 'sha256:x',
          subjectDigest: i === 4 ? 'sha256:other' : subject, trigger: 'manual', status: 'succeeded', verdict: 'pass', findingsCount: i, blockedCount: 0,
          startedAt: at(-i * 10 * DAY), completedAt: at(-i * 10 * DAY + 1000), error: null, summary: {},
        });
      }
      const recent = at(-EVALUATION_RUN_WINDOW_DAYS * DAY);
      const first = await repo.list(ctx, { where: { subjectDigest: subject }, range: { field: 'startedAt', gte: recent }, order: 'bySubject', limit: 2 });
      const second = await repo.list(ctx, { where: { subjectDigest: subject }, range: { field: 'startedAt', gte: recent }, order: 'bySubject', limit: 2, after: first.next });
      expect([...first.items, ...second.items].map((r) => r.findingsCount)).to.deep.equal([0, 1, 2, 3]);
      expect(second.next).to.equal(null);
    });
  });
}
