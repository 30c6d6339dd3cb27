import { escapeHtml as e } from './text-escape.js';

/**
 * Layout pieces of the HTML report, kept apart from what it says: the style sheet, and the few
 * wrappers that make a page readable at 1280 px whatever the data (wide tables scroll inside their
 * own box, timestamps never break, long accounted lists fold away). No script, no external resource.
 */

/** Inline style sheet of the report. Wide content scrolls in `.scroll` boxes; the page itself never does. */
export const REPORT_CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:20px 24px;max-width:1600px;color:#1d2330}
h1{margin:0 0 6px;font-size:22px}h2{margin:26px 0 8px;font-size:18px;border-bottom:1px solid #cfd5e0}
h3{margin:18px 0 6px;font-size:16px}h4{margin:12px 0 4px;font-size:14px}
.verdict{display:inline-block;font-size:16px;font-weight:700;padding:4px 14px;border-radius:12px;color:#fff;vertical-align:middle}
.ok{background:#1f7a3a}.fail{background:#b3261e}.warn{color:#8a5a00}.muted{color:#667085}
.lead{margin:6px 0 12px;overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%;margin:8px 0 16px}
table{border-collapse:collapse}th,td{border:1px solid #cfd5e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.bad{background:#fde8e7;font-weight:600}td.good{color:#1f7a3a;font-weight:600}
.ts,.id{white-space:nowrap}
td.reason{min-width:16em;max-width:40em;overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px;max-width:64em;margin:4px 0}code{font-size:12px}
details{margin:6px 0}summary{cursor:pointer}
dl.run{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 14px;margin:8px 0}
dl.run dt{font-weight:600}dl.run dd{margin:0;overflow-wrap:anywhere}
`;

/**
 * A table (or any wide block) in a box that scrolls sideways on its own, so the page stays
 * within the window.
 *
 * @example
 * scrollBox('<table>...</table>'); // '<div class="scroll"><table>...</table></div>'
 */
export function scrollBox(html: string): string {
  return `<div class="scroll">${html}</div>`;
}

/**
 * An ISO timestamp that never wraps.
 *
 * @example
 * timestamp('2026-03-01T12:00:00.000Z'); // '<time class="ts" datetime="...">2026-03-01T12:00:00.000Z</time>'
 */
export function timestamp(iso: string): string {
  return `<time class="ts" datetime="${e(iso)}">${e(iso)}</time>`;
}

/**
 * A folded section: the summary line (with its count) shows, the body opens on demand.
 *
 * @example
 * folded('Outside the tier-B window (accounted)', 1200, tableHtml); // '<details><summary>Outside the tier-B window (accounted): 1200</summary>...'
 */
export function folded(title: string, count: number | string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${e(title)}: ${e(String(count))}</summary>${body}</details>`;
}
