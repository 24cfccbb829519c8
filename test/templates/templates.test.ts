import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { startHttpReceiver, startSmtpReceiver, type ReceivedMail } from '../support/receivers.ts';
import { exampleConfigText, startTestServer, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
const START = Date.parse('2026-03-10T10:00:00Z');

const clock = (incident: any, kind: string, seq = 0) => incident.clocks.find((c: any) => c.kind === kind && c.seq === seq);

/** The decoded bodies of a mail's parts (quoted-printable or base64), so tests read what a mail client shows. */
function mailParts(mail: ReceivedMail): string[] {
  return mail.raw.split(/\r?\n--[^\r\n]+\r?\n/).map((part) => {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) return part;
    const headers = part.slice(0, split);
    const body = part.slice(split).trim();
    if (/content-transfer-encoding:\s*base64/i.test(headers)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
      const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => `%${hex}`);
      try {
        return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
      } catch {
        return bytes;
      }
    }
    return body;
  });
}
const htmlPartOf = (mail: ReceivedMail) => mailParts(mail).find((part) => part.includes('<html')) ?? '';

describe('message templates and templated stakeholder updates', () => {
  let t: TestServer;
  let time: ManualClock;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let dir: string;

  beforeAll(async () => {
    hook = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    dir = mkdtempSync(join(tmpdir(), 'firebreak-templates-'));
    const config = exampleConfigText().replace('url: http://127.0.0.1:9099/firebreak', `url: ${hook.url}`).replace('port: 2525', `port: ${smtp.port}`);
    writeFileSync(join(dir, 'firebreak.yaml'), config);
    time = new ManualClock(START);
    t = await startTestServer({ clock: time, timers: false, configPath: join(dir, 'firebreak.yaml') });
  });
  afterAll(async () => {
    await t.stop();
    await hook.close();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const declare = async (body: Record<string, unknown>) => {
    const response = await t.api('POST', '/api/v1/incidents', body);
    expect(response.status).toBe(201);
    return response.body;
  };
  const updatesTo = (incidentId: string) => hook.received.filter((r) => r.json?.type === 'incident.update' && r.json?.data?.incident?.id === incidentId);
  const mailsAbout = (incidentId: string) => smtp.mails.filter((m) => m.raw.includes(`X-Firebreak-Incident: ${incidentId}`) && m.raw.includes('X-Firebreak-Kind: incident.update'));

  it('lists the templates of the folder with their severity variants', async () => {
    const response = await t.api('GET', '/api/v1/templates');
    expect(response.status).toBe(200);
    const names = response.body.items.map((item: any) => item.name);
    expect(names).toEqual(expect.arrayContaining(['declaration', 'update', 'resolution', 'stakeholder-email', 'status-page']));
    expect(response.body.items.find((item: any) => item.name === 'update')).toEqual({ name: 'update', general: true, severities: ['P0'] });
  });

  it("previews a template with an incident's fields, picking the severity's variant", async () => {
    const incident = await declare({ title: 'DLQ overflow on enrichment', severity: 'P1', services: ['rest-api'], summary: 'Enrichment retries pile up' });
    expect((await t.api('PUT', `/api/v1/incidents/${incident.id}/roles/commander`, { assignee: 'amara' })).status).toBe(200);
    time.advance(12 * MINUTE);
    const declaration = await t.api('POST', '/api/v1/templates/declaration/preview', { incident: incident.id, vars: { war_room: '#incident-dlq' } });
    expect(declaration.status).toBe(200);
    expect(declaration.body).toMatchObject({ name: 'declaration', variant: null, format: 'plain' });
    expect(declaration.body.text).toContain('INCIDENT DECLARED - P1 (High)');
    expect(declaration.body.text).toContain('Service: REST API');
    expect(declaration.body.text).toContain('Issue: DLQ overflow on enrichment');
    expect(declaration.body.text).toContain('Incident Lead: Amara Okafor');
    expect(declaration.body.text).toContain('War Room: #incident-dlq');

    const update = await t.api('POST', '/api/v1/templates/update/preview', { incident: incident.id, vars: { eta: '20 minutes', next_steps: ['Replay the DLQ'] } });
    expect(update.body.variant).toBeNull();
    expect(update.body.text).toContain('UPDATE - T+12 minutes');
    expect(update.body.text).toContain('- Replay the DLQ');
    expect(update.body.text).toContain('ETA to Resolution: 20 minutes');

    const p0 = await t.api('POST', '/api/v1/templates/update/preview', { incident: incident.id, severity: 'P0' });
    expect(p0.body.variant).toBe('P0');
    expect(p0.body.text).toContain('P0 UPDATE');
    // Without an incident, a made-up one stands in.
    const sample = await t.api('POST', '/api/v1/templates/resolution/preview', {});
    expect(sample.status).toBe(200);
    expect(sample.body.text).toContain('RESOLVED');
  });

  it('answers a template that does not parse with a 400 that gives the line and column', async () => {
    const response = await t.api('POST', '/api/v1/templates/update/preview', { source: 'Status: {{ incident.status }}\n{% if incident.title %}\nno end' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid');
    expect(response.body.error.details).toMatchObject({ template: 'update', line: 2, column: 1 });
    expect(response.body.error.message).toMatch(/line 2, column 1: tag \{% if incident.title %\} not closed/);

    const filter = await t.api('POST', '/api/v1/templates/update/preview', { source: 'a\n  {{ incident.title | no_such_filter }}' });
    expect(filter.status).toBe(400);
    expect(filter.body.error.details).toMatchObject({ line: 2, column: 3 });
    expect(filter.body.error.message).toContain('undefined filter: no_such_filter');
  });

  it('stops a template that loops without end or writes megabytes, with a clear 400', async () => {
    const started = Date.now();
    const endless = await t.api('POST', '/api/v1/templates/update/preview', { source: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
    expect(endless.status).toBe(400);
    expect(endless.body.error.message).toMatch(/stopped: /);

    const long = await t.api('POST', '/api/v1/templates/update/preview', {
      // Writes nothing and allocates little: only the time limit can stop it.
      source: '{% for i in (1..1400) %}{% for j in (1..1400) %}{% assign k = j %}{% endfor %}{% endfor %}',
    });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/stopped: rendering took longer than \d+ ms/);

    const megabytes = await t.api('POST', '/api/v1/templates/update/preview', {
      source: `{% for i in (1..100000) %}${'x'.repeat(20000)}{% endfor %}`,
    });
    expect(megabytes.status).toBe(400);
    // The size limit stops it after a few rounds; on a badly overloaded machine the time limit may come first.
    expect(megabytes.body.error.message).toMatch(/stopped: (the message grew past \d+ characters|rendering took longer than \d+ ms)/);

    const doubling = await t.api('POST', '/api/v1/templates/update/preview', {
      source: '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s.size }}',
    });
    expect(doubling.status).toBe(400);
    expect(doubling.body.error.message).toMatch(/stopped: the template allocates too much/);

    const include = await t.api('POST', '/api/v1/templates/update/preview', { source: '{% include "/etc/passwd" %}' });
    expect(include.status).toBe(400);
    expect(include.body.error.message).toMatch(/cannot include other files/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('escapes variables for HTML and chat markup, and delivered mail shows a title like <script> as text', async () => {
    const title = '<script>alert("x")</script> & <!channel>';
    const incident = await declare({ title, severity: 'P1', services: ['rest-api'] });
    const html = await t.api('POST', '/api/v1/templates/declaration/preview', { incident: incident.id, format: 'html' });
    expect(html.body.text).toContain('Issue: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;!channel&gt;');
    expect(html.body.text).not.toContain('<script>');
    const slack = await t.api('POST', '/api/v1/templates/declaration/preview', { incident: incident.id, format: 'slack' });
    expect(slack.body.text).toContain('Issue: &lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;!channel&gt;');
    const plain = await t.api('POST', '/api/v1/templates/declaration/preview', { incident: incident.id });
    expect(plain.body.text).toContain(`Issue: ${title}`);

    const posted = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { template: 'stakeholder-email' });
    expect(posted.status).toBe(201);
    await t.server.deliverNow();
    const mails = mailsAbout(incident.id);
    expect(mails.length).toBe(1);
    const body = htmlPartOf(mails[0]!);
    expect(body).toContain('&lt;script&gt;');
    expect(body).not.toContain('<script>');
    // The webhook carries the plain text: its receiver decides the markup.
    expect(updatesTo(incident.id)[0]!.json.data.text).toContain(title);
  });

  it("sends an update from a template to the severity's channels through the outbox, and meets and restarts the clocks", async () => {
    const incident = await declare({ title: 'Search latency 5x', severity: 'P1', services: ['rest-api'] });
    const declaredAt = time.now();
    time.advance(20 * MINUTE);
    const posted = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, {
      template: 'update',
      vars: { eta: '30 minutes', next_steps: ['Scale the read replicas'] },
      public: false,
    });
    expect(posted.status).toBe(201);
    expect(posted.body.entry).toMatchObject({ kind: 'update', data: { public: false, template: 'update' } });
    expect(posted.body.entry.text).toContain('UPDATE - T+20 minutes');
    expect(posted.body.entry.text).toContain('- Scale the read replicas');
    expect(clock(posted.body.incident, 'stakeholderNotification').state).toBe('met');
    expect(clock(posted.body.incident, 'updateCadence', 0)).toMatchObject({ state: 'pending', dueAt: new Date(declaredAt + 50 * MINUTE).toISOString() });

    await t.server.deliverNow();
    const hooks = updatesTo(incident.id);
    expect(hooks.length).toBe(1);
    expect(hooks[0]!.json.data.text).toBe(posted.body.entry.text);
    expect(hooks[0]!.json.data.idempotencyKey).toBe(`update:${posted.body.entry.id}:pager-bridge`);
    // P1 writes to the engineering lead (communications.P1.recipients) through the email channel.
    const mails = mailsAbout(incident.id);
    expect(mails.map((m) => m.to)).toEqual([['amara.okafor@songnodes.example']]);
    expect(mailParts(mails[0]!).join('\n')).toContain('Scale the read replicas');

    time.advance(10 * MINUTE);
    const second = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'Replicas scaled; latency recovering' });
    expect(second.status).toBe(201);
    expect(clock(second.body.incident, 'updateCadence', 0).state).toBe('met');
    expect(clock(second.body.incident, 'updateCadence', 1).dueAt).toBe(new Date(declaredAt + 60 * MINUTE).toISOString());
    await t.server.deliverNow();
    expect(updatesTo(incident.id).map((r) => r.json.data.text)).toEqual([posted.body.entry.text, 'Replicas scaled; latency recovering']);
  });

  it('sends to the channels the body names instead of the configured ones', async () => {
    const incident = await declare({ title: 'Scraper backlog', severity: 'P1' });
    const posted = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { template: 'status-page', channels: ['pager-bridge'], public: true });
    expect(posted.status).toBe(201);
    expect(posted.body.entry.text).toBe('We are investigating problems with our service.');
    await t.server.deliverNow();
    expect(updatesTo(incident.id).length).toBe(1);
    expect(mailsAbout(incident.id)).toEqual([]);

    const none = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'internal only', channels: [] });
    expect(none.status).toBe(201);
    await t.server.deliverNow();
    expect(updatesTo(incident.id).length).toBe(1);

    const unknown = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'x', channels: ['nope'] });
    expect(unknown.status).toBe(400);
  });

  it('answers an unknown template with 404, and wants exactly one of message and template', async () => {
    const incident = await declare({ title: 'Redis evictions', severity: 'P2' });
    expect((await t.api('POST', '/api/v1/templates/nope/preview', {})).status).toBe(404);
    const update = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { template: 'nope' });
    expect(update.status).toBe(404);
    expect(update.body.error.message).toMatch(/Template nope does not exist/);
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'a', template: 'update' })).status).toBe(400);
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, {})).status).toBe(400);
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'a', vars: { a: 1 } })).status).toBe(400);
    // Nothing of the refused updates reached the timeline or the clocks.
    const shown = (await t.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(shown.lastUpdateAt).toBeNull();
  });

  it('lets viewers preview and list, and only responders post updates', async () => {
    const viewer = await t.token('viewer');
    expect((await t.api('GET', '/api/v1/templates', undefined, viewer)).status).toBe(200);
    expect((await t.api('POST', '/api/v1/templates/update/preview', {}, viewer)).status).toBe(200);
    const incident = await declare({ title: 'Viewer check', severity: 'P3' });
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { template: 'update' }, viewer)).status).toBe(403);
  });

  it('never answers a preview of random templates and variables with a 5xx', async () => {
    const incident = await declare({ title: 'Fuzzed', severity: 'P0', services: ['rest-api', 'redis'] });
    const pieces = fc.constantFrom(
      '{{ incident.title }}', '{{ vars.a }}', '{{ vars.a.b.c }}', '{% for x in vars.list %}{{ x }}{% endfor %}', '{% if vars.a %}y{% else %}n{% endif %}',
      '{{ vars.a | upcase }}', '{{ vars.a | date: "%Y" }}', '{{ vars | json }}', '{{ duration }}', '{{ clocks[0].label }}', '{% for i in (1..5000) %}', '{% endfor %}',
      '{% if %}', '{{', '}}', '{%', '%}', '{{ vars.a | nosuch }}', '{% raw %}', '{% assign a = vars.a | append: vars.a %}', '{{ a }}', '{% capture c %}x{% endcapture %}',
      '{{ vars.constructor }}', '{{ vars.__proto__.x }}', '{% include "x" %}', '{% render "x" %}', '{% layout "x" %}', '{{ "x" | append: "y" | size }}',
    );
    const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string()));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(pieces, fc.string({ maxLength: 20 })), { maxLength: 8 }),
        fc.dictionary(fc.constantFrom('a', 'list', 'b', '__proto__', 'constructor'), value),
        fc.constantFrom('plain', 'html', 'slack'),
        fc.boolean(),
        async (parts, vars, format, withIncident) => {
          const body: Record<string, unknown> = { source: parts.join(''), vars, format };
          if (withIncident) body.incident = incident.id;
          const response = await t.api('POST', '/api/v1/templates/update/preview', body);
          expect(response.status, JSON.stringify({ body, answer: response.body })).toBeLessThan(500);
          expect([200, 400]).toContain(response.status);
        },
      ),
      { numRuns: 80 },
    );
  });
});
