/**
 * The responder UI, driven in Debian's Chromium against a real server on the
 * engine under test, as two people on two machines would use it: an alert
 * arrives while one watches the list; they acknowledge and post an update from
 * a template; the other asks to run a runbook step that needs approval, the
 * first approves it and both watch its output; the incident is resolved and its
 * post-mortem written. Every main page is checked with axe-core and captured at
 * desktop and phone sizes (test-results/screenshots/).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  DESKTOP,
  PHONE,
  collectPageErrors,
  describeViolations,
  describeWithBrowser,
  launchBrowser,
  newPerson,
  recordScripts,
  screenshot,
  seriousViolations,
  signInThroughUi,
} from '../support/browser.ts';
import { seedIncidents } from '../support/seed.ts';
import { startExampleServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'a passphrase for the browser test';
const RUNBOOK = `# Queue runbooks

## Runbook: UI Queue Replay

**Alert Name:** UiQueueStuck
**Severity:** P1

### Investigation

\`\`\`bash
# 1. Look at the queue
echo "queue depth is 42"
\`\`\`

### Resolution

WARNING: a replay can process a message twice. Get approval first.

\`\`\`bash
echo "replaying the queue"; sleep 1; echo "replay finished"
\`\`\`
`;

/**
 * The example configuration with one more alert in the catalog, whose runbook's commands are harmless,
 * and a second escalation level that also pages whoever is on call next.
 */
function withUiRunbook(folder: string) {
  return (text: string) =>
    text
      .replace('  paths: [', `  paths: [${JSON.stringify(folder)}, `)
      .replace('      - targets: [{ user: amara }]\n', '      - targets: [{ user: amara }, { schedule: platform, next: true }]\n')
      .replace(
        '  catalog:\n',
        '  catalog:\n    - alert: UiQueueStuck\n      severity: P1\n      service: rabbitmq\n      title: "Queue stuck: {{ labels.queue }}"\n      runbook: ui-queue-replay\n',
      );
}

