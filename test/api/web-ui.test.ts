/**
 * How the server hands out the built UI: the page for every client-side path,
 * hashed assets compressed and cached for good, strict security headers, and
 * the API's own 404 for anything that is not the UI.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { UI_DIST, describeWithBrowser } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { EXAMPLE_CONFIG, startTestServer, type TestServer } from '../support/server.ts';

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

/** The bytes as they came over the wire (fetch would decompress them). */
function raw(url: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

describeWithBrowser('the built UI, as the server serves it', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ timers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers every client-side path with the page, revalidated on each visit, under a strict CSP', async () => {
    const page = readFileSync(join(UI_DIST, 'index.html'), 'utf8');
    for (const path of ['/', '/login', '/incidents', '/incidents/01HZZZZZZZZZZZZZZZZZZZZZZZ', '/incidents/x/postmortem', '/alerts', '/silences', '/oncall', '/status-page', '/reports', '/settings', '/settings/users']) {
      const response = await get(t.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toBe(page);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-eval');
      // Nothing inline at all, styles included: an injected <style> could read the page out through selectors.
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('sends hashed assets brotli- or gzip-compressed as the browser accepts, cached for a year', async () => {
    const scripts = readdirSync(join(UI_DIST, 'assets')).filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(1);
    const name = scripts[0]!;
    const original = readFileSync(join(UI_DIST, 'assets', name));
    const url = `${t.url}/assets/${name}`;
    const br = await raw(url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.body.length).toBeLessThan(original.length);
    expect(brotliDecompressSync(br.body).equals(original)).toBe(true);
    const gz = await raw(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(original)).toBe(true);
    const plain = await raw(url, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(original)).toBe(true);
  });

  it('leaves everything else to the API: unknown paths are the JSON 404, assets that do not exist too', async () => {
    for (const path of ['/api/v1/nope', '/nope', '/assets/nope.js', '/incidentsx']) {
      const response = await get(t.url + path, { accept: 'text/html' });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('lets the UI frame the public status page (its preview) but nobody else', async () => {
    const response = await get(`${t.url}/status`);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
  });
});

describe('a server without a built UI', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let empty: string;
  beforeAll(async () => {
    empty = mkdtempSync(join(tmpdir(), 'firebreak-no-ui-'));
    database = await createTestDatabase();
    server = await startServer({ configPath: EXAMPLE_CONFIG, dataDir: database.dataDir, databaseUrl: database.databaseUrl, port: 0, logLevel: 'silent', timers: false, uiDir: empty });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    rmSync(empty, { recursive: true, force: true });
  });

  it('says how to build it, and the API works as before', async () => {
    const page = await get(`${server.url}/incidents`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run build:web');
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });
});
