import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { runCli, type CliResult as Result } from '../support/cli.ts';

/** The real CLI, as a user runs it, against a real server on a temporary SQLite database. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_TOKEN = 'fbk_test_cli_integration_admin';

let dataDir: string;
let server: RunningServer;

/** Only what the test sets: no FIREBREAK_* from the developer's shell leaks in. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...extra };
  return env;
}

function firebreak(args: string[], env: Record<string, string> = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: ADMIN_TOKEN }): Promise<Result> {
  return runCli(args, { env });
}

/** A port that was free a moment ago, so that connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Polls until the text matches; fails at once if the process has exited instead. */
async function waitFor(text: () => string, pattern: RegExp, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  for (let waited = 0; waited < 20_000; waited += 50) {
    if (pattern.test(text())) return;
    if (done) throw new Error(`the process exited before printing ${pattern}:\n${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${pattern}:\n${text()}`);
}

async function declare(title: string): Promise<string> {
  const result = await firebreak(['incident', 'declare', '--title', title, '--severity', 'P1', '--service', 'rest-api', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { id: string }).id;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'firebreak-cli-'));
  server = await startServer({
    configPath: join(ROOT, 'examples/firebreak.yaml'),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    bootstrapToken: ADMIN_TOKEN,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('an incident driven from the command line', () => {
  it('goes from declared to resolved, with every step on the timeline', async () => {
    const id = await declare('Checkout returns 502');

    const list = await firebreak(['incident', 'list', '--status', 'investigating']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+SEV\s+STATUS\s+TITLE\s+AGE\s+ACK$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+P1\\s+investigating\\s+Checkout returns 502\\s+\\d+s\\s+no$`, 'm'));

    const ack = await firebreak(['incident', 'ack', id, '--comment', 'on it']);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toBe(`Acknowledged ${id}\n`);

    const status = await firebreak(['incident', 'status', id, 'mitigating']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toBe(`${id} is now mitigating (next: monitoring, resolved)\n`);

    const update = await firebreak(['incident', 'update', id, 'Failover', 'done', '--public']);
    expect(update.code, update.stderr).toBe(0);

    const shown = await firebreak(['incident', 'show', id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`${id}  Checkout returns 502`);
    expect(shown.stdout).toMatch(/status\s+mitigating/);
    expect(shown.stdout).toMatch(/acknowledged\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \((\d+s ago|now)\) by token:bootstrap/);
    expect(shown.stdout).toMatch(/SLA clocks\n\s+KIND\s+DUE\s+STATE/);
    expect(shown.stdout).toMatch(/initialResponse\s+.*\(in \d+m\)\s+met/);
    expect(shown.stdout).toMatch(/Timeline\n[\s\S]*declared[\s\S]*Acknowledged: on it[\s\S]*Failover done/);

    const resolved = await firebreak(['incident', 'resolve', id, '--message', 'All clear']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toBe(`Resolved ${id}\n`);

    const json = await firebreak(['incident', 'show', id, '--json']);
    const { incident, timeline } = JSON.parse(json.stdout) as { incident: { status: string }; timeline: { text: string }[] };
    expect(incident.status).toBe('resolved');
    expect(timeline.map((entry) => entry.text)).toContain('All clear');
  });

  it('lists every page with --all', async () => {
    const ids = [await declare('Page one'), await declare('Page two'), await declare('Page three')];
    const result = await firebreak(['incident', 'list', '--limit', '1', '--all', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const listed = (JSON.parse(result.stdout) as { items: { id: string }[] }).items.map((item) => item.id);
    for (const id of ids) expect(listed).toContain(id);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('exits 3 for an incident that does not exist', async () => {
    const result = await firebreak(['incident', 'show', '01HXNOTHERE0000000000000000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: .*does not exist/m);
  });

  it('exits 4 for a transition the lifecycle forbids, listing the allowed ones', async () => {
    const id = await declare('Already over');
    expect((await firebreak(['incident', 'resolve', id])).code).toBe(0);
    const result = await firebreak(['incident', 'status', id, 'mitigating']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error: An incident cannot go from resolved to mitigating');
    expect(result.stderr).toContain('allowed: closed, investigating');
  });

  it('exits 5 without a token, with a hint where to put one', async () => {
    const result = await firebreak(['incident', 'list'], { FIREBREAK_URL: server.url });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('--token TOKEN or FIREBREAK_TOKEN');
  });

  it('exits 6 for input the server refuses', async () => {
    const result = await firebreak(['incident', 'declare', '--title', 'x', '--severity', 'P9']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^error: /m);
  });

  it('exits 1 naming the URL when no server answers', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const result = await firebreak(['incident', 'list', '--server', closed]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot connect to ${closed} (ECONNREFUSED)`);
    expect(result.stderr).toContain('--server URL or FIREBREAK_URL');
  });

  it('reloads the config of the running server', async () => {
    const result = await firebreak(['config', 'reload']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Config reloaded from .*firebreak\.yaml: unchanged\.$/m);
  });
});

describe('tokens', () => {
  it('creates a token in the data directory that the running server then accepts', async () => {
    const created = await firebreak(['token', 'create', '--role', 'responder', '--name', 'cli-test', '--data-dir', dataDir], {});
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^fbk_\S+$/);
    expect(created.stderr).toContain('Created responder token "cli-test"');

    const env = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: token };
    expect((await firebreak(['incident', 'list'], env)).code).toBe(0);
    // A responder may act on incidents but not manage tokens.
    expect((await firebreak(['token', 'list'], env)).code).toBe(5);

    const listed = await firebreak(['token', 'list']);
    expect(listed.stdout).toMatch(/^\S+\s+cli-test\s+responder\s+/m);
  });

  it('revokes a token through the API', async () => {
    const created = await firebreak(['token', 'create', '--role', 'viewer', '--name', 'to-revoke', '--data-dir', dataDir, '--json'], {});
    const { token, record } = JSON.parse(created.stdout) as { token: string; record: { id: string } };
    expect((await firebreak(['token', 'revoke', record.id])).code).toBe(0);
    expect((await firebreak(['incident', 'list'], { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: token })).code).toBe(5);
  });
});

describe('config check', () => {
  it('accepts the example config', async () => {
    const result = await firebreak(['config', 'check', 'examples/firebreak.yaml'], {});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok: .*examples\/firebreak\.yaml: 4 severities, \d+ services, /);
  });

  it('lists every problem of a broken file and exits 78', async () => {
    const broken = join(dataDir, 'broken.yaml');
    await writeFile(broken, 'version: 1\nseverities:\n  preset: p0-p3\nservices:\n  - id: Bad Id\n    name: x\n    team: nobody\n');
    const result = await firebreak(['config', 'check', broken], {});
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('error: firebreak.yaml is invalid: 2 problems');
    // The wording of each problem belongs to config/; here: one indented line each, with its fix.
    expect(result.stderr).toMatch(/^ {2}services\[0\]\.id\b.*"Bad Id".*fix: /m);
    expect(result.stderr).toMatch(/^ {2}services\[0\]\.team\b.*"nobody".*fix: /m);
  });
});

