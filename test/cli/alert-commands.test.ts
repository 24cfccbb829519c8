import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { INTEGRATION_KINDS as SERVER_KINDS } from '../../src/alerts/integrations.ts';
import { INTEGRATION_KINDS } from '../../src/cli/integration.ts';
import { alert, integration, maintenanceWindow, silence } from './alert-fixtures.ts';
import { fakeServer, NOW, runCli } from './helpers.ts';

const SERVER = ['--server', 'http://fb.test:8080', '--token', 'fbk_x'];
const page = (items: unknown[], nextCursor: string | null = null) => ({ items, nextCursor });

describe('help', () => {
  it('lists the alert, silence, maintenance and integration commands', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const group of ['alert', 'silence', 'maintenance', 'integration']) expect(stdout).toMatch(new RegExp(`^  ${group}\\s+\\S`, 'm'));
    expect((await runCli(['silence', '--help'])).stdout).toMatch(/add\s+[\s\S]*list\s+[\s\S]*expire\s+/);
    expect((await runCli(['maintenance', '--help'])).stdout).toMatch(/add\s+[\s\S]*list\s+[\s\S]*cancel\s+/);
    expect((await runCli(['integration', '--help'])).stdout).toMatch(/create\s+[\s\S]*list\s+[\s\S]*delete\s+/);
    expect((await runCli(['silence', 'add', '--help'])).stdout).toContain('Usage: firebreak silence add MATCHER... [options]');
    expect((await runCli(['maintenance', 'add', '-h'])).stdout).toContain('Usage: firebreak maintenance add SERVICE [options]');
  });

  it('knows the same integration kinds as the server', () => {
    expect([...INTEGRATION_KINDS]).toEqual([...SERVER_KINDS]);
  });
});

