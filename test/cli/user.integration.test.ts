/**
 * `firebreak user`: accounts made and changed on the server's database directly
 * (SQLite in --data-dir, or PostgreSQL by DATABASE_URL), as an operator does before
 * anyone can sign in, and checked by signing in over HTTP to a running server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { EXAMPLE_CONFIG } from '../support/server.ts';

let database: TestDatabase;
let server: RunningServer;

const where = (): Record<string, string> => (database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {});
const user = (args: string[], input?: string) => runCli(['user', ...args, '--data-dir', database.dataDir], { env: where(), input });

async function signIn(username: string, password: string): Promise<{ status: number; cookie: string | null }> {
  const response = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  await response.text();
  return { status: response.status, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? null };
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer({ configPath: EXAMPLE_CONFIG, dataDir: database.dataDir, databaseUrl: database.databaseUrl, port: 0, logLevel: 'silent', timers: false });
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

describe('firebreak user', () => {
  it('creates an account from a password on stdin, named after the person of the configuration', async () => {
    const created = await user(['create', 'amara', '--role', 'admin', '--password-stdin'], 'correct horse battery\n');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toBe('Created amara (admin), the person Amara Okafor.\n');
    expect((await signIn('amara', 'correct horse battery')).status).toBe(201);
  });

  it('makes up a password and prints it alone on stdout, once', async () => {
    const created = await user(['create', 'ops-bot', '--role', 'viewer', '--generate-password']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain('not a person of the configuration');
    const password = created.stdout.trim();
    expect(password).toMatch(/^[\w-]{24}$/);
    expect((await signIn('ops-bot', password)).status).toBe(201);
  });

  it('refuses a taken name (4), an unknown role (2), a weak password (6) and a missing password source without a terminal (2)', async () => {
    const taken = await user(['create', 'amara', '--role', 'viewer', '--password-stdin'], 'another good password\n');
    expect(taken.code).toBe(4);
    expect(taken.stderr).toContain('exists already');
    expect((await user(['create', 'someone', '--role', 'root', '--password-stdin'], 'another good password\n')).code).toBe(2);
    const weak = await user(['create', 'someone', '--role', 'viewer', '--password-stdin'], 'short\n');
    expect(weak.code).toBe(6);
    expect(weak.stderr).toContain('10 to 1024 characters');
    const noTerminal = await user(['create', 'someone', '--role', 'viewer']);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('--password-stdin');
    const listed = await user(['list', '--json']);
    expect(JSON.parse(listed.stdout).items.map((a: any) => a.username)).not.toContain('someone');
  });

  it('passwd sets a new password and ends the sessions of the account', async () => {
    const before = await signIn('amara', 'correct horse battery');
    const changed = await user(['passwd', 'amara', '--password-stdin'], 'a newer horse battery\n');
    expect(changed.code, changed.stderr).toBe(0);
    const answer = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: before.cookie! } });
    expect(answer.status).toBe(401);
    expect((await signIn('amara', 'correct horse battery')).status).toBe(401);
    expect((await signIn('amara', 'a newer horse battery')).status).toBe(201);
  });

  it('disable refuses sign-in until enable', async () => {
    expect((await user(['disable', 'ops-bot'])).code).toBe(0);
    const listed = JSON.parse((await user(['list', '--json'])).stdout).items;
    expect(listed.find((a: any) => a.username === 'ops-bot').disabledAt).not.toBeNull();
    for (const account of listed) expect(Object.keys(account)).not.toContain('passwordHash');
    const created = await user(['create', 'ops-bot-2', '--role', 'viewer', '--password-stdin'], 'a good long password\n');
    expect(created.code).toBe(0);
    expect((await user(['disable', 'ops-bot-2'])).code).toBe(0);
    expect((await signIn('ops-bot-2', 'a good long password')).status).toBe(401);
    expect((await user(['enable', 'ops-bot-2'])).code).toBe(0);
    expect((await signIn('ops-bot-2', 'a good long password')).status).toBe(201);
    const shown = await user(['show', 'ops-bot-2']);
    expect(shown.stdout).toMatch(/role\s+viewer/);
  });

  it('says so when the account or the data directory does not exist', async () => {
    expect((await user(['disable', 'nobody'])).code).toBe(3);
    if (database.databaseUrl) return;
    const missing = await runCli(['user', 'list', '--data-dir', `${database.dataDir}/nope`]);
    expect(missing.code).toBe(78);
  });
});
