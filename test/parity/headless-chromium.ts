import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * A headless Chromium (Debian's `chromium`, which `.ci/run` installs) driven from its command line:
 * `--dump-dom` returns the DOM after load (a measuring script can leave its findings there) and
 * `--screenshot` writes a PNG, both at a fixed window size.
 */
const run = promisify(execFile);

/** The browser binary: CHROMIUM_PATH, else the first of the usual names on PATH, else null. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

async function chromium(binary: string, args: readonly string[], width: number, height: number): Promise<string> {
  // A profile of its own: tests may run browsers side by side.
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  try {
    const { stdout } = await run(
      binary,
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, `--window-size=${width},${height}`, ...args],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The serialised DOM of a page after load. */
export function dumpDom(binary: string, file: string, width: number, height: number): Promise<string> {
  return chromium(binary, ['--dump-dom', pathToFileURL(file).href], width, height);
}

/** Writes a PNG screenshot of the first viewport of a page. */
export async function screenshot(binary: string, file: string, png: string, width: number, height: number): Promise<void> {
  // A virtual-time budget lets layout and paint settle before the capture.
  await chromium(binary, ['--virtual-time-budget=3000', `--screenshot=${png}`, pathToFileURL(file).href], width, height);
}
