import type { JsonValue } from '../../interfaces/concelier.js';
import { DemoRandom } from '../shared/demo-random.js';

/**
 * Generated OSV advisories shaped like the corpus (go-vulndb, rustsec, GHSA, bitnami), with the
 * corpus' awkward spots on purpose: sub-millisecond and nanosecond `modified`, the Go placeholder
 * `0001-01-01T00:00:00Z`, astral-plane characters, `$`- and dot-containing keys, decimal numbers.
 * Source keys start with `demo-` so they never meet the corpus' sources (go-vulndb, rustsec...).
 * Aliases are shared between sources so alias lookups have chains to follow (GO -> CVE <- GHSA).
 */

export interface SyntheticSource {
  readonly key: string;
  readonly prefix: string;
  readonly ecosystem: string;
  readonly kind: 'osv' | 'ghsa' | 'vendor';
}

export const SYNTHETIC_SOURCES: readonly SyntheticSource[] = [
  { key: 'demo-go', prefix: 'GO', ecosystem: 'Go', kind: 'osv' },
  { key: 'demo-rustsec', prefix: 'RUSTSEC', ecosystem: 'crates.io', kind: 'osv' },
  { key: 'demo-ghsa', prefix: 'GHSA', ecosystem: 'npm', kind: 'ghsa' },
  { key: 'demo-bitnami', prefix: 'BIT', ecosystem: 'Bitnami', kind: 'vendor' },
];

const PACKAGES: Readonly<Record<string, readonly string[]>> = {
  Go: ['golang.org/x/net', 'github.com/gin-gonic/gin', 'golang.org/x/crypto', 'github.com/docker/distribution'],
  'crates.io': ['hyper', 'openssl', 'ruzstd', 'tokio'],
  npm: ['lodash', 'express', 'minimist', 'node-fetch'],
  Bitnami: ['envoy', 'tomcat', 'varnish', 'keycloak'],
};

const PURL_TYPE: Readonly<Record<string, string>> = { Go: 'golang', 'crates.io': 'cargo', npm: 'npm', Bitnami: 'bitnami' };

function ghsaId(r: DemoRandom): string {
  const chars = '23456789cfghjmpqrvwx';
  const part = (n: number) => Array.from({ length: n }, () => r.pick([...chars])).join('');
  return `GHSA-${part(4)}-${part(4)}-${part(4)}`;
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with 0, 3, 6 or 9 fraction digits. */
function osvTime(r: DemoRandom, base: Date, minutesBack: number): string {
  const t = new Date(base.getTime() - minutesBack * 60_000);
  const whole = t.toISOString().slice(0, 19);
  const digits = r.pick([0, 3, 6, 9]);
  return digits === 0 ? `${whole}Z` : `${whole}.${r.hex(digits).replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10))}Z`;
}

/**
 * The i-th synthetic advisory of a source for a tenant (deterministic in seed, tenant, source, i).
 * `cve` is shared across sources for the same i, so aliases link advisories of different sources.
 */
export function syntheticAdvisory(seed: number, tenant: string, source: SyntheticSource, i: number, now: Date): { [key: string]: JsonValue } {
  const r = new DemoRandom(seed, 'concelier-advisory', tenant, source.key, String(i));
  const year = 2019 + (i % 6);
  const cve = `CVE-${year}-${String(10_000 + ((i * 7919) % 89_999))}`;
  const shared = new DemoRandom(seed, 'concelier-ghsa', tenant, String(i));
  const ghsa = ghsaId(shared);
  const id = source.prefix === 'GHSA' ? ghsa : `${source.prefix}-${year}-${String(i).padStart(4, '0')}`;
  const aliases = source.prefix === 'GHSA' ? [cve] : r.bool(0.8) ? [cve, ghsa] : [cve];
  const pkg = r.pick(PACKAGES[source.ecosystem]!);
  const fixed = `${r.int(0, 3)}.${r.int(0, 20)}.${r.int(0, 9)}`;
  const placeholder = source.prefix === 'GO' && i % 4 === 1;
  const payload: { [key: string]: JsonValue } = {
    schema_version: '1.6.0',
    id,
    modified: placeholder ? '0001-01-01T00:00:00Z' : osvTime(r, now, r.int(60, 400 * 24 * 60)),
    published: osvTime(r, now, r.int(400 * 24 * 60, 900 * 24 * 60)),
    aliases,
    summary: `${pkg}: ${r.pick(['uncontrolled recursion', 'request smuggling', 'use after free', 'prototype pollution'])} ${i % 5 === 0 ? '🐛 in 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 path' : ''}`.trim(),
    details: `Affected versions of ${pkg} before ${fixed} mishandle crafted input.\nSee the references.`,
    affected: [
      {
        package: { ecosystem: source.ecosystem, name: pkg, purl: `pkg:${PURL_TYPE[source.ecosystem]}/${pkg}` },
        ranges: [{ type: source.ecosystem === 'Go' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
        ...(r.bool(0.3) ? { versions: ['0.1.0', '0.2.0', `${fixed}-rc.1`] } : {}),
        ecosystem_specific: source.ecosystem === 'Go' ? { imports: [{ path: pkg, symbols: ['Parse', 'Serve'] }] } : { affects: { arch: [], os: [], functions: [] } },
        database_specific: { 'source.url': `https://example.org/${id}.json`, cvss: r.bool(0.5) ? 7.5 : null },
      },
    ],
    references: [{ type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` }],
    database_specific: {
      ...(source.kind === 'vendor' || r.bool(0.4) ? { severity: r.pick(['Critical', 'High', 'Medium', 'Low']) } : {}),
      $schema: 'https://example.org/osv-db-specific.json',
      score: r.int(10, 99) / 10,
    },
  };
  if (r.bool(0.3)) payload.severity = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
  if (i % 11 === 5) payload.withdrawn = osvTime(r, now, 30);
  return payload;
}
