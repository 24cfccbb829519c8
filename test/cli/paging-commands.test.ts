import { describe, expect, it } from 'vitest';
import { describeSource, renderOutboxTable, renderShiftTable, type OutboxMessage } from '../../src/cli/paging-view.ts';
import { createStyle } from '../../src/cli/output.ts';
import { fakeServer, NOW, runCli, type Reply, type RecordedRequest } from './helpers.ts';

const SERVER = ['--server', 'http://fb.test:8080', '--token', 'fbk_x'];
const iso = (ms: number) => new Date(ms).toISOString();
const MINUTE = 60_000;

function message(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: '01HXOUTBOX0000000000000001',
    idempotencyKey: 'page:1',
    channelId: 'pager-bridge',
    incidentId: '01HXINCIDENT0000000000000A',
    kind: 'page',
    headline: '[P1] Checkout returns 502',
    recipient: 'amara',
    state: 'pending',
    attempts: 2,
    nextAttemptAt: iso(NOW + MINUTE),
    lastError: 'connect ECONNREFUSED 127.0.0.1:9099',
    lastStatus: null,
    createdAt: iso(NOW - 3 * MINUTE),
    deliveredAt: null,
    ...overrides,
  };
}

const run = (argv: string[], handler: (request: RecordedRequest) => Reply) => {
  const server = fakeServer(handler);
  return runCli([...argv, ...SERVER], { fetch: server.fetch }).then((result) => ({ ...result, requests: server.requests }));
};

describe('help', () => {
  it('lists oncall, schedule, runbook and outbox, and the new incident commands', async () => {
    const { stdout } = await runCli(['--help']);
    for (const name of ['oncall', 'schedule', 'runbook', 'outbox']) expect(stdout).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
    expect((await runCli(['incident', '--help'])).stdout).toMatch(/^ {2}escalate\s+\S[\s\S]*^ {2}reassign\s+\S/m);
    expect((await runCli(['schedule', '--help'])).stdout).toMatch(/shifts\s+[\s\S]*override\s+/);
    expect((await runCli(['outbox', '--help'])).stdout).toMatch(/list\s+[\s\S]*replay\s+/);
    expect((await runCli(['oncall', '--help'])).stdout).toContain('Usage: firebreak oncall [SCHEDULE] [options]');
  });
});

