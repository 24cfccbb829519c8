import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MASK } from '../../src/runbooks/mask.ts';
import { ASSIGNMENT_ENV, RESTARTED_WHILE_RUNNING, RunnerAgent, RunnerRejectedError, type RunnerAgentOptions, type RunnerLogger } from '../../src/runner/index.ts';
import { FakeTransport } from './fake-transport.ts';
import { assignment, BASE_ENV, eventually, isRunning } from './helpers.ts';

const quiet: RunnerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let dir: string;
let workdir: string;
let stateDir: string;
const agents: RunnerAgent[] = [];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'firebreak-agent-')));
  workdir = join(dir, 'work');
  stateDir = join(dir, 'state');
  mkdirSync(workdir);
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop({ kill: true })));
  rmSync(dir, { recursive: true, force: true });
});

function agentFor(transport: FakeTransport, options: Partial<RunnerAgentOptions> = {}): RunnerAgent {
  const agent = new RunnerAgent({
    transport,
    identity: { name: 'test-runner', labels: { env: 'test' } },
    workdir,
    stateDir,
    logger: quiet,
    env: BASE_ENV,
    retry: { initialMs: 1, maxMs: 5 },
    killGraceMs: 500,
    claimWaitMs: 50,
    flushIntervalMs: 10,
    ...options,
  });
  agents.push(agent);
  return agent;
}

const assignmentFiles = () => readdirSync(join(stateDir, 'assignments'));

