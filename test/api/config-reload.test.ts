import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigText, startTestServer, type TestServer } from '../support/server.ts';

describe('configuration reload', () => {
  let dir: string;
  let file: string;
  let t: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-config-'));
    file = join(dir, 'firebreak.yaml');
    writeFileSync(file, exampleConfigText());
    t = await startTestServer({ configPath: file });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a valid new file', async () => {
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace(/^services:\n/m, 'services:\n  - id: billing\n    name: Billing\n'));
    const reload = await t.api('POST', '/api/v1/config/reload');
    expect(reload.status).toBe(200);
    expect(reload.body.changed).toBe(true);
    const declared = await t.api('POST', '/api/v1/incidents', { title: 'invoices late', severity: 'P2', services: ['billing'] });
    expect(declared.status).toBe(201);
  });

  it('keeps the running configuration when the new file is invalid, and says why', async () => {
    const before = (await t.api('GET', '/api/v1/config')).body;
    writeFileSync(file, 'version: 1\nseverities:\n  preset: p9-p12\nservices:\n  - id: Bad Id\n');
    const reload = await t.api('POST', '/api/v1/config/reload');
    expect(reload.status).toBe(400);
    expect(reload.body.error.code).toBe('config_invalid');
    const paths = reload.body.error.details.map((p: any) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['severities.preset', 'services[0].id']));
    const after = (await t.api('GET', '/api/v1/config')).body;
    expect(after.source.sha256).toBe(before.source.sha256);
    expect((await t.api('POST', '/api/v1/incidents', { title: 'still works', severity: 'P1', services: ['billing'] })).status).toBe(201);
  });

  it('lets only admins reload', async () => {
    const responder = await t.token('responder');
    expect((await t.api('POST', '/api/v1/config/reload', undefined, responder)).status).toBe(403);
    expect((await t.api('GET', '/api/v1/config', undefined, responder)).status).toBe(200);
  });
});
