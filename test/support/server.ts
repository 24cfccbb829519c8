import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../src/core/clock.ts';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/firebreak.yaml', import.meta.url));
export const ADMIN_TOKEN = 'fbk_test_admin_token_0123456789';

/**
 * The example configuration's text for a copy written elsewhere: its runbook and template
 * folders are relative to the file, so the copy names them by their absolute paths.
 */
export function exampleConfigText(): string {
  const runbooks = fileURLToPath(new URL('../../examples/runbooks/', import.meta.url));
  const templates = fileURLToPath(new URL('../../examples/templates/', import.meta.url));
  const text = readFileSync(EXAMPLE_CONFIG, 'utf8');
  if (!text.includes('paths: [runbooks/]')) throw new Error('examples/firebreak.yaml changed: expected "paths: [runbooks/]"');
  if (!text.includes('  path: templates/')) throw new Error('examples/firebreak.yaml changed: expected "path: templates/"');
  return text.replace('paths: [runbooks/]', `paths: [${JSON.stringify(runbooks)}]`).replace('  path: templates/', `  path: ${JSON.stringify(templates)}`);
}

export interface TestServer {
  server: RunningServer;
  database: TestDatabase;
  url: string;
  /** Calls the API as the bootstrap admin unless another token is given. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }>;
  /** Creates a token of the role through the API and returns its secret. */
  token(role: 'admin' | 'responder' | 'viewer' | 'runner'): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestServer(options: { clock?: Clock; configPath?: string; timers?: boolean; trustProxy?: boolean; streamCheckMs?: number } = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const server = await startServer({
    configPath: options.configPath ?? EXAMPLE_CONFIG,
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
    port: 0,
    host: '127.0.0.1',
    bootstrapToken: ADMIN_TOKEN,
    logLevel: process.env.FIREBREAK_TEST_LOG ?? 'silent',
    clock: options.clock,
    timers: options.timers,
    trustProxy: options.trustProxy,
    streamCheckMs: options.streamCheckMs,
  });
  const api: TestServer['api'] = async (method, path, body, token = ADMIN_TOKEN) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(server.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    server,
    database,
    url: server.url,
    api,
    token: async (role) => {
      const created = await api('POST', '/api/v1/tokens', { name: `${role}-${Math.random().toString(36).slice(2, 8)}`, role });
      if (created.status !== 201) throw new Error(`token create failed: ${created.status} ${JSON.stringify(created.body)}`);
      return created.body.token as string;
    },
    stop: async () => {
      await server.close();
      await database.drop();
    },
  };
}

/**
 * A server on a copy of the example configuration, changed by `rewrite` (pointing a
 * channel at a test receiver, say); the copy goes away with the server.
 */
export async function startExampleServer(options: { clock?: Clock; timers?: boolean; rewrite?: (text: string) => string; streamCheckMs?: number } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-example-'));
  const configPath = join(dir, 'firebreak.yaml');
  writeFileSync(configPath, (options.rewrite ?? ((text) => text))(exampleConfigText()));
  const server = await startTestServer({ clock: options.clock, timers: options.timers, configPath, streamCheckMs: options.streamCheckMs });
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example's pager-bridge webhook pointed at `url`. */
export const webhookTo = (url: string) => (text: string) => text.replace('url: http://127.0.0.1:9099/firebreak', `url: ${url}`);
