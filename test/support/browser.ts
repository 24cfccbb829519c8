import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describeNeeding, executable } from './peers.ts';

/**
 * Debian's Chromium driven by playwright-core: nothing is downloaded. Headless,
 * without a sandbox (we run as root) and without background networking, which
 * this machine's closed network would only refuse.
 */
export const CHROMIUM = process.env.FIREBREAK_CHROMIUM ?? '/usr/bin/chromium';
export const UI_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** A describe block that drives the real UI: it needs Chromium and the built UI (npm run build:web). */
export function describeWithBrowser(name: string, body: () => void): void {
  const missing = !executable(CHROMIUM)
    ? { what: 'chromium', why: `missing ${CHROMIUM} (apt-get install chromium, or set FIREBREAK_CHROMIUM)` }
    : !existsSync(join(UI_DIST, 'index.html'))
      ? { what: 'the built UI', why: 'web/dist is not built (npm run build:web; npm test does it first)' }
      : null;
  describeNeeding(name, missing, body);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A fresh browser profile, as a second person on another machine would have. */
export async function newPerson(browser: Browser, options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; timezoneId?: string } = {}): Promise<BrowserContext> {
  return browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.colorScheme ?? 'light',
    timezoneId: options.timezoneId ?? 'Europe/Berlin',
    locale: 'en-GB',
  });
}

export async function signInThroughUi(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Errors the page threw or logged, to assert that a flow ran clean. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A 401 before signing in is how the UI learns it must ask; anything else is a bug.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return errors;
}

const axeSource = (): string => readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA rules and best practices). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol, so the page's CSP (no inline script) does not stop it.
  await page.evaluate(axeSource());
  const violations = await page.evaluate(async () => {
    // In the page: its globals are not this process's (the test code is compiled without DOM types).
    const scope = globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const result = await scope.axe.run(scope.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export const describeViolations = (violations: AxeViolation[]) =>
  violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n    ')}`).join('\n');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The JavaScript a page load fetched, with each file's size gzipped (as the server sends it to browsers without brotli). */
export function recordScripts(page: Page): Array<{ url: string; bytes: number; gzipped: number }> {
  const scripts: Array<{ url: string; bytes: number; gzipped: number }> = [];
  page.on('response', async (response) => {
    if (response.request().resourceType() !== 'script') return;
    const body = await response.body().catch(() => null);
    if (body) scripts.push({ url: response.url(), bytes: body.length, gzipped: gzipSync(body, { level: 9 }).length });
  });
  return scripts;
}
