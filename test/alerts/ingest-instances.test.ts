import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { describePostgres } from '../support/postgres-only.ts';
import { ADMIN_TOKEN, EXAMPLE_CONFIG } from '../support/server.ts';

/*
 * Alert ingest with two instances on one PostgreSQL database: what one
 * instance did to an alert counts on the other at once (no instance answers a
 * repeat from what it remembers), and the same new alert arriving at both at
 * the same moment is stored once.
 */

const webhook = (status: 'firing' | 'resolved', name: string, fingerprint: string) => ({
  version: '4',
  groupKey: `{}:{alertname="${name}"}`,
  status,
  receiver: 'firebreak',
  externalURL: 'http://alertmanager.example:9093',
  alerts: [
    {
      status,
      labels: { alertname: name, instance: 'db1' },
      annotations: {},
      startsAt: '2026-11-23T10:00:00.000Z',
      endsAt: status === 'resolved' ? '2026-11-23T10:05:00.000Z' : '0001-01-01T00:00:00Z',
      fingerprint,
    },
  ],
});

await describePostgres('alert ingest across instances on PostgreSQL', () => {
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  let hook: string;

  const post = async (server: RunningServer, body: unknown) => {
    const response = await fetch(server.url + hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return ((await response.json()) as any).results as Record<string, number>;
  };
  const alertsNamed = async (name: string) => {
    const response = await fetch(`${a.url}/api/v1/alerts?label=alertname=${name}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await response.json()) as any).items as any[];
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const start = () =>
      startServer({ configPath: EXAMPLE_CONFIG, dataDir: database.dataDir, databaseUrl: database.databaseUrl, port: 0, bootstrapToken: ADMIN_TOKEN, logLevel: process.env.FIREBREAK_TEST_LOG ?? 'silent', timers: false });
    a = await start();
    b = await start();
    const response = await fetch(`${a.url}/api/v1/integrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'alertmanager', name: 'two instances' }),
    });
    hook = ((await response.json()) as any).url;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('fires an alert again on one instance after another resolved it', async () => {
    expect(await post(a, webhook('firing', 'InstancesRefire', 'ir-1'))).toEqual({ opened: 1 });
    expect(await post(a, webhook('firing', 'InstancesRefire', 'ir-1'))).toEqual({ repeat: 1 });
    expect(await post(b, webhook('resolved', 'InstancesRefire', 'ir-1'))).toEqual({ resolved: 1 });
    // Instance a last saw the alert firing; it must not take this for a repeat.
    expect(await post(a, webhook('firing', 'InstancesRefire', 'ir-1'))).toEqual({ attached: 1 });
    const [alert] = await alertsNamed('InstancesRefire');
    expect(alert).toMatchObject({ status: 'firing', count: 4 });
  });

  it('stores the same new alert once when both instances get it at the same moment', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(i % 2 === 0 ? a : b, webhook('firing', 'InstancesRace', 'race-1'))),
    );
    expect(answers.filter((results) => results.opened === 1)).toHaveLength(1);
    expect(answers.filter((results) => results.repeat === 1)).toHaveLength(19);
    const alerts = await alertsNamed('InstancesRace');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].count).toBe(20);
  });
});
