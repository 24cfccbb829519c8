import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { startHttpReceiver } from '../support/receivers.ts';
import { exampleConfigText, startTestServer, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
const START = Date.parse('2026-03-10T10:00:00Z');

/** The example's pager channel, re-pointed as each chat kind at a real local receiver. */
const KINDS: Record<string, (url: string) => string> = {
  'slack-webhook': (url) => `kind: slack-webhook\n    id: pager-bridge\n    url: ${url}`,
  'slack-bot': (url) => `kind: slack-bot\n    id: pager-bridge\n    channel: C0123456789\n    token: xoxb-test-token\n    apiUrl: ${url}`,
  discord: (url) => `kind: discord\n    id: pager-bridge\n    url: ${url}`,
  teams: (url) => `kind: teams\n    id: pager-bridge\n    url: ${url}`,
};

describe.each(Object.keys(KINDS))('paging through %s', (kind) => {
  let t: TestServer;
  let time: ManualClock;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
  let dir: string;

  beforeAll(async () => {
    hook = await startHttpReceiver();
    dir = mkdtempSync(join(tmpdir(), 'firebreak-kinds-'));
    const config = exampleConfigText().replace(
      'kind: webhook\n    id: pager-bridge\n    url: http://127.0.0.1:9099/firebreak',
      KINDS[kind]!(hook.url),
    );
    expect(config).toContain(`kind: ${kind}`);
    writeFileSync(join(dir, 'firebreak.yaml'), config);
    time = new ManualClock(START);
    t = await startTestServer({ clock: time, timers: false, configPath: join(dir, 'firebreak.yaml') });
  });
  afterAll(async () => {
    await t.stop();
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages the on-call person, then level 2, and stops when acknowledged', async () => {
    const title = `Checkout down via ${kind} <!channel> @everyone`;
    const incident = (await t.api('POST', '/api/v1/incidents', { title, severity: 'P1', services: ['dlq-manager'] })).body;
    const settle = async () => {
      await t.server.fireDueTimers();
      await t.server.deliverNow();
    };
    await settle();
    expect(hook.received).toHaveLength(1);
    // The title arrives, escaped for the chat's markup: no mass mention survives.
    expect(hook.received[0]!.body).toContain('Checkout down via');
    if (kind.startsWith('slack')) expect(hook.received[0]!.body).not.toContain('<!channel>');
    if (kind === 'discord') expect(hook.received[0]!.json.allowed_mentions).toEqual({ parse: [] });

    time.advance(15 * MINUTE);
    await settle();
    expect(hook.received.length).toBeGreaterThanOrEqual(2);
    const paged = (await t.api('GET', `/api/v1/incidents/${incident.id}/pages`)).body.items.map((p: any) => p.userId);
    expect(paged.at(-1)).toBe('amara');

    await t.api('POST', `/api/v1/incidents/${incident.id}/ack`);
    const count = hook.received.length;
    time.advance(60 * MINUTE);
    await settle();
    expect(hook.received).toHaveLength(count);
  });
});