describe('RunnerAgent', () => {
  it('delivers output complete, in order and once, and the result once, over a network that fails every other call', async () => {
    const transport = new FakeTransport();
    transport.flaky = true;
    transport.loseClaimAnswers = true;
    const step = assignment({
      command: 'echo run >> runs.log; for i in $(seq 1 3000); do echo "line $i"; done; echo "oops" >&2; exit 2',
      heartbeatMs: 20,
    });
    transport.offer(step);
    const agent = agentFor(transport);
    await agent.start();
    await eventually(() => expect(transport.finishOf(step.id)).toBeDefined());
    await agent.stop();

    // The answer to the claim that handed the step out was lost; the retry reused its claim id.
    const handedOutBy = [...transport.handedOut.entries()].find(([, handed]) => handed.id === step.id)![0];
    expect(transport.claimRequests.filter((request) => request.claim === handedOutBy).length).toBeGreaterThanOrEqual(2);
    expect(transport.handedOut.size).toBe(1);
    expect(readFileSync(join(workdir, 'runs.log'), 'utf8')).toBe('run\n');

    const chunks = transport.storedOutput(step.id);
    expect(chunks.map((chunk) => chunk.seq)).toEqual(chunks.map((_, index) => index + 1));
    const stdout = chunks.filter((chunk) => chunk.stream === 'stdout').map((chunk) => chunk.text).join('');
    const stderr = chunks.filter((chunk) => chunk.stream === 'stderr').map((chunk) => chunk.text).join('');
    expect(stdout).toBe(Array.from({ length: 3000 }, (_, index) => `line ${index + 1}\n`).join(''));
    expect(stderr).toBe('oops\n');

    // A failed report was sent again unchanged.
    const failed = transport.outputAttempts.filter((attempt) => attempt.failed);
    expect(failed.length).toBeGreaterThan(0);
    for (const attempt of failed) {
      const index = transport.outputAttempts.indexOf(attempt);
      expect(transport.outputAttempts[index + 1]?.report).toEqual(attempt.report);
    }

    expect(transport.finishes.get(step.id)).toHaveLength(1);
    expect(transport.finishOf(step.id)).toMatchObject({ exitCode: 2, signal: null, timedOut: false, cancelled: false, error: null, lastSeq: chunks.length });
    expect(assignmentFiles()).toEqual([]);
  });

  it('masks secret values and secret environment variables before output leaves the agent', async () => {
    const transport = new FakeTransport();
    const step = assignment({
      command: 'echo "db: $DB_PASSWORD"; echo "param: $TICKET"; printf "split: %s" "${DB_PASSWORD:0:6}"; sleep 0.2; echo "${DB_PASSWORD:6}"',
      env: { TICKET: 'server-known-secret' },
      secretEnv: ['DB_PASSWORD'],
      secretValues: ['server-known-secret'],
    });
    transport.offer(step);
    const agent = agentFor(transport, { env: { ...BASE_ENV, DB_PASSWORD: 'runner-only-password' } });
    await agent.start();
    await eventually(() => expect(transport.finishOf(step.id)).toBeDefined());
    const text = transport.storedOutput(step.id).map((chunk) => chunk.text).join('');
    expect(text).toBe(`db: ${MASK}\nparam: ${MASK}\nsplit: ${MASK}\n`);
    expect(JSON.stringify(transport.outputAttempts)).not.toContain('runner-only');
  });

  it('stops a step the server cancels and reports it cancelled', async () => {
    const transport = new FakeTransport();
    const step = assignment({ command: 'echo started; sleep 1000', heartbeatMs: 20 });
    transport.offer(step);
    const agent = agentFor(transport);
    await agent.start();
    await eventually(() => expect(transport.storedOutput(step.id).length).toBeGreaterThan(0));
    transport.cancelled.add(step.id);
    await eventually(() => expect(transport.finishOf(step.id)).toBeDefined());
    expect(transport.finishOf(step.id)).toMatchObject({ cancelled: true, timedOut: false, exitCode: null, signal: 'SIGTERM', lastSeq: 1 });
  });

  it('reports a step that ran out of time', async () => {
    const transport = new FakeTransport();
    const step = assignment({ command: 'sleep 1000', timeoutMs: 100 });
    transport.offer(step);
    await agentFor(transport).start();
    await eventually(() => expect(transport.finishOf(step.id)).toBeDefined());
    expect(transport.finishOf(step.id)).toMatchObject({ timedOut: true, cancelled: false, signal: 'SIGTERM', lastSeq: 0 });
  });

  it('stops and forgets a step whose assignment is gone', async () => {
    const transport = new FakeTransport();
    const step = assignment({ command: 'echo $$; sleep 1000', heartbeatMs: 20 });
    transport.offer(step);
    await agentFor(transport).start();
    await eventually(() => expect(transport.storedOutput(step.id).length).toBe(1));
    const pid = Number(transport.storedOutput(step.id)[0]!.text.trim());
    transport.gone.add(step.id);
    await eventually(() => expect(isRunning(pid)).toBe(false));
    await eventually(() => expect(assignmentFiles()).toEqual([]));
    expect(transport.finishes.has(step.id)).toBe(false);
  });

  it('after a crash, stops the leftover process group, reports the step abandoned and never runs it again', async () => {
    const transport = new FakeTransport();
    const leftover = assignment({ command: 'touch rerun-marker' });
    // What a crashed agent leaves: its process group still running, and the state file.
    const crashed = spawn('bash', ['-c', 'sleep 1000 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...BASE_ENV, [ASSIGNMENT_ENV]: leftover.id },
    });
    const grandchild = await new Promise<number>((resolve) => crashed.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
    crashed.unref();
    mkdirSync(join(stateDir, 'assignments'), { recursive: true });
    writeFileSync(join(stateDir, 'runner.json'), JSON.stringify({ id: 'runner-from-before' }));
    writeFileSync(
      join(stateDir, 'assignments', `${leftover.id}.json`),
      JSON.stringify({ assignmentId: leftover.id, runId: leftover.runId, stepId: leftover.stepId, pid: crashed.pid, pgid: crashed.pid, startedAt: 0, bootId: null }),
    );
    // And a server that offers the step once more.
    transport.offer(leftover);
    transport.flaky = true;

    const agent = agentFor(transport);
    await agent.start();
    expect(agent.runner?.id).toBe('runner-from-before');
    await eventually(() => expect(isRunning(grandchild)).toBe(false));
    expect(isRunning(crashed.pid!)).toBe(false);
    await eventually(() => expect(transport.abandons.filter((entry) => entry.assignmentId === leftover.id).length).toBe(2));
    expect(transport.abandons[0]!.report.reason).toBe(RESTARTED_WHILE_RUNNING);
    await eventually(() => expect(assignmentFiles()).toEqual([]));
    await agent.stop();
    expect(existsSync(join(workdir, 'rerun-marker'))).toBe(false);
    expect(transport.finishes.size).toBe(0);
  });

  it('leaves a process group alone when none of its processes is the leftover step', async () => {
    const transport = new FakeTransport();
    const stranger = spawn('bash', ['-c', 'sleep 1000'], { detached: true, stdio: 'ignore', env: BASE_ENV });
    stranger.unref();
    try {
      mkdirSync(join(stateDir, 'assignments'), { recursive: true });
      writeFileSync(
        join(stateDir, 'assignments', 'asg_old.json'),
        JSON.stringify({ assignmentId: 'asg_old', runId: 'r', stepId: 's', pid: stranger.pid, pgid: stranger.pid, startedAt: 0, bootId: null }),
      );
      await agentFor(transport).start();
      await eventually(() => expect(transport.abandons.map((entry) => entry.assignmentId)).toEqual(['asg_old']));
      expect(isRunning(stranger.pid!)).toBe(true);
    } finally {
      process.kill(-stranger.pid!, 'SIGKILL');
    }
  });

  it('keeps its runner id across restarts', async () => {
    const transport = new FakeTransport();
    const first = agentFor(transport);
    await first.start();
    await first.stop();
    const second = agentFor(transport);
    await second.start();
    expect(second.runner?.id).toBe(first.runner?.id);
    expect(transport.claimRequests.at(-1)?.runner).toMatchObject({ id: first.runner?.id, name: 'test-runner', labels: { env: 'test' } });
  });

  it('stops by itself when the server refuses its token', async () => {
    const transport = new FakeTransport();
    transport.reject = true;
    const agent = agentFor(transport);
    await agent.start();
    const stopped = await agent.stopped;
    expect(stopped.fatal).toBeInstanceOf(RunnerRejectedError);
  });

  it('on stop, claims nothing more and waits for the running step and its report', async () => {
    const transport = new FakeTransport();
    const step = assignment({ command: 'echo begin; sleep 0.3; echo end' });
    transport.offer(step);
    const agent = agentFor(transport);
    await agent.start();
    await eventually(() => expect(transport.storedOutput(step.id).length).toBeGreaterThan(0));
    await agent.stop();
    expect(transport.finishOf(step.id)).toMatchObject({ exitCode: 0 });
    expect(transport.storedOutput(step.id).map((chunk) => chunk.text).join('')).toBe('begin\nend\n');
    const claims = transport.claimRequests.length;
    transport.offer(assignment({ command: 'true' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(transport.claimRequests.length).toBe(claims);
  });

  it('runs steps side by side up to its concurrency', async () => {
    const transport = new FakeTransport();
    const steps = [1, 2, 3].map((n) => assignment({ command: `touch started-${n}; while [ ! -e release ]; do sleep 0.05; done` }));
    for (const step of steps) transport.offer(step);
    await agentFor(transport, { concurrency: 2 }).start();
    await eventually(() => expect(['started-1', 'started-2'].every((name) => existsSync(join(workdir, name)))).toBe(true));
    expect(existsSync(join(workdir, 'started-3'))).toBe(false);
    writeFileSync(join(workdir, 'release'), '');
    await eventually(() => expect(steps.every((step) => transport.finishOf(step.id)?.exitCode === 0)).toBe(true));
  });
});
