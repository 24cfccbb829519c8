import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { describePostgres } from '../support/postgres-only.ts';
import { ADMIN_TOKEN, EXAMPLE_CONFIG } from '../support/server.ts';

await describePostgres('status page across instances on PostgreSQL', () => {
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

  const call = async (server: RunningServer, method: string, path: string, body?: unknown) => {
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('shows a public update posted on one instance on the cached page of another well before the cache would expire', async () => {
    const before = await fetch(`${b.url}/status/api/v2/summary.json`);
    const etag = before.headers.get('etag')!;
    expect((await before.json()) as any).toMatchObject({ incidents: [] });
    const declared = await call(a, 'POST', '/api/v1/incidents', { title: 'Checkout slow', severity: 'P2', services: ['rest-api'] });
    expect((await call(a, 'POST', `/api/v1/incidents/${declared.body.id}/updates`, { message: 'Looking into slow checkouts', public: true })).status).toBe(201);
    const started = Date.now();
    await expect
      .poll(async () => (await fetch(`${b.url}/status/api/v2/summary.json`, { headers: { 'if-none-match': etag } })).status, { timeout: 10_000, interval: 100 })
      .toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    const summary = (await (await fetch(`${b.url}/status/api/v2/summary.json`)).json()) as any;
    expect(summary.incidents[0].incident_updates[0].body).toBe('Looking into slow checkouts');
    expect(summary.components.find((c: any) => c.id === 'rest-api').status).toBe('degraded_performance');

    expect((await call(a, 'PUT', '/api/v1/status/components/redis', { status: 'under_maintenance' })).status).toBe(200);
    await expect
      .poll(async () => ((await (await fetch(`${b.url}/status/api/v2/components.json`)).json()) as any).components.find((c: any) => c.id === 'redis').status, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe('under_maintenance');
  });
});
