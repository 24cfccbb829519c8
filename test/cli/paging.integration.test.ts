import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, type CliResult as Result } from '../support/cli.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/**
 * The on-call, outbox and paging commands of the real CLI, as a user runs them,
 * against a real server (SQLite or PostgreSQL, as FIREBREAK_TEST_DB says) with the
 * example config: schedule `platform`, and the pager-bridge channel pointing at a
 * closed port, so that pages stay pending and retry.
 */

const USERS = ['amara', 'tomasz', 'priya', 'jonas', 'lucia'];
const HOUR = 3_600_000;

let t: TestServer;
const { firebreak, ok } = cliFor(() => t.url, ADMIN_TOKEN);

const json = <T>(result: Result): T => JSON.parse(result.stdout) as T;

/** Starts escalations and tries deliveries now (the server runs without its background timers). */
async function settle(): Promise<void> {
  await t.server.fireDueTimers();
  await t.server.deliverNow();
}

async function declare(title: string): Promise<string> {
  const incident = json<{ id: string }>(await ok(['incident', 'declare', '--title', title, '--severity', 'P2', '--json']));
  await settle();
  return incident.id;
}

interface OutboxItem {
  id: string;
  state: string;
  channelId: string;
  kind: string;
  recipient: string | null;
  attempts: number;
  incidentId: string | null;
  lastError: string | null;
}

beforeAll(async () => {
  t = await startTestServer({ timers: false });
});

afterAll(async () => {
  await t?.stop();
});

describe('oncall and schedules', () => {
  it('lists the platform schedule with someone on call, and says from which layer', async () => {
    const list = await ok(['oncall']);
    expect(list.stdout).toMatch(/^SCHEDULE\s+NAME\s+ON CALL$/m);
    const row = /^platform\s+Platform on-call\s+(\w+)$/m.exec(list.stdout);
    expect(row).not.toBeNull();
    expect(USERS).toContain(row![1]);

    const one = json<{ scheduleId: string; userId: string; source: { kind: string; layerId: string } }>(await ok(['oncall', 'platform', '--json']));
    expect(one).toMatchObject({ scheduleId: 'platform', userId: row![1], source: { kind: 'layer' } });
    expect(['weekly', 'daytime']).toContain(one.source.layerId);

    // Sunday 03:00 in London is outside the daytime layer: the weekly rotation answers.
    const night = await ok(['oncall', 'platform', '--at', '2025-03-09T03:00:00Z']);
    expect(night.stdout).toMatch(/^(amara|tomasz|priya|jonas|lucia) is on call in platform at 2025-03-09 03:00:00 UTC \(layer weekly\)\n$/);
    const all = await ok(['oncall', '--at', '2025-03-09T03:00:00Z']);
    expect(all.stdout).toMatch(/^platform\s+Platform on-call\s+\w+\s+layer weekly$/m);
  });

  it('adds an override that takes over, shows it in shifts and in oncall', async () => {
    const start = new Date(Date.now() + 24 * HOUR).toISOString();
    const added = await ok(['schedule', 'override', 'platform', '--user', 'tomasz', '--start', start, '--duration', '2h']);
    const id = added.stdout.trim();
    expect(id).toMatch(/^\w{26}$/);
    expect(added.stderr).toMatch(/^Override: tomasz covers platform from .* until .*\.\n$/);

    const during = new Date(Date.parse(start) + HOUR).toISOString();
    expect((await ok(['oncall', 'platform', '--at', during])).stdout).toContain(`tomasz is on call in platform at `);
    expect((await ok(['oncall', 'platform', '--at', during])).stdout).toContain(`(override ${id})`);

    const shifts = await ok(['schedule', 'shifts', 'platform', '--from', start, '--to', new Date(Date.parse(start) + 4 * HOUR).toISOString()]);
    expect(shifts.stdout).toMatch(/^START\s+END\s+ON CALL\s+FROM$/m);
    expect(shifts.stdout).toMatch(new RegExp(`^\\S+ \\S+ UTC\\s+\\S+ \\S+ UTC\\s+tomasz\\s+override ${id}$`, 'm'));
    const items = json<{ items: Array<{ userId: string; start: string; end: string }> }>(
      await ok(['schedule', 'shifts', 'platform', '--from', start, '--to', new Date(Date.parse(start) + 4 * HOUR).toISOString(), '--json']),
    ).items;
    expect(items[0]).toMatchObject({ userId: 'tomasz', start: new Date(Date.parse(start)).toISOString(), end: new Date(Date.parse(start) + 2 * HOUR).toISOString() });

    expect((await t.api('DELETE', `/api/v1/schedules/platform/overrides/${id}`)).status).toBe(204);
  });

  it('exits 3 for an unknown schedule, 6 for an unknown user, 5 for a viewer adding an override', async () => {
    expect((await firebreak(['oncall', 'nope'])).code).toBe(3);
    expect((await firebreak(['schedule', 'shifts', 'nope'])).code).toBe(3);
    const unknown = await firebreak(['schedule', 'override', 'platform', '--user', 'nobody-here', '--duration', '1h']);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toContain('error: Unknown user "nobody-here"');
    const viewer = await t.token('viewer');
    expect((await firebreak(['oncall'], viewer)).code).toBe(0);
    expect((await firebreak(['schedule', 'override', 'platform', '--user', 'priya', '--duration', '1h'], viewer)).code).toBe(5);
  });
});

