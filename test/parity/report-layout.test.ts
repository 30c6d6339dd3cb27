import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { idFromLegacyId } from '../../src/codec/ids.js';
import { authorityModule } from '../../src/modules/authority/index.js';
import { runVerify } from '../../src/parity/index.js';
import { tableOf } from '../../src/postgres/entity-sql.js';
import { dumpDom, findChromium, screenshot } from './headless-chromium.js';
import { attemptDoc, oid, REF, spec, startParityBed, T1, T2, userDoc, type ParityBed } from './parity-fixture.js';

/**
 * The HTML report as people see it: rendered by headless Chromium at 1280 px, measured in the page,
 * and kept as a screenshot under `test-artifacts/`. Chromium is required in CI (`.ci/run` installs
 * Debian's package); elsewhere, without it, the test is skipped and says why.
 */
const WIDTH = 1280;
const HEIGHT = 900;
const ARTIFACTS = resolve('test-artifacts');

/** Runs inside the page after layout: what a reader would see at this window size. */
const MEASURE = `<script>
(() => {
  const root = document.documentElement;
  const verdict = document.getElementById('verdict');
  const v = verdict.getBoundingClientRect();
  const style = getComputedStyle(verdict);
  const summary = document.getElementById('summary').getBoundingClientRect();
  const stamps = [...document.querySelectorAll('time.ts')];
  const boxes = [...document.querySelectorAll('.scroll')];
  const folded = [...document.querySelectorAll('details')].map((d) => ({ open: d.open, summary: d.querySelector('summary').textContent, height: d.getBoundingClientRect().height }));
  const m = {
    innerWidth, innerHeight, clientWidth: root.clientWidth, scrollWidth: root.scrollWidth, bodyScrollWidth: document.body.scrollWidth,
    verdict: { text: verdict.textContent, top: v.top, bottom: v.bottom, left: v.left, right: v.right, width: v.width, height: v.height, visibility: style.visibility, display: style.display, opacity: style.opacity },
    summaryTop: summary.top,
    stamps: stamps.length, wrappedStamps: stamps.filter((t) => t.getClientRects().length !== 1).map((t) => t.textContent),
    scrollBoxes: boxes.length, scrollingBoxes: boxes.filter((b) => b.scrollWidth > b.clientWidth).length, boxesWiderThanPage: boxes.filter((b) => b.getBoundingClientRect().right > root.clientWidth + 0.5).length,
    folded,
  };
  root.setAttribute('data-layout', btoa(unescape(encodeURIComponent(JSON.stringify(m)))));
})();
</script>`;

interface Layout {
  innerWidth: number;
  innerHeight: number;
  clientWidth: number;
  scrollWidth: number;
  bodyScrollWidth: number;
  verdict: { text: string; top: number; bottom: number; left: number; right: number; width: number; height: number; visibility: string; display: string; opacity: string };
  summaryTop: number;
  stamps: number;
  wrappedStamps: string[];
  scrollBoxes: number;
  scrollingBoxes: number;
  boxesWiderThanPage: number;
  folded: { open: boolean; summary: string; height: number }[];
}

