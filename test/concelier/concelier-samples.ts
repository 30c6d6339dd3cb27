import { createHash } from 'node:crypto';
import type { ModuleSamples } from '../contract/repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const digest = (i: number) => `sha256:${createHash('sha256').update(`raw-${i}`).digest('hex')}`;

/** An OSV advisory with the corpus' awkward spots; `i % 3` repeats modified times (ties in order `modified`). */
export function osv(i: number, fixed = '1.2.3'): Record<string, unknown> {
  return {
    $schema: 'https://raw.githubusercontent.com/ossf/osv-schema/main/validation/schema.json',
    schema_version: '1.6.0',
    id: `GO-2024-${1000 + i}`,
    modified: `2024-0${1 + (i % 3)}-02T03:04:05.${String(123456789 - i).padStart(9, '0')}Z`,
    published: i % 4 === 0 ? '0001-01-01T00:00:00Z' : '2023-12-31T23:59:59Z',
    aliases: [`CVE-2024-${2000 + i}`, `GHSA-aaaa-bbbb-${String(i).padStart(4, 'c')}`],
    summary: `issue ${i} in 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀`,
    affected: [
      { package: { ecosystem: i % 2 ? 'Go' : 'crates.io', name: `pkg-${i}`, purl: `pkg:golang/pkg-${i}` }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] },
      { package: { ecosystem: 'Go', name: 'stdlib' }, versions: ['1.21.0'] },
    ],
    severity: i % 2 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] : [],
    database_specific: { severity: i % 2 ? 'HIGH' : 'LOW', 'url.with.dots': 'x', score: 5.5, count: 5 },
  };
}

/** Valid Concelier entities; i varies unique keys and order keys. */
export const concelierSamples: ModuleSamples = {
  source: {
    make: (i) => ({ key: `src-${i}`, displayName: `Source ${i}`, kind: 'osv', baseUrl: i % 2 ? `https://feeds.example.org/${i}` : null, enabled: true, priority: i % 3 }),
    patch: () => ({ enabled: false, priority: 99 }),
  },
  source_state: {
    make: (i) => ({ sourceKey: `src-${i}`, cursor: i % 2 ? { page: i, etag: '"abc"', since: '2025-01-01T00:00:00.000001Z' } : null, lastFetchAt: at(i), lastSuccessAt: null, lastError: null, failureCount: i % 4, backoffUntil: null }),
    patch: (i) => ({ lastError: 'HTTP 503', failureCount: 9, backoffUntil: at(i + 1) }),
  },
  advisory: {
    make: (i) => ({ sourceKey: i % 2 ? 'go-vulndb' : 'osv', advisoryKey: `GO-2024-${1000 + i}`, payload: osv(i) }),
    patch: (i) => ({ payload: { ...osv(i, '9.9.9'), modified: '2025-06-01T00:00:00.999999Z', aliases: ['CVE-2025-1'] } }),
  },
  alias: {
    make: (i) => ({ sourceKey: 'osv', advisoryKey: `GO-2024-${i % 3}`, alias: `CVE-2024-${1000 + i}`, scheme: 'CVE', isPrimary: false }),
    patch: (i) => ({ advisoryKey: `GO-2024-9${i}` }),
  },
  affected: {
    make: (i) => ({ sourceKey: 'osv', advisoryKey: `GO-2024-${i % 2}`, ordinal: i, ecosystem: i % 3 ? 'Go' : null, packageName: i % 3 ? `golang.org/x/p${i}` : null, purl: null, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: `1.${i}.0` }] }], versions: i % 2 ? ['1.0.0', '1.0.1'] : null }),
    patch: () => ({ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '2.0' }] }], versions: [] }),
  },
  advisory_raw: {
    make: (i) => ({ sourceKey: 'osv', uri: `https://osv.dev/GO-2024-${i}.json`, storageKey: `raw/osv/${i}`, digest: digest(i), sizeBytes: 2n ** 40n + BigInt(i), mediaType: 'application/vnd.osv+json', advisoryKey: i % 2 ? `GO-2024-${i}` : null, fetchedAt: at(i % 3), supersededAt: null }),
    patch: (i) => ({ supersededAt: at(i + 1) }),
  },
  job: {
    make: (i) => ({ jobKey: `job-${i}`, kind: 'source:fetch', sourceKey: null, status: 'queued', payload: { window: i, ratio: 0.5 }, runAfter: at(i % 3), attempts: 0, lockedBy: null, lockedAt: null, lastError: null }),
    patch: () => ({ status: 'running', lockedBy: 'worker-1', lockedAt: at(1), attempts: 1 }),
  },
  lock: {
    make: (i) => ({ name: `lock-${i}`, holder: 'worker-1', acquiredAt: at(i), expiresAt: at(i + 1) }),
    patch: () => ({ holder: 'worker-2' }),
  },
};
