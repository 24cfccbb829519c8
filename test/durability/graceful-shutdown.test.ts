import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { PROCESS_ADMIN_TOKEN, spawnServer } from '../support/process.ts';

describe('graceful shutdown', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it('finishes requests in flight on SIGTERM and loses no acknowledged write', async () => {
    const server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    const declare = (i: number) =>
      fetch(`${server.url}/api/v1/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${PROCESS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `shutdown ${i}`, severity: 'P3' }),
      }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { id?: string } }),
        () => ({ status: 0, body: {} as { id?: string } }),
      );

    // Keep requests coming while the signal arrives.
    const answers: Array<Promise<{ status: number; body: { id?: string } }>> = [];
    for (let i = 0; i < 40; i++) answers.push(declare(i));
    await Promise.race(answers);
    const stopped = server.kill('SIGTERM');
    for (let i = 40; i < 80; i++) answers.push(declare(i));
    const exit = await Promise.race([
      stopped,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 30 s after SIGTERM:\n${server.recentOutput()}`)), 30_000)),
    ]);
    expect(exit.code).toBe(0);
    const settled = await Promise.all(answers);
    const acknowledged = settled.filter((a) => a.status === 201).map((a) => a.body.id!);
    // Whatever the server accepted before closing was answered, not cut off.
    expect(settled.every((a) => a.status === 201 || a.status === 0 || a.status === 503)).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(0);

    const again = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    try {
      for (const id of acknowledged) {
        expect((await again.api('GET', `/api/v1/incidents/${id}`)).status).toBe(200);
      }
    } finally {
      await again.stop();
    }
  });
});