describe('oncall', () => {
  it('lists every schedule with who is on call', async () => {
    const { code, stdout, requests } = await run(['oncall'], () => ({
      status: 200,
      body: { items: [{ id: 'platform', name: 'Platform on-call', timezone: 'Europe/London', onCall: 'amara' }, { id: 'data', name: 'Data', timezone: 'UTC', onCall: null }] },
    }));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SCHEDULE\s+NAME\s+ON CALL$/m);
    expect(stdout).toMatch(/^platform\s+Platform on-call\s+amara$/m);
    expect(stdout).toMatch(/^data\s+Data\s+\(nobody\)$/m);
    expect(requests.map((r) => r.url.pathname)).toEqual(['/api/v1/schedules']);
  });

  it('says who is on call in one schedule, at --at, and from which layer or override', async () => {
    const at = '2024-05-04T03:00:00Z';
    const layer = await run(['oncall', 'platform', '--at', at], () => ({
      status: 200,
      body: { scheduleId: 'platform', at: '2024-05-04T03:00:00.000Z', userId: 'amara', source: { kind: 'layer', layerId: 'weekly' } },
    }));
    expect(layer.code).toBe(0);
    expect(layer.stdout).toBe('amara is on call in platform at 2024-05-04 03:00:00 UTC (layer weekly)\n');
    expect(layer.requests[0]!.url.pathname).toBe('/api/v1/schedules/platform/oncall');
    expect(layer.requests[0]!.url.searchParams.get('at')).toBe('2024-05-04T03:00:00.000Z');

    const override = await run(['oncall', 'platform'], () => ({
      status: 200,
      body: { scheduleId: 'platform', at: iso(NOW), userId: 'tomasz', source: { kind: 'override', overrideId: 'OV1' } },
    }));
    expect(override.stdout).toBe('tomasz is on call in platform at 2024-05-01 12:00:00 UTC (override OV1)\n');
    expect(override.requests[0]!.url.search).toBe('');

    const nobody = await run(['oncall', 'platform'], () => ({ status: 200, body: { scheduleId: 'platform', at: iso(NOW), userId: null, source: null } }));
    expect(nobody.stdout).toBe('Nobody is on call in platform at 2024-05-01 12:00:00 UTC\n');
  });

  it('asks each schedule when --at comes without a schedule', async () => {
    const { stdout, requests } = await run(['oncall', '--at', '2024-05-04T03:00:00Z'], (request) =>
      request.url.pathname === '/api/v1/schedules'
        ? { status: 200, body: { items: [{ id: 'platform', name: 'Platform on-call', timezone: 'UTC', onCall: 'priya' }] } }
        : { status: 200, body: { scheduleId: 'platform', at: '2024-05-04T03:00:00.000Z', userId: 'amara', source: { kind: 'layer', layerId: 'weekly' } } },
    );
    expect(stdout).toMatch(/^SCHEDULE\s+NAME\s+ON CALL\s+FROM$/m);
    expect(stdout).toMatch(/^platform\s+Platform on-call\s+amara\s+layer weekly$/m);
    expect(requests.map((r) => r.url.pathname)).toEqual(['/api/v1/schedules', '/api/v1/schedules/platform/oncall']);
  });

  it('refuses a bad --at before sending, and exits 3 for an unknown schedule', async () => {
    const bad = await run(['oncall', 'platform', '--at', 'tomorrow'], () => ({ status: 200, body: {} }));
    expect(bad.code).toBe(2);
    expect(bad.requests).toHaveLength(0);
    const missing = await run(['oncall', 'nope'], () => ({ status: 404, body: { error: { code: 'not_found', message: 'Schedule nope does not exist' } } }));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('error: Schedule nope does not exist');
  });
});

describe('schedule shifts', () => {
  it('passes --from and --to and prints the shifts', async () => {
    const { code, stdout, requests } = await run(['schedule', 'shifts', 'platform', '--from', '2024-05-01T00:00:00Z', '--to', '2024-05-08T00:00:00Z'], () => ({
      status: 200,
      body: {
        items: [
          { userId: 'amara', start: '2024-05-01T00:00:00.000Z', end: '2024-05-01T08:00:00.000Z', source: { kind: 'layer', layerId: 'weekly' } },
          { userId: 'tomasz', start: '2024-05-01T08:00:00.000Z', end: '2024-05-01T16:00:00.000Z', source: { kind: 'override', overrideId: 'OV1' } },
          { userId: null, start: '2024-05-01T16:00:00.000Z', end: '2024-05-08T00:00:00.000Z', source: null },
        ],
      },
    }));
    expect(code).toBe(0);
    const url = requests[0]!.url;
    expect(url.pathname).toBe('/api/v1/schedules/platform/shifts');
    expect(url.searchParams.get('from')).toBe('2024-05-01T00:00:00.000Z');
    expect(url.searchParams.get('to')).toBe('2024-05-08T00:00:00.000Z');
    expect(stdout).toMatch(/^START\s+END\s+ON CALL\s+FROM$/m);
    expect(stdout).toMatch(/^2024-05-01 00:00:00 UTC\s+2024-05-01 08:00:00 UTC\s+amara\s+layer weekly$/m);
    expect(stdout).toMatch(/^2024-05-01 08:00:00 UTC\s+2024-05-01 16:00:00 UTC\s+tomasz\s+override OV1$/m);
    expect(stdout).toMatch(/\(nobody\)\s+-$/m);
  });

  it('refuses --to before --from, and a missing schedule', async () => {
    const backwards = await run(['schedule', 'shifts', 'platform', '--from', '2024-05-02T00:00:00Z', '--to', '2024-05-01T00:00:00Z'], () => ({ status: 200, body: { items: [] } }));
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to must come after --from');
    expect(backwards.requests).toHaveLength(0);
    expect((await run(['schedule', 'shifts'], () => ({ status: 200, body: { items: [] } }))).code).toBe(2);
  });
});

