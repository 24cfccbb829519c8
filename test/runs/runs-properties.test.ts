import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/process.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const RUNBOOKS = fileURLToPath(new URL('./fixtures/runbooks/', import.meta.url));

/**
 * Hostile input at the runs API, with the embedded runner on: values that look like
 * shell code reach the command only as data, and no body makes the server fail.
 */
describe('runs under hostile input', () => {
  let t: TestServer;
  let dir: string;
  let responder: string;
  const pwned = join(tmpdir(), `firebreak-runs-pwned-${process.pid}`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-runs-props-'));
    const config = join(dir, 'firebreak.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'severities: { preset: p0-p3 }',
        'runbooks:',
        `  paths: [${JSON.stringify(RUNBOOKS)}]`,
        '  localRunner: { enabled: true, concurrency: 2 }',
        '',
      ].join('\n'),
    );
    t = await startTestServer({ configPath: config });
    responder = await t.token('responder');
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hostile = fc.oneof(
    fc.constantFrom(
      `$(touch ${pwned})`,
      `\`touch ${pwned}\``,
      `; touch ${pwned}`,
      `"; touch ${pwned}; echo "`,
      `'; touch ${pwned}; echo '`,
      `\ntouch ${pwned}\n`,
      `$((1+1)) \${HOME} $HOME * ?`,
      `| touch ${pwned}`,
      `&& touch ${pwned}`,
      `> ${pwned}`,
    ),
    fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => s.replaceAll('\0', '')),
  );

  it('passes parameter values through as data, never as code', async () => {
    let index = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async (value) => {
        const out = join(dir, `out-${index++}.txt`);
        const created = await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', scenario: 'A', params: { MESSAGE_ID: value, OUT_FILE: out } }, responder);
        expect(created.status).toBe(201);
        const runId = created.body.run.id;
        expect((await t.api('POST', `/api/v1/runs/${runId}/steps/scenario-a-1/start`, {}, responder)).status).toBe(200);
        expect((await t.api('POST', `/api/v1/runs/${runId}/steps/scenario-a-1/approve`, {})).status).toBe(200);
        const step = await waitUntil(
          async () => {
            const found = (await t.api('GET', `/api/v1/runs/${runId}`)).body.run.steps.find((s: any) => s.id === 'scenario-a-1');
            return ['succeeded', 'failed', 'unknown'].includes(found.state) ? found : undefined;
          },
          { timeoutMs: 20_000 },
        );
        expect(step.state).toBe('succeeded');
        expect(readFileSync(out, 'utf8')).toBe(`${value}\n`);
        expect(existsSync(pwned)).toBe(false);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('queue-replay', 'A', 'scenario-b', '../../etc/passwd', '%00', '$(id)'));
  const anyValue = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 }));

  it('answers every body for runs and step actions with a 2xx or a 4xx envelope', async () => {
    const run = (await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay' }, responder)).body.run;
    const paths = [
      '/api/v1/runs',
      `/api/v1/runs/${run.id}/cancel`,
      ...['start', 'approve', 'reject', 'skip', 'retry', 'cancel', 'answer', 'complete', 'explode'].map((a) => `/api/v1/runs/${run.id}/steps/verification-2/${a}`),
      '/api/v1/runner/claim',
      '/api/v1/runner/assignments/01ARZ3NDEKTSV4RRFFQ69G5FAV/output',
      '/api/v1/runner/assignments/01ARZ3NDEKTSV4RRFFQ69G5FAV/finish',
    ];
    const body = fc.dictionary(
      fc.constantFrom('runbook', 'scenario', 'incident', 'params', 'dryRun', 'comment', 'decision', 'answer', 'outcome', 'chunks', 'exitCode', 'runner', 'claim', 'extra'),
      anyValue,
      { maxKeys: 6 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), body, async (path, sent) => {
        const response = await t.api('POST', path, sent, responder);
        expect(response.status, JSON.stringify({ path, sent, body: response.body })).toBeLessThan(500);
        if (response.status >= 400) expect(typeof response.body.error.code).toBe('string');
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
