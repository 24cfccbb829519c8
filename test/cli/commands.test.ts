import { describe, expect, it } from 'vitest';
import { fakeServer, incident, NOW, runCli } from './helpers.ts';

const SERVER = ['--server', 'http://fb.test:8080', '--token', 'fbk_x'];

describe('usage', () => {
  it('prints the commands, options and exit codes on --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: firebreak <command>');
    for (const command of ['serve', 'incident', 'token', 'config']) expect(stdout).toContain(command);
    expect(stdout).toMatch(/Exit codes:[\s\S]*78\s+configuration error/);
  });

  it('prints help at every level', async () => {
    expect((await runCli(['incident', '-h'])).stdout).toContain('Usage: firebreak incident <command>');
    expect((await runCli(['help', 'incident', 'declare'])).stdout).toContain('Usage: firebreak incident declare [options]');
    const { code, stdout } = await runCli(['incident', 'status', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: firebreak incident status ID STATUS [options]');
  });

  it('exits 2 with the group usage for an unknown command', async () => {
    const { code, stderr } = await runCli(['incident', 'explode']);
    expect(code).toBe(2);
    expect(stderr).toContain("error: unknown command 'explode' for 'firebreak incident'");
    expect(stderr).toContain('Usage: firebreak incident <command>');
  });

  it('exits 2 when no command is given', async () => {
    const { code, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stderr).toContain('error: missing command');
  });

  it('exits 2 with the command usage for an unknown option', async () => {
    const { code, stderr } = await runCli(['incident', 'list', '--colour']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: unknown option --colour');
    expect(stderr).toContain('Usage: firebreak incident list [options]');
  });

  it('exits 2 for a missing argument, option or option value', async () => {
    expect((await runCli(['incident', 'show'])).stderr).toContain('error: missing ID');
    expect((await runCli(['incident', 'declare', '--title', 'x'])).stderr).toContain('error: missing --severity');
    const { code, stderr } = await runCli(['incident', 'declare', '--severity']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: option --severity needs a value');
  });

  it('exits 2 for an extra argument', async () => {
    const { code, stderr } = await runCli(['incident', 'ack', 'a', 'b']);
    expect(code).toBe(2);
    expect(stderr).toContain("unexpected argument 'b'");
  });

  it('rejects a bad --since, --limit or --server before sending anything', async () => {
    expect((await runCli(['incident', 'list', '--since', 'yesterday'])).code).toBe(2);
    expect((await runCli(['incident', 'list', '--limit', '0'])).code).toBe(2);
    expect((await runCli(['incident', 'list', '--server', 'fb.test'])).code).toBe(2);
  });

  it('rejects an unknown role for token create', async () => {
    const { code, stderr } = await runCli(['token', 'create', '--role', 'owner', '--name', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown role 'owner'; use one of admin, responder, viewer, runner");
  });

  it('rejects an edit that changes nothing', async () => {
    const { code, stderr } = await runCli(['incident', 'edit', 'X']);
    expect(code).toBe(2);
    expect(stderr).toContain('nothing to change');
  });
});

describe('requests', () => {
  it('declares with the token, the services and the given fields', async () => {
    const server = fakeServer(() => ({ status: 201, body: incident() }));
    const argv = ['incident', 'declare', '--title', 'Checkout returns 502', '--severity', 'P1', '--service', 'checkout', '--service', 'payments'];
    const { code, stdout } = await runCli([...argv, ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(stdout).toBe('Declared 01HXINCIDENT0000000000000A [P1] Checkout returns 502\n');
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.href).toBe('http://fb.test:8080/api/v1/incidents');
    expect(request?.headers.get('authorization')).toBe('Bearer fbk_x');
    expect(request?.body).toEqual({ title: 'Checkout returns 502', severity: 'P1', services: ['checkout', 'payments'] });
  });

  it('takes the server and token from the environment, and options before the command', async () => {
    const server = fakeServer(() => ({ status: 200, body: { items: [], nextCursor: null } }));
    await runCli(['incident', 'list'], { fetch: server.fetch, env: { FIREBREAK_URL: 'http://env.test/', FIREBREAK_TOKEN: 'fbk_env' } });
    await runCli(['--server', 'http://lead.test', 'incident', 'list'], { fetch: server.fetch });
    expect(server.requests[0]?.url.href).toBe('http://env.test/api/v1/incidents');
    expect(server.requests[0]?.headers.get('authorization')).toBe('Bearer fbk_env');
    expect(server.requests[1]?.url.origin).toBe('http://lead.test');
  });

  it('turns list filters into query parameters, with --since as a duration ago', async () => {
    const server = fakeServer(() => ({ status: 200, body: { items: [], nextCursor: null } }));
    const argv = ['incident', 'list', '--status', 'investigating', '--status', 'identified', '--severity', 'P1', '--service', 'api', '--since', '24h', '--until', '2024-05-01T11:00:00+02:00', '--limit', '5'];
    await runCli([...argv, ...SERVER], { fetch: server.fetch });
    const params = server.requests[0]?.url.searchParams;
    expect(params?.getAll('status')).toEqual(['investigating', 'identified']);
    expect(params?.get('severity')).toBe('P1');
    expect(params?.get('service')).toBe('api');
    expect(params?.get('from')).toBe(new Date(NOW - 86_400_000).toISOString());
    expect(params?.get('to')).toBe('2024-05-01T09:00:00.000Z');
    expect(params?.get('limit')).toBe('5');
  });

  it('follows cursors with --all', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [incident({ id: 'A' })], nextCursor: 'c1' },
      c1: { items: [incident({ id: 'B' })], nextCursor: 'c2' },
      c2: { items: [incident({ id: 'C' })], nextCursor: null },
    };
    const server = fakeServer((request) => ({ status: 200, body: pages[request.url.searchParams.get('cursor') ?? ''] }));
    const { stdout } = await runCli(['incident', 'list', '--all', '--json', ...SERVER], { fetch: server.fetch });
    const result = JSON.parse(stdout) as { items: { id: string }[]; nextCursor: null };
    expect(result.items.map((item) => item.id)).toEqual(['A', 'B', 'C']);
    expect(result.nextCursor).toBeNull();
    expect(server.requests).toHaveLength(3);
  });

  it('says when more pages exist without --all', async () => {
    const server = fakeServer(() => ({ status: 200, body: { items: [incident()], nextCursor: 'c1' } }));
    const { stdout, stderr } = await runCli(['incident', 'list', ...SERVER], { fetch: server.fetch });
    expect(stdout).toContain('01HXINCIDENT0000000000000A');
    expect(stderr).toContain('add --all');
  });

  it('resolves with a final update posted first', async () => {
    const server = fakeServer((request) => ({ status: 200, body: request.method === 'PATCH' ? incident({ status: 'resolved' }) : { id: 'u1' } }));
    const { code } = await runCli(['incident', 'resolve', 'X', '--message', 'All clear', '--public', ...SERVER], { fetch: server.fetch });
    expect(code).toBe(0);
    expect(server.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual(['POST /api/v1/incidents/X/updates', 'PATCH /api/v1/incidents/X']);
    expect(server.requests[0]?.body).toEqual({ message: 'All clear', public: true });
    expect(server.requests[1]?.body).toEqual({ status: 'resolved' });
  });

  it('posts an update from a template with its variables and channels', async () => {
    const server = fakeServer(() => ({ status: 201, body: {} }));
    const { code } = await runCli(
      ['incident', 'update', 'X', '--template', 'update', '--var', 'eta=30 minutes', '--var', 'next_steps=a', '--var', 'next_steps=b=c', '--channel', 'pager-bridge', ...SERVER],
      { fetch: server.fetch },
    );
    expect(code).toBe(0);
    expect(server.requests[0]?.body).toEqual({ template: 'update', vars: { eta: '30 minutes', next_steps: ['a', 'b=c'] }, public: false, channels: ['pager-bridge'] });
    const both = await runCli(['incident', 'update', 'X', 'text', '--template', 'update', ...SERVER], { fetch: server.fetch });
    expect(both.code).not.toBe(0);
    const neither = await runCli(['incident', 'update', 'X', ...SERVER], { fetch: server.fetch });
    expect(neither.code).not.toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  it('joins the words of a message and escapes ids in paths', async () => {
    const server = fakeServer(() => ({ status: 201, body: {} }));
    await runCli(['incident', 'note', 'a/b', 'rolled', 'back', 'v42', ...SERVER], { fetch: server.fetch });
    await runCli(['incident', 'assign', 'X', 'commander', 'alice', ...SERVER], { fetch: server.fetch });
    expect(server.requests[0]?.url.pathname).toBe('/api/v1/incidents/a%2Fb/notes');
    expect(server.requests[0]?.body).toEqual({ text: 'rolled back v42' });
    expect(server.requests[1]?.method).toBe('PUT');
    expect(server.requests[1]?.url.pathname).toBe('/api/v1/incidents/X/roles/commander');
    expect(server.requests[1]?.body).toEqual({ assignee: 'alice' });
  });

  it('prints the raw response with --json', async () => {
    const body = incident({ acknowledgedAt: '2024-05-01T11:59:00.000Z', acknowledgedBy: 'token:alice' });
    const server = fakeServer(() => ({ status: 200, body }));
    const { stdout } = await runCli(['incident', 'ack', 'X', '--json', ...SERVER], { fetch: server.fetch });
    expect(JSON.parse(stdout)).toEqual(body);
  });
});

describe('errors and exit codes', () => {
  const failWith = (status: number, error: unknown) => fakeServer(() => ({ status, body: { error } })).fetch;

  it('exits 3 on 404', async () => {
    const fetch = failWith(404, { code: 'not_found', message: 'Incident X does not exist', details: { id: 'X' } });
    const { code, stderr } = await runCli(['incident', 'show', 'X', ...SERVER], { fetch });
    expect(code).toBe(3);
    expect(stderr).toContain('error: Incident X does not exist');
  });

  it('exits 4 on 409 and shows the allowed transitions', async () => {
    const fetch = failWith(409, {
      code: 'invalid_transition',
      message: 'An incident cannot go from resolved to mitigating',
      details: { from: 'resolved', to: 'mitigating', allowed: ['closed', 'investigating'] },
    });
    const { code, stderr } = await runCli(['incident', 'status', 'X', 'mitigating', ...SERVER], { fetch });
    expect(code).toBe(4);
    expect(stderr).toContain('error: An incident cannot go from resolved to mitigating');
    expect(stderr).toContain('allowed: closed, investigating');
  });

  it('exits 5 on 401 and 403 with a hint about the token', async () => {
    const unauthenticated = await runCli(['incident', 'list'], { fetch: failWith(401, { code: 'unauthenticated', message: 'A bearer token is required' }) });
    expect(unauthenticated.code).toBe(5);
    expect(unauthenticated.stderr).toContain('--token TOKEN or FIREBREAK_TOKEN');
    const forbidden = await runCli(['token', 'list', ...SERVER], { fetch: failWith(403, { code: 'forbidden', message: 'viewer may not manage tokens' }) });
    expect(forbidden.code).toBe(5);
  });

  it('exits 6 on invalid input and lists each problem', async () => {
    const fetch = failWith(400, {
      code: 'invalid',
      message: 'The request is invalid',
      details: [{ path: 'severity', message: 'unknown severity "P9"', fix: 'use one of P0, P1, P2, P3' }],
    });
    const { code, stderr } = await runCli(['incident', 'declare', '--title', 't', '--severity', 'P9', ...SERVER], { fetch });
    expect(code).toBe(6);
    expect(stderr).toContain('  - severity: unknown severity "P9"\n    fix: use one of P0, P1, P2, P3');
  });

  it('exits 78 when the server refuses to reload an invalid config', async () => {
    const fetch = failWith(400, { code: 'config_invalid', message: 'firebreak.yaml is invalid: 1 problem', details: [] });
    expect((await runCli(['config', 'reload', ...SERVER], { fetch })).code).toBe(78);
  });

  it('exits 1 on a server error, naming the request', async () => {
    const fetch = fakeServer(() => ({ status: 502, body: undefined })).fetch;
    const { code, stderr } = await runCli(['incident', 'list', ...SERVER], { fetch });
    expect(code).toBe(1);
    expect(stderr).toContain('GET http://fb.test:8080/api/v1/incidents failed: HTTP 502');
  });

  it('exits 1 when the server cannot be reached, naming the URL', async () => {
    const { code, stderr } = await runCli(['incident', 'list', '--server', 'http://fb.test:9999']);
    expect(code).toBe(1);
    expect(stderr).toContain('error: cannot connect to http://fb.test:9999 (ECONNREFUSED)');
    expect(stderr).toContain('--server URL or FIREBREAK_URL');
  });
});