describe('parity: the HTML report in headless Chromium at 1280 px', function () {
  this.timeout(600_000);
  const chromium = findChromium();
  let bed: ParityBed;
  let dir: string;

  before(async function () {
    if (!chromium) {
      const why = 'no chromium on PATH (set CHROMIUM_PATH, or apt-get install chromium; .ci/run installs it)';
      if (process.env.CI && process.env.CI !== 'false') throw new Error(`CI requires headless Chromium for the report layout test: ${why}`);
      console.warn(`    skipped: ${why}`);
      this.skip();
    }
    bed = await startParityBed();
    dir = mkdtempSync(join(tmpdir(), 'parity-layout-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await bed?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Renders the report at `path`, measured, and keeps a screenshot named `name`. */
  async function render(path: string, name: string): Promise<Layout> {
    const html = readFileSync(path, 'utf8');
    expect(html).to.not.match(/<script/i);
    const measured = join(dir, `${name}.measured.html`);
    writeFileSync(measured, html.replace('</body>', `${MEASURE}</body>`));
    const dom = await dumpDom(chromium!, measured, WIDTH, HEIGHT);
    const found = /data-layout="([A-Za-z0-9+/=]+)"/.exec(dom);
    expect(found, 'the measuring script ran').to.not.equal(null);
    const png = join(ARTIFACTS, `parity-report-${name}-${WIDTH}.png`);
    rmSync(png, { force: true });
    await screenshot(chromium!, path, png, WIDTH, HEIGHT);
    const image = readFileSync(png);
    expect(image.subarray(1, 4).toString('latin1')).to.equal('PNG');
    expect(image.readUInt32BE(16), 'screenshot width').to.equal(WIDTH);
    return JSON.parse(Buffer.from(found![1]!, 'base64').toString('utf8')) as Layout;
  }

  function expectReadable(layout: Layout, verdict: 'PASS' | 'FAIL'): void {
    expect(layout.innerWidth).to.equal(WIDTH);
    expect(layout.scrollWidth, 'no horizontal page overflow').to.be.at.most(layout.clientWidth);
    expect(layout.bodyScrollWidth).to.be.at.most(layout.clientWidth);
    expect(layout.boxesWiderThanPage).to.equal(0);
    const v = layout.verdict;
    expect(v.text).to.equal(verdict);
    expect([v.display, v.visibility, v.opacity]).to.deep.equal(['inline-block', 'visible', '1']);
    expect(v.width).to.be.greaterThan(20);
    expect(v.top).to.be.at.least(0);
    expect(v.bottom, 'verdict in the first viewport').to.be.at.most(layout.innerHeight);
    expect(v.right).to.be.at.most(layout.clientWidth);
    expect(layout.summaryTop, 'the per-entity summary starts in the first viewport').to.be.lessThan(layout.innerHeight);
    expect(layout.stamps).to.be.greaterThan(0);
    expect(layout.wrappedStamps, 'timestamps on one line').to.deep.equal([]);
  }

  it('a passing report with long accounted lists: verdict first, the tier-B and quarantine lists folded with their counts', async () => {
    // 30 users, and 300 login attempts of which 240 lie outside the 90-day window (tier B).
    const users = Array.from({ length: 30 }, (_, i) => userDoc(i + 1, i % 2 ? T2 : T1));
    const attempts = Array.from({ length: 300 }, (_, i) => attemptDoc(i, i % 2 ? T2 : T1, i < 240 ? 100 + i : i - 240));
    await bed.legacy('user', users);
    await bed.convert('user', users);
    await bed.legacy('login_attempt', attempts);
    await bed.convert('login_attempt', attempts.slice(240));
    await bed.recordJob('login_attempt', REF);
    const out = join(dir, 'pass');
    const { paths, exitCode, report } = await runVerify({ config: bed.t.config, module: authorityModule, collections: ['authority_users', 'authority_login_attempts'], outDir: out, formats: ['html'] });
    expect(exitCode).to.equal(0);
    expect(report.data.find((d) => d.entity === 'login_attempt')!.counts.outsideWindow).to.equal(240);
    const layout = await render(paths[0]!, 'pass');
    expectReadable(layout, 'PASS');
    const tierB = layout.folded.find((f) => f.summary.startsWith('Outside the tier-B window (accounted): 240'));
    expect(tierB, JSON.stringify(layout.folded)).to.not.equal(undefined);
    expect(tierB!.open).to.equal(false);
    expect(tierB!.height, 'folded: only its summary line shows').to.be.lessThan(40);
    expect(layout.folded.find((f) => f.summary.startsWith('All probes'))!.open).to.equal(false);
  });

  it('a failing report with wide values: wide tables scroll inside their box, the page does not', async () => {
    for (const e of ['user', 'login_attempt']) await bed.reset(e);
    const wide = 'W'.repeat(600);
    const users = Array.from({ length: 12 }, (_, i) => userDoc(i + 1, T1, i === 3 ? { displayName: `long-${wide}` } : {}));
    await bed.legacy('user', users);
    await bed.convert('user', users.slice(1));
    await bed.admin.query(`update ${tableOf(spec('user'))} set display_name = $2 where id = $1`, [idFromLegacyId('authority_users', oid(4)), `other-${wide}`]);
    const out = join(dir, 'fail');
    const { paths, exitCode, report } = await runVerify({ config: bed.t.config, module: authorityModule, collections: ['authority_users'], outDir: out, formats: ['html'] });
    expect(exitCode).to.equal(1);
    expect(report.data[0]!.counts).to.include({ differing: 1, missingInPostgres: 1 });
    const layout = await render(paths[0]!, 'fail');
    expectReadable(layout, 'FAIL');
    expect(layout.scrollBoxes).to.be.greaterThan(2);
    expect(layout.scrollingBoxes, 'the 600-character values scroll inside their box').to.be.greaterThan(0);
  });
});
