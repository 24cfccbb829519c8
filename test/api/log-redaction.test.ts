import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../src/observability/logger.ts';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ADMIN_TOKEN, EXAMPLE_CONFIG } from '../support/server.ts';

describe('logs', () => {
  it('mask integration keys, acknowledge tokens and calendar tokens in URLs', () => {
    expect(redactUrl('/api/v1/integrations/alertmanager/fbi_secret?x=1')).toBe('/api/v1/integrations/alertmanager/[redacted]?x=1');
    expect(redactUrl('/ack/abc.def')).toBe('/ack/[redacted]');
    expect(redactUrl('/api/v1/schedules/p/calendar.ics?token=fbk_x&y=2')).toBe('/api/v1/schedules/p/calendar.ics?token=[redacted]&y=2');
    expect(redactUrl('/api/v1/integrations')).toBe('/api/v1/integrations');
  });

  describe('of a running server', () => {
    let database: TestDatabase;
    let server: RunningServer;
    const lines: string[] = [];
    beforeAll(async () => {
      database = await createTestDatabase();
      const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
      // The production logger, written to memory instead of stderr.
      const logger = createLogger('debug', sink);
      server = await startServer({ configPath: EXAMPLE_CONFIG, dataDir: database.dataDir, databaseUrl: database.databaseUrl, port: 0, bootstrapToken: ADMIN_TOKEN, logger });
    });
    afterAll(async () => {
      await server.close();
      await database.drop();
    });

    it('never contain an integration key', async () => {
      const created = await fetch(`${server.url}/api/v1/integrations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'alertmanager', name: 'logs' }),
      });
      const { key, url } = (await created.json()) as { key: string; url: string };
      await fetch(server.url + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"version":"4","alerts":[]}' });
      const text = lines.join('');
      expect(text).toContain('/api/v1/integrations/alertmanager/[redacted]');
      expect(text).not.toContain(key);
    });
  });
});
