import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectStatus, FIREBREAK_BIN, spawnServer, waitUntil, type ServerProcess } from '../support/process.ts';

/**
 * Runs across crashes and outages, with real processes: a server killed while its
 * embedded runner runs a step, and a remote runner that loses its server for a while.
 */

const RUNBOOKS = fileURLToPath(new URL('../runs/fixtures/runbooks/', import.meta.url));

function writeConfig(dir: string, localRunner: boolean): string {
  const path = join(dir, 'firebreak.yaml');
  writeFileSync(
    path,
    ['version: 1', 'severities: { preset: p0-p3 }', 'runbooks:', `  paths: [${JSON.stringify(RUNBOOKS)}]`, '  runnerLease: 30s', `  localRunner: { enabled: ${localRunner} }`, ''].join('\n'),
  );
  return path;
}

async function stepOf(server: ServerProcess, runId: string, stepId: string) {
  const run = (await expectStatus(server, 200, 'GET', `/api/v1/runs/${runId}`)).body.run;
  return run.steps.find((s: any) => s.id === stepId);
}

describe('runs when processes die', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function setUp(localRunner: boolean): Promise<{ database: TestDatabase; dir: string; config: string }> {
    const database = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'firebreak-runs-restart-'));
    cleanups.push(() => database.drop(), () => rmSync(dir, { recursive: true, force: true }));
    return { database, dir, config: writeConfig(dir, localRunner) };
  }

  async function serve(database: TestDatabase, config: string): Promise<ServerProcess> {
    const server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, configPath: config });
    cleanups.push(() => server.kill('SIGKILL').then(() => {}));
    return server;
  }

  it('leaves a step of the embedded runner unknown after the server is killed, and does not run it again', async () => {
    const { database, dir, config } = await setUp(true);
    const marker = join(dir, 'marker.txt');
    let server = await serve(database, config);
    const run = (await expectStatus(server, 201, 'POST', '/api/v1/runs', { runbook: 'queue-replay' })).body.run;
    await expectStatus(server, 200, 'POST', `/api/v1/runs/${run.id}/steps/long-wait/start`, { params: { MARKER_FILE: marker } });
    await waitUntil(async () => ((await stepOf(server, run.id, 'long-wait')).output.text.includes('begin') ? true : undefined), { timeoutMs: 20_000 });

    await server.kill('SIGKILL');
    server = await serve(database, config);
    // On SQLite the embedded runner finds its leftover at once; on PostgreSQL the lease runs out.
    const settled = await waitUntil(
      async () => {
        const step = await stepOf(server, run.id, 'long-wait');
        return step.state === 'running' ? undefined : step;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(settled.state).toBe('unknown');
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    const retried = await expectStatus(server, 200, 'POST', `/api/v1/runs/${run.id}/steps/long-wait/retry`, { params: { MARKER_FILE: marker } });
    expect(retried.body.run.steps.find((s: any) => s.id === 'long-wait').attempt).toBe(2);
    await waitUntil(async () => (readFileSync(marker, 'utf8') === 'ran\nran\n' ? true : undefined), { timeoutMs: 20_000 });
    await expectStatus(server, 200, 'POST', `/api/v1/runs/${run.id}/steps/long-wait/cancel`, {});
  }, 120_000);

  it('keeps a remote runner’s step through a server outage: output complete, finished once', async () => {
    const { database, dir, config } = await setUp(false);
    const marker = join(dir, 'marker.txt');
    let server = await serve(database, config);
    const token = (await expectStatus(server, 201, 'POST', '/api/v1/tokens', { name: 'outage-runner', role: 'runner' })).body.token as string;
    const startRunner = (url: string): ChildProcess => {
      const child = spawn(process.execPath, [FIREBREAK_BIN, 'runner', '--server', url, '--labels', 'env=test', '--state-dir', join(dir, 'state'), '--workdir', dir], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, FIREBREAK_RUNNER_TOKEN: token, LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
      cleanups.push(() => void child.kill('SIGKILL'));
      return child;
    };
    startRunner(server.url);
    const run = (await expectStatus(server, 201, 'POST', '/api/v1/runs', { runbook: 'queue-replay' })).body.run;
    await expectStatus(server, 200, 'POST', `/api/v1/runs/${run.id}/steps/long-wait/start`, { params: { MARKER_FILE: marker } });
    await waitUntil(async () => ((await stepOf(server, run.id, 'long-wait')).output.text.includes('begin') ? true : undefined), { timeoutMs: 20_000 });

    // The server goes away for a few seconds, then comes back on the same port.
    const port = new URL(server.url).port;
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    server = await spawnServerOnPort(database, config, port);
    cleanups.push(() => server.kill('SIGKILL').then(() => {}));
    const done = await waitUntil(
      async () => {
        const step = await stepOf(server, run.id, 'long-wait');
        return step.state === 'running' ? undefined : step;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(done.state).toBe('succeeded');
    expect(done.output.text).toBe('begin\nend\n');
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
  }, 120_000);
});

/** spawnServer always takes a free port; the runner must find the server where it was, so start one on the old port. */
async function spawnServerOnPort(database: TestDatabase, config: string, port: string): Promise<ServerProcess> {
  return spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, configPath: config, port: Number(port) });
}
