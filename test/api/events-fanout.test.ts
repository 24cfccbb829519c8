import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { describePostgres } from '../support/postgres-only.ts';
import { ADMIN_TOKEN, EXAMPLE_CONFIG } from '../support/server.ts';
import { openEventStream } from '../support/sse.ts';

await describePostgres('live events across instances on PostgreSQL', () => {
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const start = () =>
      startServer({ configPath: EXAMPLE_CONFIG, dataDir: database.dataDir, databaseUrl: database.databaseUrl, port: 0, bootstrapToken: ADMIN_TOKEN, logLevel: 'silent' });
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('delivers an event declared on one instance to a stream on another', async () => {
    const stream = await openEventStream(`${b.url}/api/v1/events`, ADMIN_TOKEN);
    const response = await fetch(`${a.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'seen elsewhere', severity: 'P1' }),
    });
    const incident = (await response.json()) as any;
    await expect.poll(() => stream.events.some((e) => e.event === 'incident.declared' && e.data.incidentId === incident.id)).toBe(true);
    await stream.close();
  });
});
