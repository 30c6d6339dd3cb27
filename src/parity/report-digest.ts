import { canonicalJson, sha256Hex } from '../codec/canonical.js';
import type { VerifyReport } from './report-types.js';

/**
 * The digest of a report: sha256 of the RFC 8785 canonical JSON of its content without the
 * timestamps and durations (`timings`) and without a reference time that is merely the run's own
 * clock (source `run`), so two runs over the same data with the same options give the same digest.
 * A reference time recorded by a conversion job or given as an option is data, and stays in.
 *
 * @example
 * reportDigest(report) === report.digest; // true for an unaltered report
 */
export function reportDigest(report: Omit<VerifyReport, 'digest'> | VerifyReport): string {
  const { timings: _timings, ...content } = report as VerifyReport;
  const { digest: _digest, ...rest } = content as VerifyReport;
  const data = rest.data.map((e) => (e.referenceTimeSource === 'run' ? { ...e, referenceTime: null } : e));
  return `sha256:${sha256Hex(canonicalJson({ ...rest, data }))}`;
}
