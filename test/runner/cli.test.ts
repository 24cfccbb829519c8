import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SignalSource } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { MASK } from '../../src/runbooks/mask.ts';
import type { Assignment, FinishReport, OutputReport } from '../../src/runbooks/protocol.ts';
import { assignment, eventually } from './helpers.ts';

const TOKEN = `fbk_${'r'.repeat(43)}`;

/** Just enough of the server side of the protocol, over real HTTP. */
class ProtocolServer {
  server!: Server;
  url = '';
  offered: Assignment[] = [];
  refuse = false;
  readonly authorizations: string[] = [];
  readonly claims: Array<{ claim: string; runner: { id: string; name: string; labels: Record<string, string> } }> = [];
  readonly outputs: OutputReport[] = [];
  readonly finishes: FinishReport[] = [];

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let text = '';
      request.setEncoding('utf8');
      request.on('data', (piece: string) => (text += piece));
      request.on('end', () => {
        this.authorizations.push(request.headers.authorization ?? '');
        const send = (status: number, body?: unknown) => {
          response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
          response.end(body === undefined ? undefined : JSON.stringify(body));
        };
        if (this.refuse) return send(401, { error: { code: 'unauthenticated', message: 'token revoked', details: null } });
        const body = JSON.parse(text) as Record<string, unknown>;
        if (request.url === '/api/v1/runner/claim') {
          this.claims.push(body as never);
          const next = this.offered.shift();
          if (next) return send(200, { assignment: next });
          return void setTimeout(() => send(204), 50);
        }
        const [, action] = /\/api\/v1\/runner\/assignments\/[^/]+\/(\w+)$/.exec(request.url ?? '') ?? [];
        if (action === 'output') this.outputs.push(body as never);
        if (action === 'finish') this.finishes.push(body as never);
        return send(200, { cancel: false, leaseUntil: Date.now() + 60_000 });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

function capture() {
  const out = { stdout: '', stderr: '' };
  const signals = new EventEmitter();
  const io = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    signals: signals as unknown as SignalSource,
  };
  return { out, signals, io };
}

let dir: string;
const protocol = new ProtocolServer();
beforeAll(() => protocol.start());
afterAll(() => new Promise<void>((resolve) => protocol.server.close(() => resolve())));
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'firebreak-runner-cli-')));
  mkdirSync(join(dir, 'work'));
  protocol.refuse = false;
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('firebreak runner', () => {
  it('claims a step over HTTP, runs it without the runner token in its environment, and stops on SIGTERM', async () => {
    const { out, signals, io } = capture();
    const step = assignment({ command: 'echo "inherited [$FIREBREAK_RUNNER_TOKEN], echoed: ${LEAK}"', env: { LEAK: TOKEN } });
    protocol.offered.push(step);
    const exit = main(['runner', '--server', protocol.url, '--labels', 'env=test,host=db1', '--labels', 'canary', '--name', 'db1-runner', '--workdir', join(dir, 'work'), '--state-dir', join(dir, 'state')], {
      ...io,
      env: { PATH: process.env.PATH, HOME: dir, FIREBREAK_RUNNER_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
      cwd: dir,
    });
    await eventually(() => expect(protocol.finishes).toHaveLength(1));
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(out.stdout).toMatch(/^Runner db1-runner \(\w+\) is waiting for steps from http:\/\/127\.0\.0\.1:\d+; labels env=test,host=db1,canary\n$/);
    expect(protocol.claims[0]!.runner).toMatchObject({ name: 'db1-runner', labels: { env: 'test', host: 'db1', canary: '' } });
    expect(new Set(protocol.authorizations)).toEqual(new Set([`Bearer ${TOKEN}`]));
    expect(protocol.outputs.flatMap((report) => report.chunks.map((chunk) => chunk.text)).join('')).toBe(`inherited [], echoed: ${MASK}\n`);
    expect(protocol.finishes[0]).toMatchObject({ exitCode: 0, lastSeq: 1 });
  });

  it('exits 5 when the server refuses the token', async () => {
    protocol.refuse = true;
    const { out, io } = capture();
    const code = await main(['runner', '--server', protocol.url, '--state-dir', join(dir, 'state'), '--workdir', dir], {
      ...io,
      env: { FIREBREAK_RUNNER_TOKEN: 'fbk_wrong', LOG_LEVEL: 'silent' },
      cwd: dir,
    });
    expect(code).toBe(5);
    expect(out.stderr).toContain('the server refused the runner (HTTP 401): token revoked');
  });

  it.each([
    [['--labels', 'Env=prod'], "label key 'Env' may hold only"],
    [['--labels', 'env=prod,env=test'], "label 'env' is given twice"],
    [['--concurrency', '0'], '--concurrency must be a whole number'],
  ])('refuses %j', async (extra, message) => {
    const { out, io } = capture();
    const code = await main(['runner', '--server', 'http://127.0.0.1:1', ...extra], { ...io, env: { FIREBREAK_RUNNER_TOKEN: 'x' }, cwd: dir });
    expect(code).toBe(2);
    expect(out.stderr).toContain(message);
  });

  it('asks for a token and a server', async () => {
    const noToken = capture();
    expect(await main(['runner', '--server', 'http://127.0.0.1:1'], { ...noToken.io, env: {}, cwd: dir })).toBe(2);
    expect(noToken.out.stderr).toContain('missing runner token: set FIREBREAK_RUNNER_TOKEN');
    const noServer = capture();
    expect(await main(['runner'], { ...noServer.io, env: { FIREBREAK_RUNNER_TOKEN: 'x' }, cwd: dir })).toBe(2);
    expect(noServer.out.stderr).toContain('missing --server URL');
  });
});