describe('schedule override', () => {
  const created = (body: any) => ({
    status: 201,
    body: { id: 'OV1', scheduleId: 'platform', userId: body.user, replaces: body.replaces ?? null, start: body.start, end: body.end, createdBy: 'token:x', createdAt: iso(NOW) },
  });

  it('posts user, replaces, start and end (from --duration), printing the id on stdout', async () => {
    const { code, stdout, stderr, requests } = await run(
      ['schedule', 'override', 'platform', '--user', 'tomasz', '--replaces', 'amara', '--start', '2024-05-04T09:00:00Z', '--duration', '1d'],
      (request) => created(request.body),
    );
    expect(code, stderr).toBe(0);
    expect(requests[0]!.method).toBe('POST');
    expect(requests[0]!.url.pathname).toBe('/api/v1/schedules/platform/overrides');
    expect(requests[0]!.body).toEqual({ user: 'tomasz', replaces: 'amara', start: '2024-05-04T09:00:00.000Z', end: '2024-05-05T09:00:00.000Z' });
    expect(stdout).toBe('OV1\n');
    expect(stderr).toBe('Override: tomasz covers platform instead of amara from 2024-05-04 09:00:00 UTC until 2024-05-05 09:00:00 UTC.\n');
  });

  it('starts now by default and takes --end', async () => {
    const { requests, stdout } = await run(['schedule', 'override', 'platform', '--user', 'priya', '--end', '2024-05-01T18:00:00Z', '--json'], (request) => created(request.body));
    expect(requests[0]!.body).toEqual({ user: 'priya', start: iso(NOW), end: '2024-05-01T18:00:00.000Z' });
    expect(JSON.parse(stdout)).toMatchObject({ id: 'OV1', userId: 'priya' });
  });

  it('refuses a missing --user, both or neither of --end and --duration, and an end before the start', async () => {
    for (const argv of [
      ['--end', '2024-05-01T18:00:00Z'],
      ['--user', 'priya'],
      ['--user', 'priya', '--end', '2024-05-01T18:00:00Z', '--duration', '1h'],
      ['--user', 'priya', '--duration', 'soon'],
      ['--user', 'priya', '--end', '2024-05-01T10:00:00Z'],
    ]) {
      const result = await run(['schedule', 'override', 'platform', ...argv], (request) => created(request.body));
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.requests).toHaveLength(0);
    }
  });
});

