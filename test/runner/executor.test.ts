import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_URL, postgresReachable } from '../support/database.ts';
import { BASE_ENV, eventually, isRunning, run, start } from './helpers.ts';

const workdir = realpathSync(mkdtempSync(join(tmpdir(), 'firebreak-executor-')));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Values that would run a command if they ever became shell text. */
function hostileValues(marker: string): Record<string, string> {
  return {
    SUBSTITUTION: `$(touch ${marker})`,
    BACKTICKS: `\`touch ${marker}\``,
    SEMICOLON: `x; touch ${marker}; rm -rf ~`,
    NEWLINE: `x\ntouch ${marker}\n`,
    QUOTES: `"'; touch ${marker}; echo '"`,
  };
}

describe('shell steps', () => {
  it('runs the command with bash in the working directory and reports the exit code', async () => {
    const ran = await run({ command: 'pwd; echo "to stderr" >&2; exit 3' }, { workdir });
    expect(ran.stdout).toBe(`${workdir}\n`);
    expect(ran.stderr).toBe('to stderr\n');
    expect(ran.outcome).toMatchObject({ exitCode: 3, signal: null, timedOut: false, cancelled: false, error: null });
  });

  it('passes parameters as environment variables on top of the base environment', async () => {
    const ran = await run({ command: 'echo "$QUEUE $LANG"', env: { QUEUE: 'orders-dlq' } }, { workdir });
    expect(ran.stdout).toBe('orders-dlq C.UTF-8\n');
  });

  it('never executes a value, quoted or not', async () => {
    const marker = join(workdir, 'pwned-shell');
    const env = hostileValues(marker);
    const command = Object.keys(env)
      .map((name) => `printf '%s|' "\${${name}}"; echo \${${name}}`)
      .join('\n');
    const ran = await run({ command, env }, { workdir });
    expect(ran.outcome.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(ran.stdout).toContain(`$(touch ${marker})|`);
    expect(ran.stdout).toContain(`x; touch ${marker}; rm -rf ~|`);
  });

  it('ignores variables from the server that the shell or the runner owns', async () => {
    const ran = await run({ command: 'echo "[$BASH_ENV][$FIREBREAK_SQL_CLIENT][$OK]"', env: { BASH_ENV: '/tmp/evil', FIREBREAK_SQL_CLIENT: 'sh', OK: 'yes' } }, { workdir });
    expect(ran.stdout).toBe('[][][yes]\n');
    expect(ran.stderr).toContain('ignored variables the runner or the shell owns: BASH_ENV, FIREBREAK_SQL_CLIENT');
  });

  it('stops the whole process group at the time limit, grandchildren included', async () => {
    const ran = await run({ command: 'sleep 1000 & echo $!; wait', timeoutMs: 300 }, { workdir });
    const grandchild = Number(ran.stdout.trim());
    expect(ran.outcome).toMatchObject({ timedOut: true, cancelled: false, exitCode: null, signal: 'SIGTERM' });
    await eventually(() => expect(isRunning(grandchild)).toBe(false));
  });

  it('kills with SIGKILL what ignores SIGTERM', async () => {
    const ran = await run({ command: "trap '' TERM; sleep 1000 & echo $!; wait", timeoutMs: 300 }, { workdir, killGraceMs: 300 });
    const grandchild = Number(ran.stdout.trim());
    expect(ran.outcome).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    await eventually(() => expect(isRunning(grandchild)).toBe(false));
  });

  it('stops a cancelled step and says so', async () => {
    const step = start({ command: 'echo started; sleep 1000' }, { workdir });
    await eventually(() => expect(step.stdout()).toBe('started\n'));
    step.execution.stop('cancel');
    const ran = await step.result;
    expect(ran.outcome).toMatchObject({ cancelled: true, timedOut: false, exitCode: null, signal: 'SIGTERM', stopReason: 'cancel' });
  });

  it('stops background jobs the command left running when it ends', async () => {
    const ran = await run({ command: 'sleep 1000 & echo $!' }, { workdir });
    expect(ran.outcome.exitCode).toBe(0);
    await eventually(() => expect(isRunning(Number(ran.stdout.trim()))).toBe(false));
  });

  it('reports a step that cannot start', async () => {
    const ran = await run({ command: 'true' }, { workdir: join(workdir, 'missing') });
    expect(ran.outcome).toMatchObject({ exitCode: null, error: expect.stringContaining('does not exist') });
    const badName = await run({ command: 'true', env: { 'A=B': 'x' } }, { workdir });
    expect(badName.outcome.error).toContain('cannot be the name of an environment variable');
  });
});

describe('sql steps', () => {
  it('writes the SQL to the client on stdin', async () => {
    const ran = await run({ kind: 'sql', command: 'SELECT 1;\n' }, { workdir, baseEnv: { ...BASE_ENV, FIREBREAK_SQL_CLIENT: 'cat' } });
    expect(ran.stdout).toBe('SELECT 1;\n');
    expect(ran.outcome.exitCode).toBe(0);
  });

  it('binds parameters as psql variables read from the environment, never as text', async () => {
    const marker = join(workdir, 'pwned-sql');
    const value = `'; DROP TABLE t; -- $(touch ${marker})`;
    const ran = await run(
      { kind: 'sql', command: "SELECT * FROM t WHERE id = ${ID} AND note LIKE '%${ID}%';", env: { ID: value } },
      { workdir, baseEnv: { ...BASE_ENV, FIREBREAK_SQL_CLIENT: 'cat; echo "[$FIREBREAK_SQL_PARAM_1]"' } },
    );
    expect(ran.stdout).toBe(`\\getenv fb_param_1 FIREBREAK_SQL_PARAM_1\nSELECT * FROM t WHERE id = :'fb_param_1' AND note LIKE ('%' || :'fb_param_1' || '%');[${value}]\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('takes the client from the runner environment only', async () => {
    const ran = await run({ kind: 'sql', command: 'SELECT 1;', env: { FIREBREAK_SQL_CLIENT: 'echo pwned' } }, { workdir, baseEnv: { ...BASE_ENV, FIREBREAK_SQL_CLIENT: 'cat' } });
    expect(ran.stdout).toBe('SELECT 1;');
  });

  it('runs against PostgreSQL with psql, a hostile value staying a value', async (context) => {
    if (!(await postgresReachable())) {
      if (process.env.CI === 'true') throw new Error('PostgreSQL is not reachable, and CI requires it');
      context.skip();
    }
    const value = "x'); SELECT pg_sleep(0); --\n$$ \\! touch /tmp/nope";
    const ran = await run(
      { kind: 'sql', command: "SELECT ${VALUE} = ${VALUE} AS same, length(${VALUE}) AS n, 'a-' || '${VALUE}' AS tagged;", env: { VALUE: value } },
      { workdir, baseEnv: { ...BASE_ENV, FIREBREAK_SQL_CLIENT: `psql -X -v ON_ERROR_STOP=1 -At -F '|' "$TEST_PG_URL"`, TEST_PG_URL: ADMIN_URL } },
    );
    expect(ran.stderr).toBe('');
    expect(ran.outcome.exitCode).toBe(0);
    expect(ran.stdout).toBe(`t|${value.length}|a-${value}\n`);
  });
});

describe('promql and http steps', () => {
  let server: Server;
  let base: string;
  const received: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (piece: string) => (body += piece));
      request.on('end', () => {
        received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end('{"status":"success","data":"é€😀"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('queries Prometheus with curl, the query in the environment and a value escaped inside its string', async () => {
    const marker = join(workdir, 'pwned-promql');
    const job = `api"} or vector(1) # $(touch ${marker})`;
    const ran = await run(
      { kind: 'promql', command: 'sum(rate(http_requests_total{job="${JOB}"}[${WINDOW}]))', env: { JOB: job, WINDOW: '5m' } },
      { workdir, baseEnv: { ...BASE_ENV, PROMETHEUS_URL: base } },
    );
    expect(ran.outcome.exitCode).toBe(0);
    expect(ran.stdout).toBe('{"status":"success","data":"é€😀"}');
    const url = new URL(received.at(-1)!.url, base);
    expect(url.pathname).toBe('/api/v1/query');
    expect(url.searchParams.get('query')).toBe(`sum(rate(http_requests_total{job="api\\"} or vector(1) # $(touch ${marker})"}[5m]))`);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a PromQL value outside quotes that is not a number, duration or name', async () => {
    const ran = await run({ kind: 'promql', command: 'rate(x[${WINDOW}])', env: { WINDOW: '5m]) or up # ' } }, { workdir, baseEnv: { ...BASE_ENV, PROMETHEUS_URL: base } });
    expect(ran.outcome).toMatchObject({ exitCode: null, error: expect.stringContaining('cannot stand outside quotes') });
  });

  it('makes an http request with fetch: values encoded for the URL, escaped for the JSON body', async () => {
    const value = 'a b&c=d/"\'$(x)\n';
    const command = [
      '# Requeue the message',
      'POST ${BASE}/queues/${QUEUE}/requeue?note=${QUEUE}',
      'Content-Type: application/json',
      'X-Request-Note: ${NOTE}',
      '',
      '{"queue": "${QUEUE}", "count": ${COUNT}}',
    ].join('\n');
    status = 201;
    const ran = await run({ kind: 'http', command, env: { BASE: base, QUEUE: value, NOTE: 'plain note', COUNT: '3' } }, { workdir });
    status = 200;
    expect(ran.outcome).toMatchObject({ exitCode: 0, error: null });
    expect(ran.stdout).toBe('HTTP 201\n{"status":"success","data":"é€😀"}');
    const request = received.at(-1)!;
    expect(request.method).toBe('POST');
    const url = new URL(request.url, base);
    expect(decodeURIComponent(url.pathname)).toBe(`/queues/${value}/requeue`);
    expect(url.searchParams.get('note')).toBe(value);
    expect(request.headers['x-request-note']).toBe('plain note');
    expect(JSON.parse(request.body)).toEqual({ queue: value, count: 3 });
  });

  it('exits 1 for an answer other than 2xx', async () => {
    status = 503;
    const ran = await run({ kind: 'http', command: `GET ${base}/health` }, { workdir });
    status = 200;
    expect(ran.outcome.exitCode).toBe(1);
    expect(ran.stdout.startsWith('HTTP 503\n')).toBe(true);
  });

  it('refuses a header value with a line break instead of sending two headers', async () => {
    const ran = await run({ kind: 'http', command: `GET ${base}/x\nX-Note: \${NOTE}`, env: { NOTE: 'a\r\nX-Admin: 1' } }, { workdir });
    expect(ran.outcome).toMatchObject({ exitCode: null, error: expect.stringContaining('line break') });
  });

  it('reports a request that gets no answer', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const ran = await run({ kind: 'http', command: `GET http://127.0.0.1:${port}/` }, { workdir });
    expect(ran.outcome).toMatchObject({ exitCode: null, error: expect.stringContaining('ECONNREFUSED') });
  });
});
