import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectStatus, FIREBREAK_BIN, readTimeline, spawnServer, waitUntil, type ServerProcess } from '../support/process.ts';
import { openEventStream } from '../support/sse.ts';

/**
 * The whole way a responder uses a runbook, with every part real and separate: a
 * `firebreak serve` process (its embedded runner off), a `firebreak runner` process
 * connecting out to it with a runner token, and people acting through the HTTP API
 * with tokens of their own.
 */

const CONFIG = fileURLToPath(new URL('../runs/fixtures/firebreak.yaml', import.meta.url));

interface Runner {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startRunner(server: ServerProcess, token: string, stateDir: string, workdir: string): Runner {
  const child = spawn(
    process.execPath,
    [FIREBREAK_BIN, 'runner', '--server', server.url, '--labels', 'env=test,host=e2e', '--name', 'e2e-runner', '--state-dir', stateDir, '--workdir', workdir],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, FIREBREAK_RUNNER_TOKEN: token, LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

describe('a runbook run on a separate runner process', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let work: string;
  const runners: Runner[] = [];
  const pwned = join(tmpdir(), `firebreak-pwned-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    database = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'firebreak-e2e-runner-'));
    server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, configPath: CONFIG, env: { FIREBREAK_TEST_RUN_SECRET: 'e2e-secret-value-1234' } });
  }, 60_000);

  afterAll(async () => {
    for (const runner of runners) runner.child.kill('SIGKILL');
    await server?.stop();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const as = (token: string) => async (method: string, path: string, body?: unknown) => {
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };

  it('waits for a second person, streams output live, records it all, and leaves a step unknown when its runner dies', async () => {
    const tokenOf = async (role: string, name: string) => (await expectStatus(server, 201, 'POST', '/api/v1/tokens', { name, role })).body.token as string;
    const ops = as(await tokenOf('responder', 'priya'));
    const lead = as(await tokenOf('responder', 'amara'));
    const runnerToken = await tokenOf('runner', 'e2e-runner');
    const stateDir = join(work, 'state');
    const outFile = join(work, 'replayed.txt');
    const marker = join(work, 'marker.txt');
    runners.push(startRunner(server, runnerToken, stateDir, work));

    const incident = (await ops('POST', '/api/v1/incidents', { title: 'Orders queue stuck', severity: 'P0', services: ['queue'] })).body;
    expect(incident.id).toBeTruthy();
    const hostile = `$(touch ${pwned}); \`touch ${pwned}\`; rm -rf ~\nnext`;
    const created = await ops('POST', '/api/v1/runs', { runbook: 'queue-replay', incident: incident.id, params: { MESSAGE_ID: hostile, OUT_FILE: outFile } });
    expect(created.status).toBe(201);
    const runId = created.body.run.id as string;
    const stream = await openEventStream(`${server.url}/api/v1/events?run=${runId}`, await tokenOf('viewer', 'watcher'));
    try {
      // The runbook says "Get approval first": the step waits, and its requester cannot approve it.
      const asked = await ops('POST', `/api/v1/runs/${runId}/steps/scenario-a-1/start`, {});
      expect(asked.body.run.steps.find((s: any) => s.id === 'scenario-a-1').state).toBe('awaiting-approval');
      expect((await ops('POST', `/api/v1/runs/${runId}/steps/scenario-a-1/approve`, {})).status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(existsSync(outFile)).toBe(false);
      expect((await lead('POST', `/api/v1/runs/${runId}/steps/scenario-a-1/approve`, { comment: 'replay is safe' })).status).toBe(200);

      const replayed = await waitUntil(
        async () => {
          const run = (await ops('GET', `/api/v1/runs/${runId}`)).body.run;
          const step = run.steps.find((s: any) => s.id === 'scenario-a-1');
          return ['succeeded', 'failed'].includes(step.state) ? step : undefined;
        },
        { timeoutMs: 20_000, describe: () => runners[0]!.output() },
      );
      expect(replayed.state).toBe('succeeded');
      expect(replayed.ranOn.name).toBe('e2e-runner');
      // The hostile value arrived as data: written verbatim, never executed.
      expect(readFileSync(outFile, 'utf8')).toBe(`${hostile}\n`);
      expect(existsSync(pwned)).toBe(false);
      expect(replayed.output.text).toContain('replaying $(touch');

      // A long step: its first line arrives while it still runs.
      const long = await ops('POST', `/api/v1/runs/${runId}/steps/long-wait/start`, { params: { MARKER_FILE: marker } });
      expect(long.status).toBe(200);
      await waitUntil(async () => (stream.events.some((e) => e.event === 'run.output' && e.data.data.stepId === 'long-wait' && e.data.data.chunks.some((c: any) => c.text.includes('begin'))) ? true : undefined), {
        timeoutMs: 20_000,
        describe: () => runners[0]!.output(),
      });
      const running = (await ops('GET', `/api/v1/runs/${runId}`)).body.run.steps.find((s: any) => s.id === 'long-wait');
      expect(running.state).toBe('running');
      expect(running.output.text).toBe('begin\n');

      // The runner dies mid-step and comes back: the step is unknown, and it did not run again.
      runners[0]!.child.kill('SIGKILL');
      await runners[0]!.exited;
      runners.push(startRunner(server, runnerToken, stateDir, work));
      const settled = await waitUntil(
        async () => {
          const step = (await ops('GET', `/api/v1/runs/${runId}`)).body.run.steps.find((s: any) => s.id === 'long-wait');
          return step.state === 'running' ? undefined : step;
        },
        { timeoutMs: 30_000, describe: () => runners[1]!.output() },
      );
      expect(settled.state).toBe('unknown');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(readFileSync(marker, 'utf8')).toBe('ran\n');
      expect((await ops('GET', `/api/v1/runs/${runId}`)).body.run.steps.find((s: any) => s.id === 'long-wait').output.text).not.toContain('end');

      const timeline = await readTimeline(server, incident.id);
      const kinds = timeline.map((entry) => entry.kind);
      for (const kind of ['run.started', 'run.step.approval-requested', 'run.step.approved', 'run.step.started', 'run.step.succeeded', 'run.step.unknown']) {
        expect(kinds).toContain(kind);
      }
      const approved = timeline.find((entry) => entry.kind === 'run.step.approved')!;
      expect(approved.text).toContain('token:amara');
      expect(approved.text).toContain('token:priya');
      const succeeded = timeline.find((entry) => entry.kind === 'run.step.succeeded')!;
      expect(String(succeeded.data.output)).toContain('replaying');
    } finally {
      await stream.close();
    }
  }, 120_000);
});