describe('outbox', () => {
  it('turns filters into query parameters and prints the table', async () => {
    const { code, stdout, requests } = await run(
      ['outbox', 'list', '--state', 'pending', '--state', 'dead', '--incident', 'INC', '--channel', 'pager-bridge', '--limit', '20'],
      () => ({ status: 200, body: { items: [message()] } }),
    );
    expect(code).toBe(0);
    const url = requests[0]!.url;
    expect(url.pathname).toBe('/api/v1/outbox');
    expect(url.searchParams.getAll('state')).toEqual(['pending', 'dead']);
    expect(url.searchParams.get('incident')).toBe('INC');
    expect(url.searchParams.get('channel')).toBe('pager-bridge');
    expect(url.searchParams.get('limit')).toBe('20');
    expect(stdout).toMatch(/^ID\s+STATE\s+CHANNEL\s+KIND\s+RECIPIENT\s+ATTEMPTS\s+LAST ERROR\s+CREATED$/m);
    expect(stdout).toMatch(/^01HXOUTBOX0000000000000001\s+pending\s+pager-bridge\s+page\s+amara\s+2\s+connect ECONNREFUSED 127\.0\.0\.1:9099\s+3m ago$/m);
  });

  it('says so when there are no messages, and refuses an unknown state or a limit over 500 before sending', async () => {
    expect((await run(['outbox', 'list'], () => ({ status: 200, body: { items: [] } }))).stdout).toBe('No outbox messages.\n');
    for (const argv of [['--state', 'exploded'], ['--limit', '501'], ['--limit', '0']]) {
      const result = await run(['outbox', 'list', ...argv], () => ({ status: 200, body: { items: [] } }));
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.requests).toHaveLength(0);
    }
  });

  it('replays a dead letter; exits 4 for a message that is not dead and 5 without an admin token', async () => {
    const replayed = await run(['outbox', 'replay', 'M1'], () => ({ status: 200, body: message({ id: 'M1', state: 'pending', attempts: 0 }) }));
    expect(replayed.code).toBe(0);
    expect(replayed.requests[0]).toMatchObject({ method: 'POST' });
    expect(replayed.requests[0]!.url.pathname).toBe('/api/v1/outbox/M1/replay');
    expect(replayed.stdout).toBe('Replaying M1 (page to amara through pager-bridge): it is pending again\n');

    const conflict = await run(['outbox', 'replay', 'M1'], () => ({
      status: 409,
      body: { error: { code: 'conflict', message: 'Only dead letters are replayed; this message is pending', details: { state: 'pending' } } },
    }));
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toContain('error: Only dead letters are replayed; this message is pending');

    const forbidden = await run(['outbox', 'list'], () => ({ status: 403, body: { error: { code: 'forbidden', message: 'Not allowed' } } }));
    expect(forbidden.code).toBe(5);
  });

  it('escapes control characters in errors from outside and cuts long ones', () => {
    const view = { now: NOW, timeZone: 'UTC', style: createStyle(false) };
    const text = renderOutboxTable([message({ lastError: `HTTP 500: \u001b[31m${'x'.repeat(100)}` })], view);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\u001b[31m');
    expect(text).toContain('…');
    expect(renderShiftTable([], view)).toBe('No shifts in that time.');
    expect(describeSource({ kind: 'something-new' })).toBe('something-new');
    expect(describeSource(null)).toBe('-');
  });
});

describe('incident escalate and reassign', () => {
  it('escalates with a reason', async () => {
    const { code, stdout, requests } = await run(['incident', 'escalate', 'INC1', '--reason', 'primary is on a flight'], () => ({ status: 202, body: { status: 'escalated' } }));
    expect(code).toBe(0);
    expect(requests[0]!.url.pathname).toBe('/api/v1/incidents/INC1/escalate');
    expect(requests[0]!.body).toEqual({ reason: 'primary is on a flight' });
    expect(stdout).toBe('Escalated INC1 to the next level\n');
  });

  it('reassigns to a user or a schedule, exactly one', async () => {
    const user = await run(['incident', 'reassign', 'INC1', '--user', 'tomasz', '--reason', 'knows payments'], () => ({ status: 202, body: { status: 'reassigned' } }));
    expect(user.requests[0]!.url.pathname).toBe('/api/v1/incidents/INC1/reassign');
    expect(user.requests[0]!.body).toEqual({ user: 'tomasz', reason: 'knows payments' });
    expect(user.stdout).toBe('Reassigned INC1: paging tomasz\n');

    const schedule = await run(['incident', 'reassign', 'INC1', '--schedule', 'platform'], () => ({ status: 202, body: { status: 'reassigned' } }));
    expect(schedule.requests[0]!.body).toEqual({ schedule: 'platform' });
    expect(schedule.stdout).toBe('Reassigned INC1: paging whoever is on call in platform\n');

    for (const argv of [[], ['--user', 'a', '--schedule', 'b'], ['--user', '']]) {
      const result = await run(['incident', 'reassign', 'INC1', ...argv], () => ({ status: 202, body: {} }));
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.requests).toHaveLength(0);
    }
  });

  it('maps a resolved incident (409) to exit 4', async () => {
    const result = await run(['incident', 'escalate', 'INC1'], () => ({
      status: 409,
      body: { error: { code: 'invalid_transition', message: 'A resolved incident is not escalated' } },
    }));
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error: A resolved incident is not escalated');
  });
});
