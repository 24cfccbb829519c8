import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { EXAMPLE_CONFIG, startTestServer, type TestServer } from '../support/server.ts';
import { childrenNamed, parseXml } from './xml.ts';

const API = '/status/api/v2/';
const HOUR = 3_600_000;

describe('status page over time, with a public URL', () => {
  let dir: string;
  let t: TestServer;
  const clock = new ManualClock(Date.parse('2030-03-01T10:00:00Z'));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-status-'));
    // The example names its runbook and template folders relative to itself: link them beside the copy.
    const examples = dirname(EXAMPLE_CONFIG);
    for (const entry of readdirSync(examples)) if (entry !== basename(EXAMPLE_CONFIG)) symlinkSync(join(examples, entry), join(dir, entry));
    const file = join(dir, basename(EXAMPLE_CONFIG));
    const text = readFileSync(EXAMPLE_CONFIG, 'utf8').replace(/^publicUrl:.*\n/m, '');
    writeFileSync(file, `${text}\npublicUrl: https://firebreak.example.com/\n`);
    t = await startTestServer({ clock, configPath: file, timers: false });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = async (path: string) => (await (await fetch(t.url + API + path)).json()) as any;

  it('moves a maintenance from upcoming to active to completed as time passes, with no other change', async () => {
    const created = await t.api('POST', '/api/v1/status/maintenances', {
      title: 'Broker upgrade',
      body: 'Messages queue up for a few minutes.',
      components: ['rabbitmq'],
      scheduledFor: new Date(clock.now() + HOUR).toISOString(),
      scheduledUntil: new Date(clock.now() + 2 * HOUR).toISOString(),
    });
    expect(created.status).toBe(201);
    expect((await json('scheduled-maintenances/upcoming.json')).scheduled_maintenances).toHaveLength(1);
    expect((await json('components.json')).components.find((c: any) => c.id === 'rabbitmq').status).toBe('operational');

    clock.advance(90 * 60_000);
    const active = await json('scheduled-maintenances/active.json');
    expect(active.scheduled_maintenances.map((m: any) => m.status)).toEqual(['in_progress']);
    expect(active.scheduled_maintenances[0].incident_updates.map((u: any) => u.status)).toEqual(['in_progress', 'scheduled']);
    expect((await json('components.json')).components.find((c: any) => c.id === 'rabbitmq').status).toBe('under_maintenance');
    expect((await json('status.json')).status.indicator).toBe('maintenance');

    clock.advance(HOUR);
    const all = await json('scheduled-maintenances.json');
    expect(all.scheduled_maintenances.map((m: any) => m.status)).toEqual(['completed']);
    expect(all.scheduled_maintenances[0].resolved_at).toBe(new Date(Date.parse(created.body.scheduledUntil)).toISOString());
    expect((await json('scheduled-maintenances/active.json')).scheduled_maintenances).toEqual([]);
    expect((await json('components.json')).components.find((c: any) => c.id === 'rabbitmq').status).toBe('operational');
    expect((await json('status.json')).status.indicator).toBe('none');
  });

  it('links under the public URL, in the JSON, the page and the feed', async () => {
    const declared = await t.api('POST', '/api/v1/incidents', { title: 'Slow <search> & "more"', severity: 'P0', services: ['graph-api'] });
    // Control characters and markup in an update must keep the feed well-formed and the page inert.
    const message = 'Searches time out \u0001\u0008 <script>alert(1)</script> & more \uFFFF';
    expect((await t.api('POST', `/api/v1/incidents/${declared.body.id}/updates`, { message, public: true })).status).toBe(201);
    const summary = await json('summary.json');
    expect(summary.page.url).toBe('https://firebreak.example.com/status');
    expect(summary.incidents[0].shortlink).toBe(`https://firebreak.example.com/status#incident-${declared.body.id}`);
    expect(summary.incidents[0].impact).toBe('critical');
    expect(summary.status).toEqual({ indicator: 'critical', description: 'Major System Outage' });

    const html = await (await fetch(`${t.url}/status`)).text();
    expect(html).toContain('href="https://firebreak.example.com/status/history.atom"');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain(`id="incident-${declared.body.id}"`);

    const feed = parseXml(await (await fetch(`${t.url}/status/history.atom`)).text());
    const self = childrenNamed(feed, 'link').find((l) => l.attributes.rel === 'self');
    expect(self?.attributes.href).toBe('https://firebreak.example.com/status/history.atom');
    const entry = childrenNamed(feed, 'entry').find((e) => childrenNamed(e, 'title')[0]?.text === 'Slow <search> & "more"')!;
    expect(childrenNamed(entry, 'content')[0]!.text).toContain('&lt;script&gt;');
  });
});