describe('outbox', () => {
  it('lists the pending pages of an incident (pager-bridge is down), and replaying one that is not dead exits 4', async () => {
    const incidentId = await declare('CLI outbox: checkout returns 502');
    const list = await ok(['outbox', 'list', '--state', 'pending', '--incident', incidentId]);
    expect(list.stdout).toMatch(/^ID\s+STATE\s+CHANNEL\s+KIND\s+RECIPIENT\s+ATTEMPTS\s+LAST ERROR\s+CREATED$/m);
    expect(list.stdout).toMatch(/^\w{26}\s+pending\s+pager-bridge\s+page\s+(amara|tomasz|priya|jonas|lucia)\s+1\s+\S.*\s+(now|\d+s ago)$/m);

    const items = json<{ items: OutboxItem[] }>(await ok(['outbox', 'list', '--state', 'pending', '--incident', incidentId, '--json'])).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).toMatchObject({ state: 'pending', channelId: 'pager-bridge', incidentId, kind: 'page' });
    expect(items[0]!.lastError).not.toBeNull();

    const byChannel = json<{ items: OutboxItem[] }>(await ok(['outbox', 'list', '--channel', 'email', '--incident', incidentId, '--limit', '5', '--json'])).items;
    expect(byChannel.every((item) => item.channelId === 'email')).toBe(true);

    const replay = await firebreak(['outbox', 'replay', items[0]!.id]);
    expect(replay.code).toBe(4);
    expect(replay.stderr).toContain('error: Only dead letters are replayed; this message is pending');
    expect((await firebreak(['outbox', 'replay', '01HXNOTHERE0000000000000000'])).code).toBe(3);
  });

  it('is for admins only: a responder exits 5', async () => {
    const responder = await t.token('responder');
    const result = await firebreak(['outbox', 'list'], responder);
    expect(result.code).toBe(5);
  });
});

describe('incident escalate and reassign', () => {
  interface PageItem {
    userId: string;
    level: number;
    reason: string;
  }
  const pagesOf = async (id: string): Promise<PageItem[]> => (await t.api('GET', `/api/v1/incidents/${id}/pages`)).body.items as PageItem[];

  it('escalates to the next level now (amara) and reassigns to a user and to a schedule', async () => {
    const id = await declare('CLI paging: search is slow');
    expect((await pagesOf(id)).length).toBeGreaterThan(0);

    const escalated = await ok(['incident', 'escalate', id, '--reason', 'primary is on a flight']);
    expect(escalated.stdout).toBe(`Escalated ${id} to the next level\n`);
    await settle();
    expect((await pagesOf(id)).some((page) => page.userId === 'amara' && page.level >= 1)).toBe(true);

    const toUser = await ok(['incident', 'reassign', id, '--user', 'lucia', '--reason', 'knows search']);
    expect(toUser.stdout).toBe(`Reassigned ${id}: paging lucia\n`);
    await settle();
    expect((await pagesOf(id)).some((page) => page.userId === 'lucia')).toBe(true);

    const toSchedule = json<{ status: string }>(await ok(['incident', 'reassign', id, '--schedule', 'platform', '--json']));
    expect(toSchedule).toEqual({ status: 'reassigned' });

    const timeline = (await t.api('GET', `/api/v1/incidents/${id}/timeline`)).body.items as Array<{ text: string }>;
    expect(timeline.some((entry) => entry.text.includes('primary is on a flight'))).toBe(true);
  });

  it('exits 4 escalating a resolved incident, 6 for an unknown user, 3 for an unknown incident, 2 without a target', async () => {
    const id = await declare('CLI paging: resolved quickly');
    await ok(['incident', 'resolve', id]);
    const resolved = await firebreak(['incident', 'escalate', id]);
    expect(resolved.code).toBe(4);
    expect(resolved.stderr).toMatch(/^error: /m);
    const open = await declare('CLI paging: still open');
    const unknown = await firebreak(['incident', 'reassign', open, '--user', 'nobody-here']);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toContain('Unknown user "nobody-here"');
    expect((await firebreak(['incident', 'escalate', '01HXNOTHERE0000000000000000'])).code).toBe(3);
    expect((await firebreak(['incident', 'reassign', open])).code).toBe(2);
  });
});
