/**
 * The web UI's weight and speed, in Debian's Chromium against a real server.
 *
 * 1. Bundle sizes: every file `npm run build:web` wrote to web/dist, raw, gzip
 *    and brotli (as the server sends them), and the JavaScript the incident room
 *    actually loads on a first visit (recorded from the browser's requests).
 *    Goal: the room's initial JavaScript under 200 KB gzipped.
 * 2. Time to first render of the incident room: one `firebreak serve` child
 *    process on SQLite, with 5,000 past incidents written through the
 *    repositories and one open incident with a 200-entry timeline. A signed-in
 *    browser opens the room BENCH_RUNS times with a cold cache (a fresh browser
 *    context each time) and BENCH_RUNS times warm; each figure is the page's own
 *    User Timing mark `firebreak:room-rendered` (set when the incident is on
 *    screen), first-contentful-paint, and when the timeline's entries are there.
 * 3. The incident list with 5,000 incidents: time to its first 50 rows, and how
 *    long showing 50 more takes (click to rows on screen).
 *
 *   npm run bench:ui
 *   BENCH_RUNS=3 npm run bench:ui   (a quicker look)
 *
 * Environment: BENCH_RUNS (10), BENCH_INCIDENTS (5000), FIREBREAK_CHROMIUM (/usr/bin/chromium).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { createIdGenerator } from '../src/core/ids.ts';
import { Store } from '../src/store/index.ts';
import { CHROMIUM, DESKTOP, UI_DIST, launchBrowser, newPerson, recordScripts, signInThroughUi } from '../test/support/browser.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { expectStatus, percentile, spawnServer } from '../test/support/process.ts';
import { seedIncidents } from '../test/support/seed.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 5000);
const TIMELINE = 200;
const GOAL_KB = 200;
const PASSWORD = 'a passphrase for the benchmark';

const log = (text: string) => process.stdout.write(`${text}\n`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => (Number.isFinite(value) ? `${value < 10 ? value.toFixed(1) : Math.round(value)} ms` : '—');

function table(headers: string[], rows: string[][], leftColumns = 1): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));

function bundleSizes(): void {
  const files = walk(UI_DIST).filter((path) => !path.endsWith('.br') && !path.endsWith('.gz'));
  const rows = files
    .map((path) => {
      const body = readFileSync(path);
      return { name: relative(UI_DIST, path), raw: body.length, gzip: gzipSync(body, { level: 9 }).length, br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length };
    })
    .sort((a, b) => b.raw - a.raw);
  const total = rows.reduce((sum, r) => ({ raw: sum.raw + r.raw, gzip: sum.gzip + r.gzip, br: sum.br + r.br }), { raw: 0, gzip: 0, br: 0 });
  log('Files of web/dist (what the server holds in memory and sends):');
  log(table(['file', 'raw', 'gzip', 'brotli'], [...rows.map((r) => [r.name, kb(r.raw), kb(r.gzip), kb(r.br)]), ['all', kb(total.raw), kb(total.gzip), kb(total.br)]]));
  log('');
}

/** The page's own view of the load: its mark, first-contentful-paint, and when the timeline showed. */
async function pageTimings(page: Page, mark: string): Promise<{ mark: number; fcp: number }> {
  return page.evaluate((name) => {
    const scope = globalThis as unknown as { performance: { getEntriesByName(name: string): Array<{ startTime: number }> } };
    return {
      mark: scope.performance.getEntriesByName(name)[0]?.startTime ?? Number.NaN,
      fcp: scope.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
    };
  }, mark);
}

