import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml } from './report-html.js';
import { renderJunit } from './report-junit.js';
import type { VerifyReport } from './report-types.js';

export const REPORT_FORMATS = ['json', 'html', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const EXTENSION: Readonly<Record<ReportFormat, string>> = { json: 'json', html: 'html', junit: 'junit.xml' };

/** `parity-<module>[-<collection>...]`, lower-case: stable names CI can pick up. */
export function reportBaseName(report: VerifyReport, selected: boolean): string {
  const parts = ['parity', report.module.toLowerCase(), ...(selected ? report.collections : [])];
  return parts.join('-').replace(/[^a-z0-9._-]+/gi, '_');
}

/**
 * Writes the report in each format into `dir` (created when missing) and returns the paths,
 * in the order of `formats`.
 *
 * @example
 * writeReports(report, 'reports', ['json', 'html', 'junit'], false);
 * // ['reports/parity-authority.json', 'reports/parity-authority.html', 'reports/parity-authority.junit.xml']
 */
export function writeReports(report: VerifyReport, dir: string, formats: readonly ReportFormat[], selected: boolean): string[] {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const base = reportBaseName(report, selected);
  return formats.map((format) => {
    const path = join(folder, `${base}.${EXTENSION[format]}`);
    const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'html' ? renderHtml(report) : renderJunit(report);
    writeFileSync(path, text, 'utf8');
    return path;
  });
}
