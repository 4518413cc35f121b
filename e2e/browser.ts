// Debian's Chromium driven by playwright-core. No browser is downloaded: it must be on the machine
// (.ci/run installs it). Under CI a missing browser fails the suite; elsewhere the suite skips and
// says why.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser suite cannot run here, or undefined when it can. */
export const browserUnavailable: string | undefined = existsSync(chromiumPath)
  ? undefined
  : `no Chromium at ${chromiumPath} (install Debian's chromium or set CHROMIUM_PATH)`;

if (browserUnavailable) {
  if (process.env.CI && process.env.CI !== 'false') throw new Error(`e2e: ${browserUnavailable}; under CI the browser suite must run.`);
  console.warn(`e2e: skipping the browser suite: ${browserUnavailable}`);
}

/**
 * `options` are added, e.g. `{ ignoreDefaultArgs: ['--disable-back-forward-cache'] }` for the bfcache;
 * `options.args` come after ours, e.g. `['--host-resolver-rules=MAP app.test 127.0.0.1']`.
 */
export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    ...options,
    executablePath: chromiumPath,
    headless: true,
    // These keep Chromium from reaching for Google's hosts on a closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...(options.args ?? [])],
  });
}