async function main(): Promise<void> {
  if (!existsSync(join(UI_DIST, 'index.html'))) throw new Error('web/dist is not built: run npm run build:web first');
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);
  log(`Firebreak web UI benchmark: ${cpus().length} CPUs, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; Chromium ${CHROMIUM}, viewport ${DESKTOP.width}×${DESKTOP.height}.\n`);
  bundleSizes();

  const database = await createTestDatabase('sqlite');
  const seeding = await Store.open({ dataDir: database.dataDir });
  await seedIncidents(seeding, createIdGenerator({ now: Date.now }), INCIDENTS, Date.now());
  await seeding.close();
  const server = await spawnServer({ dataDir: database.dataDir, databaseUrl: undefined });
  const browser = await launchBrowser();
  try {
    await expectStatus(server, 201, 'POST', '/api/v1/users', { username: 'amara', role: 'admin', password: PASSWORD });
    const incident = (await expectStatus(server, 201, 'POST', '/api/v1/incidents', { title: 'Queue stuck: orders', severity: 'P1', services: ['rabbitmq'] })).body as { id: string };
    for (let i = 0; i < TIMELINE; i++) await expectStatus(server, 201, 'POST', `/api/v1/incidents/${incident.id}/notes`, { text: `Note ${i}: checked the consumers, lag ${i * 3} messages` });
    const roomUrl = `${server.url}/incidents/${incident.id}`;

    // The room's first visit: which scripts, how heavy.
    const first = await newPerson(browser);
    const page = await first.newPage();
    await signInThroughUi(page, server.url, 'amara', PASSWORD);
    const scripts = recordScripts(page);
    await page.goto(roomUrl);
    await page.locator('.timeline .entry').first().waitFor();
    await page.waitForLoadState('networkidle');
    await first.close();
    const roomGzip = scripts.reduce((sum, s) => sum + s.gzipped, 0);
    log('JavaScript the incident room loads on a first visit:');
    log(table(['script', 'raw', 'gzip'], [...scripts.map((s) => [new URL(s.url).pathname, kb(s.bytes), kb(s.gzipped)]), ['all', kb(scripts.reduce((sum, s) => sum + s.bytes, 0)), kb(roomGzip)]]));
    log(`Goal: under ${GOAL_KB} KB gzipped: ${roomGzip < GOAL_KB * 1024 ? 'met' : 'NOT met'} (${kb(roomGzip)}).\n`);

    // Time to first render, cold and warm.
    const measure = async (warm: boolean) => {
      const marks: number[] = [];
      const paints: number[] = [];
      const timelines: number[] = [];
      const context = await newPerson(browser);
      const tab = await context.newPage();
      await signInThroughUi(tab, server.url, 'amara', PASSWORD);
      if (warm) await tab.goto(roomUrl);
      for (let run = 0; run < RUNS; run++) {
        let target = tab;
        let own: Awaited<ReturnType<typeof newPerson>> | null = null;
        if (!warm) {
          // A fresh profile: nothing cached, but the session cookie carried over.
          own = await newPerson(browser);
          await own.addCookies(await context.cookies());
          target = await own.newPage();
        }
        const began = performance.now();
        await target.goto(roomUrl);
        await target.locator('.timeline .entry').first().waitFor();
        const timelineMs = performance.now() - began;
        const { mark, fcp } = await pageTimings(target, 'firebreak:room-rendered');
        marks.push(mark);
        paints.push(fcp);
        timelines.push(timelineMs);
        await own?.close();
      }
      await context.close();
      return { marks: marks.sort((a, b) => a - b), paints: paints.sort((a, b) => a - b), timelines: timelines.sort((a, b) => a - b) };
    };
    const cold = await measure(false);
    const warm = await measure(true);
    log(`Incident room, ${RUNS} loads each (ms from navigation start; the incident has ${TIMELINE} timeline entries):`);
    log(
      table(
        ['cache', 'first contentful paint p50', 'room rendered p50', 'room rendered p95', 'timeline on screen p50 (from goto)'],
        [
          ['cold', ms(percentile(cold.paints, 50)), ms(percentile(cold.marks, 50)), ms(percentile(cold.marks, 95)), ms(percentile(cold.timelines, 50))],
          ['warm', ms(percentile(warm.paints, 50)), ms(percentile(warm.marks, 50)), ms(percentile(warm.marks, 95)), ms(percentile(warm.timelines, 50))],
        ],
      ),
    );
    log('');

    // The list with thousands of incidents.
    const listContext = await newPerson(browser);
    const list = await listContext.newPage();
    await signInThroughUi(list, server.url, 'amara', PASSWORD);
    const firstRows: number[] = [];
    const moreRows: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await list.goto(`${server.url}/incidents?status=all`);
      await list.locator('tr[data-incident]').nth(49).waitFor();
      firstRows.push((await pageTimings(list, 'firebreak:list-rendered')).mark);
      const began = performance.now();
      await list.getByRole('button', { name: 'Show 50 more' }).click();
      await list.locator('tr[data-incident]').nth(99).waitFor();
      moreRows.push(performance.now() - began);
    }
    await listContext.close();
    firstRows.sort((a, b) => a - b);
    moreRows.sort((a, b) => a - b);
    log(`Incident list with ${INCIDENTS + 1} incidents (50 rows a page), ${RUNS} loads:`);
    log(table(['what', 'p50', 'p95'], [['first 50 rows rendered (from navigation start)', ms(percentile(firstRows, 50)), ms(percentile(firstRows, 95))], ['"Show 50 more" to 100 rows on screen', ms(percentile(moreRows, 50)), ms(percentile(moreRows, 95))]]));
  } finally {
    await browser.close();
    await server.stop();
    await database.drop();
  }
}

await main();
