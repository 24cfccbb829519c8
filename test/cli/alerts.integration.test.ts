import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, type CliResult as Result } from '../support/cli.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/**
 * The alert commands of the real CLI, as a user runs them, against a real server
 * (SQLite or PostgreSQL, as FIREBREAK_TEST_DB says) that receives real
 * Alertmanager webhooks.
 */


let t: TestServer;
const { firebreak, ok } = cliFor(() => t.url, ADMIN_TOKEN);

const json = <T>(result: Result): T => JSON.parse(result.stdout) as T;

/** An Alertmanager v4 webhook body with one alert, as Alertmanager sends it. */
function webhook(labels: Record<string, string>, options: { status?: 'firing' | 'resolved'; summary?: string; fingerprint?: string } = {}) {
  const status = options.status ?? 'firing';
  return {
    version: '4',
    groupKey: `{}:{alertname="${labels.alertname ?? ''}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'firebreak',
    groupLabels: {},
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status,
        labels,
        annotations: options.summary ? { summary: options.summary } : {},
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
        fingerprint: options.fingerprint ?? Object.values(labels).join('-'),
      },
    ],
  };
}

async function postWebhook(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(t.url + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

interface Created {
  integration: { id: string; kind: string; name: string };
  key: string;
  url: string;
}

let am: Created;

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  am = json<Created>(await ok(['integration', 'create', '--kind', 'alertmanager', '--name', 'cli alertmanager', '--json']));
});

afterAll(async () => {
  await t?.stop();
});

describe('integrations', () => {
  it('creates an Alertmanager integration, printing the key once, the ingest URL, a receiver and a curl command', async () => {
    const result = await ok(['integration', 'create', '--kind', 'alertmanager', '--name', 'printed']);
    const key = /Key \(shown only this once; store it now\):\n {2}(fbi_\S+)\n/.exec(result.stdout)?.[1];
    expect(key).toBeDefined();
    const url = `${t.url}/api/v1/integrations/alertmanager/${key}`;
    expect(result.stdout).toContain(`Ingest URL:\n  ${url}\n`);
    expect(result.stdout).toContain(`        - url: '${url}'\n          send_resolved: true`);
    expect(result.stdout).toMatch(/^Created alertmanager integration "printed" \(id \w+\)\.$/m);

    const listed = await ok(['integration', 'list']);
    expect(listed.stdout).toMatch(/^ID\s+KIND\s+NAME\s+SERVICE\s+KEY\s+CREATED\s+BY$/m);
    expect(listed.stdout).toMatch(new RegExp(`^\\w+\\s+alertmanager\\s+printed\\s+-\\s+${key!.slice(0, 8)}…\\s+`, 'm'));
    expect(listed.stdout).not.toContain(key);
  });

  it.skipIf(!existsSync('/usr/bin/curl') && !existsSync('/bin/curl'))('the printed curl command delivers a test alert', async () => {
    const result = await ok(['integration', 'create', '--kind', 'alertmanager', '--name', 'curl test']);
    const command = /Send a test alert:\n((?: {2}.*\n?)+)/.exec(result.stdout)?.[1]?.replace(/^ {2}/gm, '');
    expect(command).toBeDefined();
    const answer = await new Promise<Result>((resolve, reject) => {
      const child = spawn('sh', ['-c', command!]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(answer.code, answer.stderr).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ status: 'success', alerts: 1 });
  });

  it('creates a PagerDuty integration whose key pages through /v2/enqueue', async () => {
    const pd = json<Created>(await ok(['integration', 'create', '--kind', 'pagerduty', '--name', 'cli pd', '--service', 'rest-api', '--json']));
    expect(pd.url).toBe('/v2/enqueue');
    const response = await fetch(`${t.url}/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: pd.key, event_action: 'trigger', payload: { summary: 'CLI page', source: 'cli-test', severity: 'warning' } }),
    });
    expect(response.status).toBe(202);
    const listed = await ok(['alert', 'list', '--integration', pd.integration.id, '--json']);
    expect(json<{ items: Array<{ service: string; summary: string }> }>(listed).items).toMatchObject([{ service: 'rest-api', summary: 'CLI page' }]);
  });

  it('deletes an integration: its key stops working and it leaves the list', async () => {
    const doomed = json<Created>(await ok(['integration', 'create', '--kind', 'alertmanager', '--name', 'doomed', '--json']));
    expect((await postWebhook(doomed.url, webhook({ alertname: 'BeforeDelete' }))).status).toBe(200);
    const deleted = await ok(['integration', 'delete', doomed.integration.id]);
    expect(deleted.stdout).toBe(`Deleted alertmanager integration "doomed" (${doomed.integration.id}); its key no longer works.\n`);
    expect((await postWebhook(doomed.url, webhook({ alertname: 'AfterDelete' }))).status).toBe(401);
    expect((await ok(['integration', 'list'])).stdout).not.toContain(doomed.integration.id);
    const again = await firebreak(['integration', 'delete', doomed.integration.id]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^error: Integration \w+ does not exist/m);
  });

  it('exits 5 when a responder tries to manage integrations, and 2 for an unknown kind', async () => {
    const responder = await t.token('responder');
    const refused = await firebreak(['integration', 'list'], responder);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^error: /m);
    expect((await firebreak(['integration', 'create', '--kind', 'nagios', '--name', 'x'])).code).toBe(2);
  });
});

