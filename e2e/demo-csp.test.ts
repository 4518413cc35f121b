// The demo's Content-Security-Policy holds in a real browser: every page of a whole visit (sign in,
// the signed-in page with the SDK and its warning dialog, sign out) runs with no violation.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser } from './browser.ts';
import { startDemoServer, type RunningDemo } from './demo-server.ts';

let browser: Browser;
let demo: RunningDemo;

describe.skipIf(browserUnavailable !== undefined)('the demo under its Content-Security-Policy', () => {
  beforeAll(async () => {
    demo = await startDemoServer({ IDLE_TIMEOUT_MS: '6000', WARNING_MS: '3000' });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('sign-in page, signed-in page with the warning dialog, and the signed-out page raise no violation', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    await page.exposeFunction('__reportViolation', (text: string) => void violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { __reportViolation: (text: string) => void }).__reportViolation(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
      });
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const signInPage = await page.goto(`${demo.origin}/`);
    expect(signInPage?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('#username', 'csp');
    await Promise.all([page.waitForURL('**/app'), page.click('button[type=submit]')]);
    await page.getByRole('alertdialog').waitFor({ timeout: 15_000 }); // the SDK's dialog, styled under the CSP
    await page.waitForURL('**/signed-out**', { timeout: 15_000 });
    await page.waitForLoadState('load');
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
