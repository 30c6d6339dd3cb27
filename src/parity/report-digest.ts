import { canonicalJson, sha256Hex } from '../codec/canonical.js';
import { ordinalForm } from '../codec/sensitive.js';
import type { VerifyReport } from './report-types.js';

/**
 * The digest of a report: sha256 of the RFC 8785 canonical JSON of its content without the
 * timestamps and durations (`timings`), without where the data lives (URLs, database names, the
 * config fingerprint), and with fingerprints of sensitive values replaced by their ordinals (the
 * report's `redaction.valuesDigest` covers the real values), so two runs over the same data with
 * the same options give the same digest, also from another copy of the data.
 * Reference times: a tier-B entity's, recorded by its conversion job or given as an option, fixes
 * its effective window and stays in; a tier-A or tier-C entity's is only when a job happened to
 * run (nothing depends on it), and the run's own clock is never data: both are left out.
 *
 * @example
 * reportDigest(report) === report.digest; // true for an unaltered report
 */
export function reportDigest(report: Omit<VerifyReport, 'digest'> | VerifyReport): string {
  const { timings: _timings, ...content } = report as VerifyReport;
  const { digest: _digest, ...rest } = content as VerifyReport;
  const data = rest.data.map((e) => (e.tier !== 'B' || e.referenceTimeSource === 'run' ? { ...e, referenceTime: null, referenceTimeSource: null } : e));
  const config = { options: rest.config.options };
  return `sha256:${sha256Hex(ordinalForm(canonicalJson({ ...rest, config, data })).text)}`;
}