describe('alerts', () => {
  it('lists an alert posted by Alertmanager and shows its labels, annotations and history', async () => {
    const posted = await postWebhook(am.url, webhook({ alertname: 'CliDiskFull', instance: 'db7', service: 'postgres' }, { summary: 'Disk 97% full on db7' }));
    expect(posted).toEqual({ status: 200, body: { status: 'success', alerts: 1, results: { opened: 1 } } });

    const list = await ok(['alert', 'list', '--status', 'firing', '--since', '1h']);
    expect(list.stdout).toMatch(/^ID\s+STATUS\s+SEV\s+NAME\s+SERVICE\s+COUNT\s+LAST SEEN\s+INCIDENT\s+SUPPRESSED$/m);
    const row = new RegExp(`^(\\w{26})\\s+firing\\s+P\\d\\s+CliDiskFull\\s+postgres\\s+1\\s+(\\d+s ago|now)\\s+(\\w{26})\\s+-$`, 'm').exec(list.stdout);
    expect(row, list.stdout).not.toBeNull();
    const [, alertId, , incidentId] = row!;

    const byLabel = json<{ items: Array<{ id: string }> }>(await ok(['alert', 'list', '--label', 'alertname=CliDiskFull', '--label', 'instance=db7', '--json']));
    expect(byLabel.items.map((item) => item.id)).toEqual([alertId]);
    expect(json<{ items: unknown[] }>(await ok(['alert', 'list', '--incident', incidentId!, '--json'])).items).toHaveLength(1);

    const shown = await ok(['alert', 'show', alertId!]);
    expect(shown.stdout).toContain(`${alertId}  CliDiskFull`);
    expect(shown.stdout).toMatch(/^ {2}summary\s+Disk 97% full on db7$/m);
    expect(shown.stdout).toMatch(new RegExp(`^ {2}incident\\s+${incidentId}$`, 'm'));
    expect(shown.stdout).toMatch(/Labels\n {2}alertname\s+CliDiskFull\n {2}instance\s+db7\n {2}service\s+postgres\n/);
    expect(shown.stdout).toMatch(/Annotations\n {2}summary\s+Disk 97% full on db7\n/);
    expect(shown.stdout).toMatch(/History\n {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+fired\s+Fired/);

    // A repeat counts; resolving shows in the history.
    await postWebhook(am.url, webhook({ alertname: 'CliDiskFull', instance: 'db7', service: 'postgres' }));
    await postWebhook(am.url, webhook({ alertname: 'CliDiskFull', instance: 'db7', service: 'postgres' }, { status: 'resolved' }));
    const after = json<{ alert: { status: string; count: number }; history: Array<{ kind: string }> }>(await ok(['alert', 'show', alertId!, '--json']));
    expect(after.alert).toMatchObject({ status: 'resolved', count: 3 });
    expect(after.history.map((h) => h.kind)).toEqual(['fired', 'resolved']);
  });

  it('pages with --limit and --all', async () => {
    for (const n of [1, 2, 3]) await postWebhook(am.url, webhook({ alertname: 'CliPaged', n: String(n) }));
    const one = await ok(['alert', 'list', '--label', 'alertname=CliPaged', '--limit', '1']);
    expect(one.stderr).toContain('add --all');
    const all = json<{ items: Array<{ labels: { n: string } }>; nextCursor: null }>(await ok(['alert', 'list', '--label', 'alertname=CliPaged', '--limit', '1', '--all', '--json']));
    expect(all.items.map((item) => item.labels.n).sort()).toEqual(['1', '2', '3']);
    expect(all.nextCursor).toBeNull();
  });

  it('exits 3 for an alert that does not exist, and 6 for a filter the server refuses', async () => {
    const missing = await firebreak(['alert', 'show', '01HXNOTHERE0000000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: Alert 01HXNOTHERE0000000000000000 does not exist/m);
    const bad = await firebreak(['alert', 'list', '--status', 'exploded']);
    expect(bad.code).toBe(6);
    expect(bad.stderr).toContain('firing, acknowledged, resolved');
  });

  it('lets a viewer list alerts', async () => {
    const viewer = await t.token('viewer');
    expect((await firebreak(['alert', 'list'], viewer)).code).toBe(0);
  });
});

describe('silences', () => {
  it('silences new alerts that match, lists the silence, and stops silencing once expired', async () => {
    const add = await ok(['silence', 'add', 'alertname="CliSilenced"', 'instance=~"db.*"', '--duration', '2h', '--comment', 'resizing volumes']);
    const id = add.stdout.trim();
    expect(id).toMatch(/^\w{26}$/);
    expect(add.stderr).toMatch(/^Silenced alerts matching alertname="CliSilenced", instance=~"db\.\*" until .* \(in (1h 59m|2h)\)\.\n$/);

    const silenced = await postWebhook(am.url, webhook({ alertname: 'CliSilenced', instance: 'db3' }));
    expect(silenced.body.results).toEqual({ silenced: 1 });
    const list = await ok(['alert', 'list', '--label', 'alertname=CliSilenced']);
    expect(list.stdout).toMatch(new RegExp(`\\sCliSilenced\\s.*\\s-\\s+silence:${id}$`, 'm'));
    // Matchers must all match: another instance is not silenced.
    expect((await postWebhook(am.url, webhook({ alertname: 'CliSilenced', instance: 'web1' }))).body.results).toEqual({ opened: 1 });

    const silences = await ok(['silence', 'list']);
    expect(silences.stdout).toMatch(new RegExp(`^${id}\\s+active\\s+alertname="CliSilenced", instance=~"db\\.\\*"\\s+.*\\s+token:bootstrap\\s+resizing volumes$`, 'm'));

    const expired = await ok(['silence', 'expire', id]);
    expect(expired.stdout).toBe(`Expired silence ${id} (alertname="CliSilenced", instance=~"db.*")\n`);
    expect((await ok(['silence', 'list'])).stdout).not.toContain(id);
    expect((await ok(['silence', 'list', '--all'])).stdout).toMatch(new RegExp(`^${id}\\s+expired\\s`, 'm'));
    // No longer silenced: it joins the incident that web1 opened for the group.
    expect((await postWebhook(am.url, webhook({ alertname: 'CliSilenced', instance: 'db3' }))).body.results).toEqual({ attached: 1 });
    const shown = json<{ alert: { suppressedBy: string | null; incidentId: string | null } }>(
      await ok(['alert', 'show', json<{ items: Array<{ id: string; labels: { instance: string } }> }>(await ok(['alert', 'list', '--label', 'instance=db3', '--json'])).items[0]!.id, '--json']),
    );
    expect(shown.alert.suppressedBy).toBeNull();
    expect(shown.alert.incidentId).not.toBeNull();

    const twice = await firebreak(['silence', 'expire', id]);
    expect(twice.code).toBe(4);
    expect(twice.stderr).toContain(`error: Silence ${id} has already ended`);
  });

  it("exits 6 with the server's message for a bad matcher, and for matchers that would silence everything", async () => {
    const bad = await firebreak(['silence', 'add', 'alertname=~"("', '--duration', '1h', '--comment', 'x']);
    expect(bad.code).toBe(6);
    expect(bad.stderr).toMatch(/^error: Invalid matcher: /m);
    expect(bad.stderr).toContain('field: matchers');
    const everything = await firebreak(['silence', 'add', 'alertname=~".*"', '--duration', '1h', '--comment', 'x']);
    expect(everything.code).toBe(6);
    expect(everything.stderr).toContain('error: These matchers would silence every alert');
  });

  it('exits 3 expiring a silence that does not exist, 2 without --duration or --until', async () => {
    const missing = await firebreak(['silence', 'expire', '01HXNOTHERE0000000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: Silence 01HXNOTHERE0000000000000000 does not exist/m);
    expect((await firebreak(['silence', 'add', 'a="b"', '--comment', 'x'])).code).toBe(2);
  });

  it('prints the silence with --json, and a viewer may list but not add', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const created = json<{ id: string; endsAt: string; state: string; matchers: unknown[] }>(
      await ok(['silence', 'add', 'team="storage"', '--until', until, '--comment', 'json', '--json']),
    );
    expect(created).toMatchObject({ endsAt: until, state: 'active', matchers: [{ name: 'team', op: '=', value: 'storage' }] });
    const viewer = await t.token('viewer');
    expect((await firebreak(['silence', 'list'], viewer)).code).toBe(0);
    expect((await firebreak(['silence', 'add', 'a="b"', '--duration', '1h', '--comment', 'x'], viewer)).code).toBe(5);
    await ok(['silence', 'expire', created.id]);
  });
});

describe('maintenance windows', () => {
  it('adds, lists and cancels a window; during it the service opens no incident', async () => {
    const add = await ok(['maintenance', 'add', 'redis', '--duration', '1h', '--comment', 'cluster resize']);
    const id = add.stdout.trim();
    expect(id).toMatch(/^\w{26}$/);
    expect(add.stderr).toMatch(/^Maintenance window for redis until .* \(in (59m|1h)\)\.\n$/);

    const during = await postWebhook(am.url, webhook({ alertname: 'CliRedisDown', service: 'redis' }));
    expect(during.body.results).toEqual({ maintenance: 1 });

    const list = await ok(['maintenance', 'list']);
    expect(list.stdout).toMatch(/^ID\s+SERVICE\s+STATE\s+STARTS\s+ENDS\s+BY\s+COMMENT$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+redis\\s+active\\s+.*\\s+token:bootstrap\\s+cluster resize$`, 'm'));

    const cancelled = await ok(['maintenance', 'cancel', id]);
    expect(cancelled.stdout).toBe(`Cancelled maintenance window ${id} for redis\n`);
    expect((await ok(['maintenance', 'list'])).stdout).not.toContain(id);
    expect((await ok(['maintenance', 'list', '--all'])).stdout).toMatch(new RegExp(`^${id}\\s+redis\\s+cancelled\\s`, 'm'));
    expect((await firebreak(['maintenance', 'cancel', id])).code).toBe(4);
  });

  it('lists an upcoming window', async () => {
    const start = new Date(Date.now() + 86_400_000).toISOString();
    const id = (await ok(['maintenance', 'add', 'rabbitmq', '--start', start, '--duration', '2h', '--comment', 'later'])).stdout.trim();
    expect((await ok(['maintenance', 'list'])).stdout).toMatch(new RegExp(`^${id}\\s+rabbitmq\\s+upcoming\\s`, 'm'));
    await ok(['maintenance', 'cancel', id]);
  });

  it('exits 6 for an unknown service, naming the known ones, and 3 cancelling a window that does not exist', async () => {
    const unknown = await firebreak(['maintenance', 'add', 'no-such-service', '--duration', '1h', '--comment', 'x']);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toContain('error: Unknown service "no-such-service"');
    expect(unknown.stderr).toMatch(/allowed: .*redis/);
    const missing = await firebreak(['maintenance', 'cancel', '01HXNOTHERE0000000000000000']);
    expect(missing.code).toBe(3);
  });
});