describeWithBrowser('the responder UI in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let folder: string;
  let alertKey: string;
  const contexts: BrowserContext[] = [];
  /** What each browser of the current test threw or logged as an error; a clean run has none. */
  let pageErrors: Array<{ who: string; errors: string[] }> = [];

  async function person(username: string, options: Parameters<typeof newPerson>[1] = {}): Promise<Page> {
    const context = await newPerson(browser, options);
    contexts.push(context);
    const page = await context.newPage();
    pageErrors.push({ who: username, errors: collectPageErrors(page) });
    await signInThroughUi(page, t.url, username, PASSWORD);
    return page;
  }

  afterEach(async ({ task }) => {
    // A failed flow leaves a picture of each browser where it stopped.
    if (task.result?.state === 'fail') {
      for (const [i, context] of contexts.entries()) for (const [j, page] of context.pages().entries()) await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}-${i}-${j}`).catch(() => {});
    }
    for (const context of contexts.splice(0)) await context.close().catch(() => {});
    const seen = pageErrors.filter((p) => p.errors.length > 0);
    pageErrors = [];
    expect(seen, 'errors in the browsers').toEqual([]);
  });

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'firebreak-ui-runbooks-'));
    writeFileSync(join(folder, 'queue.md'), RUNBOOK);
    t = await startExampleServer({ rewrite: withUiRunbook(folder), streamCheckMs: 500 });
    for (const [username, role] of [
      ['amara', 'admin'],
      ['tomasz', 'responder'],
    ] as const) {
      const created = await t.api('POST', '/api/v1/users', { username, role, password: PASSWORD });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    const integration = await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'browser test' });
    alertKey = integration.body.key;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const postAlert = (status: 'firing' | 'resolved') =>
    fetch(`${t.url}/api/v1/integrations/alertmanager/${alertKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: '{}:{alertname="UiQueueStuck"}',
        status,
        receiver: 'firebreak',
        groupLabels: { alertname: 'UiQueueStuck' },
        commonLabels: { alertname: 'UiQueueStuck' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.test:9093',
        alerts: [
          {
            status,
            labels: { alertname: 'UiQueueStuck', queue: 'orders', instance: 'mq-1:15692' },
            annotations: { summary: 'orders queue has not drained for 10 minutes' },
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.test:9090/graph',
            fingerprint: 'ui0000000000queue',
          },
        ],
      }),
    });

  it('carries an incident from alert to post-mortem, with a second person approving a runbook step', { timeout: 180_000 }, async () => {
    const amara = await person('amara');
    await amara.goto(`${t.url}/incidents`);
    await expect.poll(() => amara.getByRole('heading', { name: 'Incidents' }).isVisible()).toBe(true);

    // An alert arrives while the list is open: it shows without a reload.
    expect((await postAlert('firing')).status).toBe(200);
    const row = amara.locator('tr[data-incident]', { hasText: 'Queue stuck: orders' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByText('not acknowledged').isVisible()).toBe(true);

    // Open it: the initial-response clock counts down each second.
    await row.getByRole('link', { name: 'Queue stuck: orders' }).click();
    await amara.getByRole('heading', { level: 1, name: 'Queue stuck: orders' }).waitFor();
    const incidentId = new URL(amara.url()).pathname.split('/').pop()!;
    const clock = amara.locator('li[data-clock="initialResponse"]');
    const first = await clock.locator('.clock-value').textContent();
    expect(first).toMatch(/^(59m|1h) .*left$/);
    await expect.poll(() => clock.locator('.clock-value').textContent(), { timeout: 5000 }).not.toBe(first);
    expect(await clock.getAttribute('data-state')).toBe('ok');

    // Acknowledge with the keyboard shortcut: the clock is met.
    await amara.keyboard.press('a');
    await expect.poll(() => clock.getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
    expect(await clock.locator('.clock-value').textContent()).toBe('met');
    await amara.getByText(/acknowledged .* by Amara Okafor/).waitFor();

    // Post an update from a template, previewed first.
    await amara.getByRole('button', { name: 'Post an update' }).click();
    await amara.getByLabel('Template').selectOption('update');
    await amara.getByLabel('Value of eta').fill('30 minutes');
    await amara.getByRole('button', { name: 'Preview' }).click();
    const preview = amara.locator('figure.preview pre');
    await preview.waitFor();
    expect(await preview.textContent()).toContain('ETA to Resolution: 30 minutes');
    await amara.getByRole('button', { name: 'Post update' }).click();
    const update = amara.locator('.entry[data-kind="update"]');
    await update.waitFor({ timeout: 10_000 });
    expect(await update.textContent()).toContain('30 minutes');

    // Tomasz, on his own machine, runs the incident's runbook; its steps wait for an admin's approval (P1).
    const tomasz = await person('tomasz');
    await tomasz.goto(`${t.url}/incidents/${incidentId}?tab=runbooks`);
    await tomasz.getByText('UI Queue Replay').first().waitFor();
    await tomasz.getByRole('button', { name: 'Run…' }).first().click();
    await tomasz.getByRole('button', { name: 'Dry run' }).click();
    await tomasz.getByRole('region', { name: 'Dry run' }).or(tomasz.getByLabel('Dry run')).first().waitFor();
    expect(await tomasz.getByLabel('Dry run').textContent()).toContain('echo "replaying the queue"');
    await tomasz.getByRole('button', { name: 'Create run' }).click();
    const replay = tomasz.locator('li.step', { hasText: 'replaying the queue' });
    await replay.waitFor({ timeout: 10_000 });
    await replay.getByRole('button', { name: 'Ask to run' }).click();
    await expect.poll(() => replay.getAttribute('data-state'), { timeout: 10_000 }).toBe('awaiting-approval');
    await replay.getByText('Waiting for someone else to approve.').waitFor();
    // He may take his request back (the step is pending again), and ask anew.
    await replay.getByRole('button', { name: 'Withdraw request' }).click();
    await expect.poll(() => replay.getAttribute('data-state'), { timeout: 10_000 }).toBe('pending');
    await replay.getByText(/^Withdrawn by Tomasz/).waitFor();
    await replay.getByRole('button', { name: 'Ask to run' }).click();
    await expect.poll(() => replay.getAttribute('data-state'), { timeout: 10_000 }).toBe('awaiting-approval');

    // Amara's room shows the request live; she sees who asked and what will run, and approves.
    await amara.getByRole('tab', { name: /Runbooks.*1 awaiting approval/ }).waitFor({ timeout: 10_000 });
    await amara.getByRole('tab', { name: /Runbooks/ }).click();
    const approval = amara.locator('li.step[data-state="awaiting-approval"]');
    await approval.waitFor();
    expect(await approval.textContent()).toContain('Tomasz Wiśniewski asked to run this');
    expect(await approval.getByLabel('Command that will run').textContent()).toContain('echo "replaying the queue"');
    await approval.getByRole('button', { name: 'Approve' }).click();

    // Both watch it run to the end.
    for (const page of [amara, tomasz]) {
      const step = page.locator('li.step', { hasText: 'replaying the queue' });
      await expect.poll(() => step.getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
      await expect.poll(() => step.locator('pre.output').textContent(), { timeout: 10_000 }).toContain('replay finished');
      // Live chunks and the reads in between add up to the output once, no chunk twice.
      expect(await step.locator('pre.output').textContent()).toBe('replaying the queue\nreplay finished\n');
    }

    // Resolve, with a note.
    await amara.getByRole('button', { name: 'Resolve' }).click();
    await amara.getByLabel('Resolution note').fill('Replayed the orders queue; it drained.');
    await amara.getByRole('dialog').getByRole('button', { name: 'Resolve' }).click();
    await amara.locator('.room-title-line .status', { hasText: 'Resolved' }).waitFor({ timeout: 10_000 });

    // Write and save the post-mortem, over the draft Firebreak saved when the incident resolved.
    const drafted = await t.api('GET', `/api/v1/incidents/${incidentId}/postmortem`);
    expect(drafted.body.updatedBy).toBe('system:firebreak');
    await amara.getByRole('link', { name: 'Post-mortem' }).click();
    const source = amara.getByLabel('Post-mortem in Markdown');
    await expect.poll(async () => (await source.inputValue()).length, { timeout: 10_000 }).toBeGreaterThan(50);
    const draft = await source.inputValue();
    expect(draft).toContain('Queue stuck: orders');
    await source.fill(`${draft}\n\n## What we learned\n\nReplays need a dedup key.\n`);
    await amara.getByLabel('Preview').getByRole('heading', { name: 'What we learned' }).waitFor();
    await amara.getByRole('button', { name: 'Save' }).click();
    await amara.getByText(`version ${drafted.body.version + 1} · saved just now by Amara Okafor`).waitFor({ timeout: 10_000 });
    const saved = await t.api('GET', `/api/v1/incidents/${incidentId}/postmortem`);
    expect(saved.body).toMatchObject({ version: drafted.body.version + 1, updatedBy: 'user:amara' });
    expect(saved.body.markdown).toContain('Replays need a dedup key.');

    // The timeline tells the story, each entry by the person who did it.
    const timeline = (await t.api('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items as Array<{ kind: string; actor: string }>;
    expect(timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'acknowledged', actor: 'user:amara' }),
      expect.objectContaining({ kind: 'update', actor: 'user:amara' }),
      expect.objectContaining({ kind: 'run.started', actor: 'user:tomasz' }),
    ]));
  });

  it('silences an alert from the alert list after previewing what the matchers catch, and expires the silence', async () => {
    const amara = await person('amara');
    await amara.goto(`${t.url}/alerts?status=all`);
    const alertRow = amara.locator('tr', { hasText: 'UiQueueStuck' });
    await alertRow.first().waitFor();
    await alertRow.first().getByRole('button', { name: 'Silence UiQueueStuck' }).click();
    const dialog = amara.getByRole('dialog');
    await dialog.getByText(/alerts? not yet resolved/).waitFor({ timeout: 10_000 });
    await dialog.getByLabel('Comment').fill('Queue migration tonight');
    await dialog.getByRole('button', { name: /Silence for/ }).click();
    await dialog.waitFor({ state: 'hidden' });
    const silences = await t.api('GET', '/api/v1/silences');
    const silence = silences.body.items.find((s: any) => s.comment === 'Queue migration tonight');
    expect(silence.matchers).toEqual(expect.arrayContaining([{ name: 'alertname', op: '=', value: 'UiQueueStuck' }]));
    await amara.goto(`${t.url}/silences`);
    await amara.getByRole('button', { name: 'Expire' }).first().click();
    await expect.poll(async () => (await t.api('GET', `/api/v1/silences`)).body.items.some((s: any) => s.id === silence.id)).toBe(false);
  });

  it('lets an administrator end a session from Settings, and the page of that session signs itself out', async () => {
    const tomasz = await person('tomasz');
    await tomasz.goto(`${t.url}/incidents`);
    await tomasz.getByText('Live', { exact: true }).waitFor();
    const amara = await person('amara');
    await amara.goto(`${t.url}/settings/users`);
    await amara.getByRole('button', { name: 'Sessions of tomasz' }).click();
    const panel = amara.getByRole('region', { name: 'Sessions of tomasz' });
    await panel.getByText('Chrome on Linux').first().waitFor();
    const account = (await t.api('GET', '/api/v1/users/tomasz')).body;
    const open = async () => (await t.api('GET', `/api/v1/sessions?account=${account.id}`)).body.items.length;
    // Earlier tests left sessions of tomasz open too: end them all.
    const endAll = panel.getByRole('button', { name: /^End all/ });
    if ((await endAll.count()) > 0) await endAll.click();
    else await panel.getByRole('button', { name: 'End' }).click();
    await expect.poll(open).toBe(0);
    await panel.getByText('tomasz is not signed in anywhere.').waitFor();
    // No click, no reload on tomasz's side: the live stream hears it and the page asks to sign in again.
    await tomasz.getByText('Your session has ended').waitFor({ timeout: 10_000 });
    await tomasz.getByLabel('Password').waitFor();
  });

  it('adds an on-call override by dragging across a day of the calendar', async () => {
    const amara = await person('amara');
    await amara.goto(`${t.url}/oncall`);
    const track = amara.locator('.calendar-track').nth(1);
    await track.waitFor();
    const box = (await track.boundingBox())!;
    await amara.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await amara.mouse.down();
    await amara.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await amara.mouse.up();
    const dialog = amara.getByRole('dialog', { name: 'Cover the schedule' });
    await dialog.waitFor();
    await dialog.getByLabel('Who covers').selectOption('tomasz');
    await dialog.getByRole('button', { name: 'Add override' }).click();
    await amara.getByRole('listitem').filter({ hasText: 'Tomasz Wiśniewski' }).getByRole('button', { name: 'Remove' }).waitFor();
    const overrides = (await t.api('GET', '/api/v1/schedules/platform/overrides')).body.items;
    expect(overrides).toHaveLength(1);
    // A quarter to a half of the day: 06:00 to 12:00 in the viewer's zone (Europe/Berlin).
    expect(new Date(overrides[0].end).getTime() - new Date(overrides[0].start).getTime()).toBe(6 * 3_600_000);
  });

  it('goes to a page with g then a key, and in an incident room "g then a" goes to alerts without acknowledging', async () => {
    const amara = await person('amara');
    await amara.goto(`${t.url}/incidents`);
    await amara.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
    await amara.keyboard.press('g');
    await amara.keyboard.press('a');
    await amara.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    expect(new URL(amara.url()).pathname).toBe('/alerts');
    await amara.keyboard.press('g');
    await amara.keyboard.press('o');
    await amara.getByRole('heading', { level: 1, name: 'On call' }).waitFor();
    expect(new URL(amara.url()).pathname).toBe('/oncall');

    const declared = await t.api('POST', '/api/v1/incidents', { title: 'Shortcut check', severity: 'P3' });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    await amara.goto(`${t.url}/incidents/${declared.body.id}`);
    await amara.getByRole('heading', { level: 1, name: 'Shortcut check' }).waitFor();
    await amara.keyboard.press('g');
    await amara.keyboard.press('a');
    await amara.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    // The a after g was a destination, not the acknowledge shortcut of the room.
    expect((await t.api('GET', `/api/v1/incidents/${declared.body.id}`)).body.acknowledgedAt).toBeNull();
    // "/" from any page goes to the incident list, ready to type.
    await amara.keyboard.press('/');
    await amara.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
    await expect.poll(() => amara.locator('#incident-search:focus').count()).toBe(1);
  });

  it('shows a long timeline newest first, 200 entries at a time', async () => {
    const declared = await t.api('POST', '/api/v1/incidents', { title: 'Alert storm', severity: 'P3' });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const notes = Array.from({ length: 450 }, (_, i) => `storm note ${i}`);
    for (let i = 0; i < notes.length; i += 50) {
      await Promise.all(notes.slice(i, i + 50).map((text) => t.api('POST', `/api/v1/incidents/${declared.body.id}/notes`, { text })));
    }
    const total = (await t.api('GET', `/api/v1/incidents/${declared.body.id}/timeline?limit=5000`)).body.items.length;
    const amara = await person('amara');
    await amara.goto(`${t.url}/incidents/${declared.body.id}`);
    const entries = amara.locator('.timeline .entry');
    await expect.poll(() => entries.count(), { timeout: 10_000 }).toBe(200);
    const newest = (await t.api('GET', `/api/v1/incidents/${declared.body.id}/timeline?order=newest&limit=1`)).body.items[0];
    expect(await entries.first().locator('.entry-text').textContent()).toBe(newest.text);
    await amara.getByRole('button', { name: 'Show 200 older' }).click();
    await expect.poll(() => entries.count()).toBe(400);
    await amara.getByRole('button', { name: 'Show 200 older' }).click();
    await expect.poll(() => entries.count()).toBe(total);
    await expect.poll(() => amara.getByRole('button', { name: 'Show 200 older' }).count()).toBe(0);
  });

  it('edits an incident\'s affected services from the room', async () => {
    const amara = await person('amara');
    const declared = await t.api('POST', '/api/v1/incidents', { title: 'Services edit', severity: 'P3', services: ['rabbitmq'] });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    await amara.goto(`${t.url}/incidents/${declared.body.id}`);
    await amara.getByRole('button', { name: 'Edit' }).click();
    const dialog = amara.getByRole('dialog', { name: 'Edit incident' });
    const services = dialog.getByRole('group', { name: 'Affected services' });
    await services.getByRole('checkbox').nth(0).waitFor();
    const ticked = await Promise.all((await services.getByRole('checkbox').all()).map((box) => box.isChecked()));
    expect(ticked.filter(Boolean)).toHaveLength(1);
    // Tick every service that is not ticked yet, and save.
    for (const box of await services.getByRole('checkbox').all()) if (!(await box.isChecked())) await box.check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const config = (await t.api('GET', '/api/v1/config')).body;
    const after = (await t.api('GET', `/api/v1/incidents/${declared.body.id}`)).body;
    expect([...after.services].sort()).toEqual(config.services.map((s: any) => s.id).sort());
  });

  it('shows each escalation level with whom it pages, "next on call" included', async () => {
    const amara = await person('amara');
    await amara.goto(`${t.url}/oncall`);
    const levels = amara.getByRole('region', { name: 'Escalation policies' }).locator('ol.levels > li');
    await expect.poll(() => levels.allTextContents()).toEqual([
      'on call in platform · 15m to acknowledge',
      'Amara Okafor, whoever is on call next in platform · 15m to acknowledge',
    ]);
  });

  it('keeps the incident list light with 5,000 incidents: 50 rows at a time', async () => {
    const services = t.server.services;
    await seedIncidents(services.store, services.newId, 5000, Date.now());
    const amara = await person('amara');
    await amara.goto(`${t.url}/incidents?status=all`);
    const rows = amara.locator('tr[data-incident]');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(50);
    await amara.getByRole('button', { name: 'Show 50 more' }).click();
    await expect.poll(() => rows.count()).toBe(100);
    await amara.getByLabel('Search incidents').fill('Seeded incident 4999');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
  });

  it('loads the incident room with under 200 KB of JavaScript, gzipped', async () => {
    const context = await newPerson(browser);
    contexts.push(context);
    const page = await context.newPage();
    await signInThroughUi(page, t.url, 'amara', PASSWORD);
    const incidents = await t.api('GET', '/api/v1/incidents?limit=1');
    const scripts = recordScripts(page);
    await page.goto(`${t.url}/incidents/${incidents.body.items[0].id}`);
    await page.locator('.room-title-line h1').waitFor();
    await page.waitForLoadState('networkidle');
    const total = scripts.reduce((sum, script) => sum + script.gzipped, 0);
    expect(scripts.length).toBeGreaterThan(0);
    expect(total, scripts.map((s) => `${s.url} ${s.gzipped}`).join('\n')).toBeLessThan(200 * 1024);
  });

  const PAGES: Array<[string, string]> = [
    ['incidents', '/incidents'],
    ['room', '/incidents/:id'],
    ['runbooks', '/incidents/:id?tab=runbooks'],
    ['alerts', '/alerts?status=all'],
    ['silences', '/silences?all=true'],
    ['oncall', '/oncall'],
    ['status-page', '/status-page'],
    ['postmortem', '/incidents/:id/postmortem'],
    ['reports', '/reports'],
    ['settings', '/settings/account'],
    ['users', '/settings/users'],
    ['integrations', '/settings/integrations'],
  ];

  it('shows every main page without serious or critical accessibility violations, in light and dark, at desktop and phone sizes', { timeout: 300_000 }, async () => {
    const resolved = (await t.api('GET', '/api/v1/incidents?status=resolved&limit=50')).body.items.find((i: any) => i.title === 'Queue stuck: orders');
    expect(resolved, 'the incident of the first test').toBeTruthy();
    const problems: string[] = [];
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        const page = await person('amara', { viewport, colorScheme: scheme });
        for (const [name, path] of PAGES) {
          await page.goto(t.url + path.replace(':id', resolved.id));
          await page.locator('main h1').first().waitFor();
          await page.waitForLoadState('networkidle');
          // Skeletons gone: what is checked and captured is the page with its data.
          await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 10_000 }).toBe(0);
          if (size === 'desktop' || scheme === 'light') await screenshot(page, `${size}-${scheme}-${name}`);
          const violations = await seriousViolations(page);
          if (violations.length > 0) problems.push(`${size} ${scheme} ${name}:\n  ${describeViolations(violations)}`);
          if (name === 'incidents') {
            // The declare dialog, opened as a responder does at 3 a.m.: with the d key.
            await page.keyboard.press('d');
            await page.getByRole('dialog', { name: 'Declare an incident' }).waitFor();
            if (scheme === 'light') await screenshot(page, `${size}-${scheme}-declare`);
            const inDialog = await seriousViolations(page);
            if (inDialog.length > 0) problems.push(`${size} ${scheme} declare dialog:\n  ${describeViolations(inDialog)}`);
            await page.keyboard.press('Escape');
            await page.getByRole('dialog').waitFor({ state: 'hidden' });
          }
        }
      }
    }
    expect(problems.join('\n\n')).toBe('');
  });
});