describe('serve', () => {
  it('prints the URL and a new admin token, serves, reloads on SIGHUP and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-serve-'));
    try {
      const child = spawn(process.execPath, ['bin/firebreak.js', 'serve', '--port', '0', '--data-dir', dir], {
        cwd: ROOT,
        env: baseEnv({ LOG_LEVEL: 'silent' }),
      });
      const output = { stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

      await waitFor(() => output.stdout, /Admin token \(shown once\): \S+\n/, exited);
      const url = /^Firebreak is serving (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output.stdout)?.[1];
      const token = /Admin token \(shown once\): (fbk_\S+)/.exec(output.stdout)?.[1];
      expect(url).toBeDefined();
      const listed = await firebreak(['incident', 'list'], { FIREBREAK_URL: url ?? '', FIREBREAK_TOKEN: token ?? '' });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toBe('No incidents.\n');

      child.kill('SIGHUP');
      await waitFor(() => output.stderr, /SIGHUP: reloaded .*firebreak\.yaml \(unchanged\)/, exited);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.stderr).toContain('SIGTERM received, shutting down');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on an invalid config, listing the problems, with exit 78', async () => {
    const broken = join(dataDir, 'serve-broken.yaml');
    await writeFile(broken, 'version: 2\nseverities:\n  preset: p9\n');
    const result = await firebreak(['serve', '--config', broken, '--port', '0', '--data-dir', join(dataDir, 'unused')], { LOG_LEVEL: 'silent' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^error: firebreak\.yaml is invalid: \d+ problems?/m);
    expect(result.stderr).toContain(`file: ${broken}`);
  });
});
