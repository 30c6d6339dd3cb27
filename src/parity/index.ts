/**
 * Parity verification (SPEC 9): data parity and output parity between the legacy MongoDB store and
 * PostgreSQL, with JSON, HTML and JUnit reports. `runVerify` is what the `verify` command, `demo`
 * and tests call.
 *
 * @example
 * import { runVerify } from './parity/index.js';
 * const { report, paths, exitCode } = await runVerify({ config, module: 'Authority', outDir: 'reports' });
 */
export { runVerify, runVerifyWorker, resolveSelection, VerifySelectionError, VERIFY_DEFAULTS, type VerifyOptions, type VerifyResult } from './run-verify.js';
export { dataParity, parityRange, mergeRanges, shouldConvert, WHOLE_RANGE, type DataParityInput, type DataParityResult, type IdRange, type LookupSample, type RangePartial } from './data-parity.js';
export { splitIdSpace, type RunPlan } from './shared-verify.js';
export { outputParity, describeDifference, type OutputParityInput } from './output-parity.js';
export { genericProbes, collectList, type ParityProbe } from './generic-probes.js';
export { canonicalOutput, normalizeTies, ListOutput } from './output-canonical.js';
export { compareBoth, type ComparisonOptions, type ComparisonResult, type ComparisonSide } from './comparison.js';
export { reportDigest } from './report-digest.js';
export { renderHtml, summaryLine } from './report-html.js';
export { renderJunit } from './report-junit.js';
export { writeReports, reportBaseName, REPORT_FORMATS, type ReportFormat } from './report-writer.js';
export { escapeMarkup } from './text-escape.js';
export * from './report-types.js';