describe('alert list', () => {
  it('turns filters into query parameters, with --since as a duration ago', async () => {
    const server = fakeServer(() => ({ status: 200, body: page([]) }));
    const argv = [
      'alert', 'list', '--status', 'firing', '--status', 'acknowledged', '--service', 'postgres', '--incident', 'INC',
      '--integration', 'INT', '--label', 'alertname=DiskSpaceHigh', '--label', 'instance=db=1', '--since', '24h', '--limit', '5',
    ];
    const { code, stdout } = await runCli([...argv, ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(stdout).toBe('No alerts.\n');
    const url = server.requests[0]!.url;
    expect(url.pathname).toBe('/api/v1/alerts');
    expect(url.searchParams.getAll('status')).toEqual(['firing', 'acknowledged']);
    expect(url.searchParams.get('service')).toBe('postgres');
    expect(url.searchParams.get('incident')).toBe('INC');
    expect(url.searchParams.get('integration')).toBe('INT');
    expect(url.searchParams.getAll('label')).toEqual(['alertname=DiskSpaceHigh', 'instance=db=1']);
    expect(url.searchParams.get('from')).toBe(new Date(NOW - 86_400_000).toISOString());
    expect(url.searchParams.get('limit')).toBe('5');
    expect(server.requests[0]!.headers.get('authorization')).toBe('Bearer fbk_x');
  });

  it('prints the table, and says when more pages exist', async () => {
    const server = fakeServer(() => ({ status: 200, body: page([alert()], 'c1') }));
    const { stdout, stderr } = await runCli(['alert', 'list', ...SERVER], { fetch: server.fetch });
    expect(stdout).toMatch(/^ID\s+STATUS\s+SEV\s+NAME\s+SERVICE\s+COUNT\s+LAST SEEN\s+INCIDENT\s+SUPPRESSED$/m);
    expect(stdout).toMatch(/^01HXALERT00000000000000000\s+firing\s+P2\s+DiskSpaceHigh\s+postgres\s+4\s+3m ago\s+01HXINCIDENT0000000000000A\s+-$/m);
    expect(stderr).toContain('add --all');
  });

  it('follows cursors with --all', async () => {
    const pages: Record<string, unknown> = {
      '': page([alert({ id: 'A' })], 'c1'),
      c1: page([alert({ id: 'B' })], 'c2'),
      c2: page([alert({ id: 'C' })]),
    };
    const server = fakeServer((request) => ({ status: 200, body: pages[request.url.searchParams.get('cursor') ?? ''] }));
    const { stdout } = await runCli(['alert', 'list', '--all', '--json', ...SERVER], { fetch: server.fetch });
    expect((JSON.parse(stdout) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual(['A', 'B', 'C']);
    expect(server.requests.map((r) => r.url.pathname)).toEqual(['/api/v1/alerts', '/api/v1/alerts', '/api/v1/alerts']);
  });

  it('refuses a --label without NAME=VALUE, a bad --since or --limit, before sending anything', async () => {
    const server = fakeServer(() => ({ status: 200, body: page([]) }));
    for (const argv of [['--label', 'alertname'], ['--label', '=x'], ['--since', 'yesterday'], ['--limit', '0']]) {
      const { code, stderr } = await runCli(['alert', 'list', ...argv, ...SERVER], { fetch: server.fetch });
      expect(code, stderr).toBe(2);
    }
    expect((await runCli(['alert', 'list', '--label', 'alertname', ...SERVER], { fetch: server.fetch })).stderr).toContain(
      "--label 'alertname' is not NAME=VALUE",
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('alert show', () => {
  it('fetches one alert by its escaped id and renders it', async () => {
    const server = fakeServer(() => ({ status: 200, body: { alert: alert(), history: [{ id: 'h1', at: '2024-05-01T11:30:00.000Z', kind: 'fired', text: 'Fired' }] } }));
    const { code, stdout } = await runCli(['alert', 'show', 'a/b', ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(server.requests[0]!.url.pathname).toBe('/api/v1/alerts/a%2Fb');
    expect(stdout).toContain('01HXALERT00000000000000000  DiskSpaceHigh');
    expect(stdout).toMatch(/Labels\n\s+alertname\s+DiskSpaceHigh\n\s+instance\s+db1/);
    expect(stdout).toMatch(/History\n\s+2024-05-01 11:30:00\s+fired\s+Fired/);
  });

  it('prints the raw answer with --json', async () => {
    const body = { alert: alert(), history: [] };
    const server = fakeServer(() => ({ status: 200, body }));
    const { stdout } = await runCli(['alert', 'show', 'X', '--json', ...SERVER], { fetch: server.fetch });
    expect(JSON.parse(stdout)).toEqual(body);
  });

  it('exits 3 for an alert that does not exist', async () => {
    const server = fakeServer(() => ({ status: 404, body: { error: { code: 'not_found', message: 'Alert X does not exist', details: { id: 'X' } } } }));
    const { code, stderr } = await runCli(['alert', 'show', 'X', ...SERVER], { fetch: server.fetch });
    expect(code).toBe(3);
    expect(stderr).toContain('error: Alert X does not exist');
  });
});

describe('silence add', () => {
  const created = () => fakeServer(() => ({ status: 201, body: silence() }));

  it('posts the matchers as given with --duration and --comment, and prints only the id on stdout', async () => {
    const server = created();
    const argv = ['silence', 'add', 'alertname="DiskSpaceHigh"', 'instance=~"db.*"', '--duration', '2h', '--comment', 'resizing volumes'];
    const { code, stdout, stderr } = await runCli([...argv, ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(stdout).toBe('01HXSILENCE000000000000000\n');
    expect(stderr).toBe('Silenced alerts matching alertname="DiskSpaceHigh", instance=~"db.*" until 2024-05-01 14:00:00 UTC (in 2h).\n');
    expect(server.requests[0]!.method).toBe('POST');
    expect(server.requests[0]!.url.pathname).toBe('/api/v1/silences');
    expect(server.requests[0]!.body).toEqual({ matchers: ['alertname="DiskSpaceHigh"', 'instance=~"db.*"'], duration: '2h', comment: 'resizing volumes' });
  });

  it('sends --start and --until as ISO times in UTC', async () => {
    const server = created();
    const argv = ['silence', 'add', '{service="redis"}', '--start', '2024-05-01T22:00:00+02:00', '--until', '2024-05-02T02:00:00Z', '--comment', 'x'];
    expect((await runCli([...argv, ...SERVER], { fetch: server.fetch })).code).toBe(0);
    expect(server.requests[0]!.body).toEqual({ matchers: ['{service="redis"}'], startsAt: '2024-05-01T20:00:00.000Z', endsAt: '2024-05-02T02:00:00.000Z', comment: 'x' });
  });

  it('prints the whole silence with --json', async () => {
    const server = created();
    const { stdout } = await runCli(['silence', 'add', 'a="b"', '--duration', '1h', '--comment', 'c', '--json', ...SERVER], { fetch: server.fetch });
    expect(JSON.parse(stdout)).toEqual(silence());
  });

  it('exits 2 without a matcher, a comment or exactly one of --duration and --until, or with a bad time', async () => {
    const server = created();
    const cases: Array<[string[], string]> = [
      [['--duration', '1h', '--comment', 'c'], 'missing MATCHER'],
      [['a="b"', '--duration', '1h'], 'missing --comment'],
      [['a="b"', '--duration', '1h', '--comment', '  '], 'missing --comment'],
      [['a="b"', '--comment', 'c'], 'give --duration or --until'],
      [['a="b"', '--duration', '1h', '--until', '2024-05-01T13:00:00Z', '--comment', 'c'], 'not both'],
      [['a="b"', '--duration', 'two hours', '--comment', 'c'], "--duration 'two hours' is not a duration"],
      [['a="b"', '--duration', ' 2h', '--comment', 'c'], 'is not a duration'],
      [['a="b"', '--until', 'tomorrow', '--comment', 'c'], "--until 'tomorrow' is not an ISO time"],
      [['a="b"', '--duration', '1h', '--start', 'now', '--comment', 'c'], "--start 'now' is not an ISO time"],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(['silence', 'add', ...args, ...SERVER], { fetch: server.fetch });
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toContain(message);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("exits 6 with the server's message for a matcher it refuses", async () => {
    const fetch = fakeServer(() => ({
      status: 400,
      body: { error: { code: 'invalid', message: 'Invalid matcher: invalid matcher "a=~\\"(\\"": missing closing )', details: { field: 'matchers' } } },
    })).fetch;
    const { code, stderr } = await runCli(['silence', 'add', 'a=~"("', '--duration', '1h', '--comment', 'c', ...SERVER], { fetch });
    expect(code).toBe(6);
    expect(stderr).toContain('error: Invalid matcher: invalid matcher "a=~\\"(\\"": missing closing )');
    expect(stderr).toContain('  field: matchers');
  });
});

describe('silence list and expire', () => {
  it('lists silences in force, or all with --all', async () => {
    const server = fakeServer(() => ({ status: 200, body: { items: [silence()] } }));
    const { stdout } = await runCli(['silence', 'list', ...SERVER], { fetch: server.fetch });
    await runCli(['silence', 'list', '--all', ...SERVER], { fetch: server.fetch });
    expect(server.requests[0]!.url.search).toBe('');
    expect(server.requests[1]!.url.searchParams.get('all')).toBe('true');
    expect(stdout).toMatch(/^ID\s+STATE\s+MATCHERS\s+STARTS\s+ENDS\s+BY\s+COMMENT$/m);
    expect(stdout).toContain('01HXSILENCE000000000000000  active  alertname="DiskSpaceHigh", instance=~"db.*"');
  });

  it('expires by id, and exits 4 for a silence that has already ended', async () => {
    const server = fakeServer(() => ({ status: 200, body: silence({ state: 'expired', expiredAt: '2024-05-01T12:00:00.000Z' }) }));
    const { code, stdout } = await runCli(['silence', 'expire', '01HXSILENCE000000000000000', ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(server.requests[0]!.method).toBe('DELETE');
    expect(server.requests[0]!.url.pathname).toBe('/api/v1/silences/01HXSILENCE000000000000000');
    expect(stdout).toBe('Expired silence 01HXSILENCE000000000000000 (alertname="DiskSpaceHigh", instance=~"db.*")\n');
    const ended = fakeServer(() => ({ status: 409, body: { error: { code: 'conflict', message: 'Silence S has already ended', details: null } } }));
    expect((await runCli(['silence', 'expire', 'S', ...SERVER], { fetch: ended.fetch })).code).toBe(4);
  });
});

describe('maintenance', () => {
  it('adds a window for a service and prints its id', async () => {
    const server = fakeServer(() => ({ status: 201, body: maintenanceWindow({ startsAt: '2024-05-01T13:00:00.000Z', endsAt: '2024-05-01T15:00:00.000Z' }) }));
    const argv = ['maintenance', 'add', 'postgres', '--start', '2024-05-01T13:00:00Z', '--duration', '2h', '--comment', 'minor upgrade'];
    const { code, stdout, stderr } = await runCli([...argv, ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(stdout).toBe('01HXWINDOW0000000000000000\n');
    expect(stderr).toBe('Maintenance window for postgres from 2024-05-01 13:00:00 UTC (in 1h) until 2024-05-01 15:00:00 UTC (in 3h).\n');
    expect(server.requests[0]!.url.pathname).toBe('/api/v1/maintenance-windows');
    expect(server.requests[0]!.body).toEqual({ service: 'postgres', duration: '2h', startsAt: '2024-05-01T13:00:00.000Z', comment: 'minor upgrade' });
  });

  it('lists windows with their state, all of them with --all', async () => {
    const windows = [
      maintenanceWindow({ id: 'A', startsAt: '2024-05-01T11:00:00.000Z' }),
      maintenanceWindow({ id: 'B', startsAt: '2024-05-02T00:00:00.000Z', endsAt: '2024-05-02T01:00:00.000Z' }),
      maintenanceWindow({ id: 'C', cancelledAt: '2024-05-01T11:59:00.000Z' }),
      maintenanceWindow({ id: 'D', startsAt: '2024-05-01T10:00:00.000Z', endsAt: '2024-05-01T11:00:00.000Z' }),
    ];
    const server = fakeServer(() => ({ status: 200, body: { items: windows } }));
    const { stdout } = await runCli(['maintenance', 'list', '--all', ...SERVER], { fetch: server.fetch });
    expect(server.requests[0]!.url.searchParams.get('all')).toBe('true');
    expect(stdout).toMatch(/^ID\s+SERVICE\s+STATE\s+STARTS\s+ENDS\s+BY\s+COMMENT$/m);
    expect(stdout).toMatch(/^A\s+postgres\s+active\s/m);
    expect(stdout).toMatch(/^B\s+postgres\s+upcoming\s/m);
    expect(stdout).toMatch(/^C\s+postgres\s+cancelled\s/m);
    expect(stdout).toMatch(/^D\s+postgres\s+over\s/m);
  });

  it('cancels by id', async () => {
    const server = fakeServer(() => ({ status: 200, body: maintenanceWindow({ cancelledAt: '2024-05-01T12:00:00.000Z' }) }));
    const { code, stdout } = await runCli(['maintenance', 'cancel', '01HXWINDOW0000000000000000', ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(server.requests[0]!.method).toBe('DELETE');
    expect(server.requests[0]!.url.pathname).toBe('/api/v1/maintenance-windows/01HXWINDOW0000000000000000');
    expect(stdout).toBe('Cancelled maintenance window 01HXWINDOW0000000000000000 for postgres\n');
  });

  it('exits 2 without a service or a comment', async () => {
    expect((await runCli(['maintenance', 'add', '--duration', '1h', '--comment', 'c'])).stderr).toContain('missing SERVICE');
    expect((await runCli(['maintenance', 'add', 'postgres', '--duration', '1h'])).code).toBe(2);
  });
});

describe('integration create', () => {
  const answer = (kind: string, url: string) => ({ integration: integration({ kind }), key: 'fbi_AbCdEfGh0123456789abcdefghijklmn', url });

  it('prints the key once, the ingest URL on the server, an Alertmanager receiver and a curl command', async () => {
    const server = fakeServer(() => ({ status: 201, body: answer('alertmanager', '/api/v1/integrations/alertmanager/fbi_AbCdEfGh0123456789abcdefghijklmn') }));
    const argv = ['integration', 'create', '--kind', 'alertmanager', '--name', 'prod alertmanager', '--server', 'https://fb.test/firebreak/', '--token', 'fbk_x'];
    const { code, stdout } = await runCli(argv, { fetch: server.fetch });
    expect(code).toBe(0);
    expect(server.requests[0]!.url.href).toBe('https://fb.test/firebreak/api/v1/integrations');
    expect(server.requests[0]!.body).toEqual({ kind: 'alertmanager', name: 'prod alertmanager' });
    const url = 'https://fb.test/firebreak/api/v1/integrations/alertmanager/fbi_AbCdEfGh0123456789abcdefghijklmn';
    expect(stdout).toContain('Key (shown only this once; store it now):\n  fbi_AbCdEfGh0123456789abcdefghijklmn\n');
    expect(stdout).toContain(`Ingest URL:\n  ${url}\n`);
    // The receiver is YAML that Alertmanager reads as is.
    const snippet = /Alertmanager receiver \(alertmanager\.yml\):\n((?: {2}.*\n|\n)+?)\n(?=Send)/.exec(stdout)?.[1];
    expect(snippet).toBeDefined();
    const parsed = parseYaml(snippet!.replace(/^ {2}/gm, '')) as { receivers: Array<{ name: string; webhook_configs: Array<{ url: string; send_resolved: boolean }> }> };
    expect(parsed.receivers[0]).toEqual({ name: 'firebreak', webhook_configs: [{ url, send_resolved: true }] });
    expect(stdout).toMatch(/Send a test alert:\n {2}curl -sS -X POST -H 'Content-Type: application\/json' \\\n {4}--data '\{"version":"4",.*\}' \\\n {4}https:\/\/fb\.test\/firebreak\/api\/v1\/integrations\/alertmanager\/fbi_\w+\n/);
  });

  it('for PagerDuty, names the Events API endpoint and the key as routing_key', async () => {
    const server = fakeServer(() => ({ status: 201, body: answer('pagerduty', '/v2/enqueue') }));
    const { stdout } = await runCli(['integration', 'create', '--kind', 'pagerduty', '--name', 'ci', '--service', 'rest-api', ...SERVER], { fetch: server.fetch });
    expect(server.requests[0]!.body).toEqual({ kind: 'pagerduty', name: 'ci', service: 'rest-api' });
    expect(stdout).toContain('PagerDuty Events API v2 endpoint (send the key as routing_key):\n  http://fb.test:8080/v2/enqueue\n');
    expect(stdout).toContain('"routing_key":"fbi_AbCdEfGh0123456789abcdefghijklmn"');
    expect(stdout).not.toContain('alertmanager.yml');
  });

  it('prints the raw answer with --json', async () => {
    const body = answer('generic', '/api/v1/integrations/generic/fbi_x');
    const server = fakeServer(() => ({ status: 201, body }));
    const { stdout } = await runCli(['integration', 'create', '--kind', 'generic', '--name', 'n', '--json', ...SERVER], { fetch: server.fetch });
    expect(JSON.parse(stdout)).toEqual(body);
  });

  it('exits 2 for an unknown kind or a missing name, before sending anything', async () => {
    const server = fakeServer(() => ({ status: 201, body: {} }));
    const unknown = await runCli(['integration', 'create', '--kind', 'nagios', '--name', 'n', ...SERVER], { fetch: server.fetch });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown kind 'nagios'; use one of alertmanager, pagerduty, grafana, generic");
    expect((await runCli(['integration', 'create', '--kind', 'generic', ...SERVER], { fetch: server.fetch })).stderr).toContain('missing --name');
    expect(server.requests).toHaveLength(0);
  });

  it('exits 5 for a token that may not manage integrations', async () => {
    const fetch = fakeServer(() => ({ status: 403, body: { error: { code: 'forbidden', message: 'The responder role may not do this (config.manage)', details: null } } })).fetch;
    const { code, stderr } = await runCli(['integration', 'create', '--kind', 'generic', '--name', 'n', ...SERVER], { fetch });
    expect(code).toBe(5);
    expect(stderr).toContain("this token's role may not do that");
  });
});

describe('integration list and delete', () => {
  it('lists integrations with the key prefix only', async () => {
    const server = fakeServer(() => ({ status: 200, body: { items: [integration()] } }));
    const { stdout } = await runCli(['integration', 'list', ...SERVER], { fetch: server.fetch });
    expect(stdout).toMatch(/^ID\s+KIND\s+NAME\s+SERVICE\s+KEY\s+CREATED\s+BY$/m);
    expect(stdout).toMatch(/^01HXINTEGRATION00000000000\s+alertmanager\s+prod alertmanager\s+-\s+fbi_AbCd…\s+2h ago\s+token:admin$/m);
  });

  it('deletes by id, and exits 3 for one that does not exist', async () => {
    const server = fakeServer(() => ({ status: 200, body: integration({ deletedAt: '2024-05-01T12:00:00.000Z' }) }));
    const { code, stdout } = await runCli(['integration', 'delete', '01HXINTEGRATION00000000000', ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(server.requests[0]!.method).toBe('DELETE');
    expect(stdout).toBe('Deleted alertmanager integration "prod alertmanager" (01HXINTEGRATION00000000000); its key no longer works.\n');
    const missing = fakeServer(() => ({ status: 404, body: { error: { code: 'not_found', message: 'Integration X does not exist', details: { id: 'X' } } } }));
    expect((await runCli(['integration', 'delete', 'X', ...SERVER], { fetch: missing.fetch })).code).toBe(3);
  });
});
