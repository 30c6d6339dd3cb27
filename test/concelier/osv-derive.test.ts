import { expect } from 'chai';
import { ValidationError } from '../../src/interfaces/errors.js';
import { advisoryContentHash, deriveAdvisory, osvEcosystems } from '../../src/modules/concelier/advisory-derive.js';
import { planAdvisory } from '../../src/modules/concelier/advisory-plan.js';
import { parseOsvTimestamp } from '../../src/modules/concelier/osv-timestamp.js';

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('Concelier: OSV hot fields (derive)', () => {
  describe('parseOsvTimestamp', () => {
    const iso = (t: string) => {
      const r = parseOsvTimestamp(t);
      if (!r.ok) throw new Error(r.reason);
      return r.date.toISOString();
    };

    it('truncates (never rounds) sub-millisecond digits', () => {
      expect(iso('2023-06-06T17:43:49.1239999Z')).to.equal('2023-06-06T17:43:49.123Z');
      expect(iso('2023-06-06T17:43:49.999999999Z')).to.equal('2023-06-06T17:43:49.999Z');
      expect(iso('2023-06-06T17:43:49.5Z')).to.equal('2023-06-06T17:43:49.500Z');
      expect(iso('2023-06-06T17:43:49Z')).to.equal('2023-06-06T17:43:49.000Z');
    });

    it('reads offsets, lower-case t/z and the Go placeholder year 1', () => {
      expect(iso('2021-05-16T17:08:44+02:00')).to.equal('2021-05-16T15:08:44.000Z');
      expect(iso('2021-05-16t17:08:44.000001-00:30')).to.equal('2021-05-16T17:38:44.000Z');
      expect(iso('0001-01-01T00:00:00Z')).to.equal('0001-01-01T00:00:00.000Z');
      expect(iso('2024-02-29T23:59:59Z')).to.equal('2024-02-29T23:59:59.000Z');
    });

    it('gives a reason for what is not a representable RFC 3339 date-time', () => {
      for (const bad of ['2023-02-29T00:00:00Z', '2023-13-01T00:00:00Z', '2016-12-31T23:59:60Z', '2023-06-06 17:43:49Z', '2023-06-06T17:43:49', '+275761-01-01T00:00:00Z', '']) {
        const r = parseOsvTimestamp(bad);
        expect(r.ok, bad).to.equal(false);
      }
      const leap = parseOsvTimestamp('2016-12-31T23:59:60Z');
      expect(!leap.ok && leap.reason).to.match(/leap second/);
    });
  });

  describe('deriveAdvisory', () => {
    it('derives every hot field from the payload alone', () => {
      const payload = {
        id: 'GO-2024-1',
        modified: '2024-01-02T03:04:05.123456789Z',
        published: '0001-01-01T00:00:00Z',
        aliases: ['CVE-2024-1', 'GHSA-aaaa-bbbb-cccc', 'CVE-2024-1'],
        affected: [{ package: { ecosystem: 'Go' } }, { package: { ecosystem: 'crates.io' } }, { package: { ecosystem: 'Go' } }, { package: null }, 'junk', { package: { ecosystem: 5 } }],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }],
        database_specific: { severity: 'HIGH' },
      };
      const d = deriveAdvisory({ payload });
      expect(d.aliases).to.deep.equal(['CVE-2024-1', 'GHSA-aaaa-bbbb-cccc', 'CVE-2024-1']);
      expect(d.ecosystems).to.deep.equal(['Go', 'crates.io']);
      expect(d.severity).to.equal('HIGH');
      expect(d.severityScore).to.equal('CVSS:3.1/AV:N');
      expect((d.modifiedAt as Date).toISOString()).to.equal('2024-01-02T03:04:05.123Z');
      expect((d.publishedAt as Date).toISOString()).to.equal('0001-01-01T00:00:00.000Z');
      expect(d.withdrawnAt).to.equal(null);
    });

    it('orders ecosystems by UTF-8 bytes (COLLATE "C"), not UTF-16 code units', () => {
      // U+FF21 sorts before U+1F600 in UTF-8 bytes, after it in UTF-16 code units.
      expect(osvEcosystems({ affected: [{ package: { ecosystem: '😀' } }, { package: { ecosystem: 'Ａ' } }, { package: { ecosystem: 'a' } }] })).to.deep.equal(['a', 'Ａ', '😀']);
    });

    it('hashes the canonical payload: key order and 5.0 vs 5 do not matter', () => {
      expect(advisoryContentHash({ id: 'X', n: 5, a: { b: 1, c: 2 } })).to.equal(advisoryContentHash(JSON.parse('{"a":{"c":2,"b":1.0},"n":5.0,"id":"X"}')));
      expect(advisoryContentHash({ id: 'X', n: 5 })).to.not.equal(advisoryContentHash({ id: 'X', n: 6 }));
    });

    it('refuses, naming the payload path, what has no exact hot value', () => {
      expect(refusal(() => deriveAdvisory({ payload: { id: 'X' } })).message).to.contain('payload.modified');
      expect(refusal(() => deriveAdvisory({ payload: { id: 'X', modified: '2016-12-31T23:59:60Z' } })).message).to.match(/payload\.modified: .*leap second/);
      expect(refusal(() => deriveAdvisory({ payload: { id: 'X', modified: 20240101 } })).message).to.contain('must be an RFC 3339 string');
      expect(refusal(() => deriveAdvisory({ payload: { id: 'X', modified: '2024-01-01T00:00:00Z', aliases: ['A', 7] } })).message).to.contain('payload.aliases[1]');
      expect(refusal(() => deriveAdvisory({ payload: ['not', 'an', 'object'] })).message).to.contain('payload');
      expect(refusal(() => deriveAdvisory({ payload: { modified: '2024-01-01T00:00:00Z' } })).message).to.contain('payload.id');
    });
  });

  describe('planAdvisory', () => {
    it('plans one identifier row per distinct id (own key first) and one affected row per entry', () => {
      const plan = planAdvisory('go-vulndb', {
        id: 'GO-2024-1',
        aliases: ['CVE-2024-1', 'GO-2024-1', 'CVE-2024-1'],
        affected: [{ package: { ecosystem: 'Go', name: 'stdlib' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }, { versions: ['1.0'] }],
      });
      expect(plan.aliases.map((a) => [a.alias, a.scheme, a.isPrimary])).to.deep.equal([
        ['GO-2024-1', 'GO', true],
        ['CVE-2024-1', 'CVE', false],
      ]);
      expect(plan.affected).to.deep.equal([
        { sourceKey: 'go-vulndb', advisoryKey: 'GO-2024-1', ordinal: 0, ecosystem: 'Go', packageName: 'stdlib', purl: null, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }], versions: null },
        { sourceKey: 'go-vulndb', advisoryKey: 'GO-2024-1', ordinal: 1, ecosystem: null, packageName: null, purl: null, ranges: null, versions: ['1.0'] },
      ]);
    });

    it('refuses malformed affected entries instead of dropping them', () => {
      expect(refusal(() => planAdvisory('s', { id: 'X', affected: [{ versions: ['1', 2] }] })).message).to.contain('payload.affected[0].versions[1]');
      expect(refusal(() => planAdvisory('s', { id: 'X', affected: { not: 'an array' } })).message).to.contain('payload.affected');
      expect(refusal(() => planAdvisory('s', { id: 'X', affected: [{ package: { name: 5 } }] })).message).to.contain('payload.affected[0].package.name');
    });
  });
});
