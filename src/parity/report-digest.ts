import { canonicalJson, sha256Hex } from '../codec/canonical.js';
import type { VerifyReport } from './report-types.js';

/**
 * The digest of a report: sha256 of the RFC 8785 canonical JSON of its content without the
 * timestamps and durations (`timings`) and without a reference time that is merely the run's own
 * clock (source `run`), and without where the data lives (URLs, database names, the config
 * fingerprint), so two runs over the same data with the same options give the same digest, also
 * from another copy of the data (a `memory:` folder elsewhere, a restored database).
 * A reference time recorded by a conversion job or given as an option is data, and stays in.
 *
 * @example
 * reportDigest(report) === report.digest; // true for an unaltered report
 */
export function reportDigest(report: Omit<VerifyReport, 'digest'> | VerifyReport): string {
  const { timings: _timings, ...content } = report as VerifyReport;
  const { digest: _digest, ...rest } = content as VerifyReport;
  const data = rest.data.map((e) => (e.referenceTimeSource === 'run' ? { ...e, referenceTime: null } : e));
  const config = { options: rest.config.options };
  return `sha256:${sha256Hex(canonicalJson({ ...rest, config, data }))}`;
}
