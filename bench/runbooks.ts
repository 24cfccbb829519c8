/**
 * Runbook overhead: what Firebreak adds to each step it runs, and how long the
 * shared runbooks file takes to read.
 *
 * Parse: `parseRunbookFile` on examples/runbooks/music-platform-runbooks.md (the
 * shared playbook's nine runbooks), BENCH_PARSES times after a warm-up; p50/p99/mean.
 *
 * Step overhead, per engine (SQLite in a temporary directory; PostgreSQL in a fresh
 * database when reachable): one server in this process with the embedded local
 * runner, a generated runbook of BENCH_RUN_STEPS steps (20, the size of a real one)
 * that each run `true`, and runs of it without an incident (so no approval), a new run
 * after every BENCH_RUN_STEPS steps until BENCH_STEPS steps have run. Each step is started through the HTTP API
 * (POST …/steps/:id/start) and timed until its `succeeded` event arrives; the same
 * number of `bash -c true` processes, spawned directly from the same process as a runner
 * spawns them (own process group, output through pipes) and timed until their pipes
 * close, is the baseline. Overhead per step = p50(step) − p50(bash), also at p99. Goal: under 20 ms
 * per step at p50 on the local runner.
 *
 *   npm run bench:runbooks
 *   BENCH_STEPS=50 BENCH_ENGINES=sqlite npm run bench:runbooks   (a quicker look)
 *
 * Environment: BENCH_STEPS (200), BENCH_RUN_STEPS (20), BENCH_PARSES (200), BENCH_ENGINES (sqlite,postgres).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseRunbookFile } from '../src/runbooks/index.ts';
import { startServer } from '../src/runtime/index.ts';
import { createTestDatabase, postgresReachable, type Engine } from '../test/support/database.ts';
import { percentile as sortedPercentile } from '../test/support/process.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 200);
/** Steps per run: the shared playbook's runbooks have 4 to 25 steps each. */
const RUN_STEPS = Number(process.env.BENCH_RUN_STEPS ?? 20);
const PARSES = Number(process.env.BENCH_PARSES ?? 200);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const GOAL_MS = 20;
const TOKEN = 'fbk_bench_runbooks_admin_token_000';
const SHARED = fileURLToPath(new URL('../examples/runbooks/music-platform-runbooks.md', import.meta.url));

const percentile = (values: readonly number[], p: number) => sortedPercentile([...values].sort((a, b) => a - b), p);
const log = (text: string) => process.stdout.write(`${text}\n`);
const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

function benchParse(): void {
  const text = readFileSync(SHARED, 'utf8');
  for (let i = 0; i < 20; i++) parseRunbookFile(text, SHARED);
  const times: number[] = [];
  let runbooks = 0;
  let steps = 0;
  for (let i = 0; i < PARSES; i++) {
    const started = performance.now();
    const file = parseRunbookFile(text, SHARED);
    times.push(performance.now() - started);
    runbooks = file.runbooks.length;
    steps = file.runbooks.reduce((sum, r) => sum + r.steps.length, 0);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  log(`parse ${Math.round(text.length / 1024)} KB (${runbooks} runbooks, ${steps} steps), ${PARSES} times: p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}, mean ${ms(mean)}`);
}

function bashTrue(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // As a runner runs it: its own process group, output read through pipes until they close.
    const child = spawn('bash', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('error', reject);
    child.stdout.resume();
    child.stderr.resume();
    child.on('close', () => resolve(performance.now() - started));
  });
}

function writeConfig(dir: string): string {
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  const fences = Array.from({ length: RUN_STEPS }, (_, i) => `\`\`\`bash {"name":"step-${i + 1}"}\ntrue\n\`\`\`\n`).join('\n');
  writeFileSync(join(dir, 'runbooks', 'bench.md'), `# Bench\n\n## Steps\n\n${fences}`);
  const config = join(dir, 'firebreak.yaml');
  writeFileSync(
    config,
    ['version: 1', 'severities: { preset: p0-p3 }', 'runbooks:', '  paths: [runbooks/]', '  localRunner: { enabled: true, concurrency: 1 }', ''].join('\n'),
  );
  return config;
}

async function benchSteps(engine: Engine): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-runbooks-'));
  const database = await createTestDatabase(engine);
  const server = await startServer({
    configPath: writeConfig(dir),
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
    port: 0,
    bootstrapToken: TOKEN,
    logLevel: 'warn',
  });
  const api = async (method: string, path: string, body?: unknown): Promise<{ run: { id: string } }> => {
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { run: { id: string } };
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const waiting = new Map<string, (at: number) => void>();
    const unsubscribe = server.services.events.subscribe((event) => {
      if (event.type !== 'run.step') return;
      const key = `${String(event.data.runId)}/${String(event.data.stepId)}`;
      if (event.data.state === 'succeeded') waiting.get(key)?.(performance.now());
      if (event.data.state === 'failed') log(`  step ${key} failed`);
    });
    const stepTimes: number[] = [];
    let runId = '';
    for (let i = 0; i < STEPS; i++) {
      // A run of the size of a real runbook: a new one every RUN_STEPS steps.
      if (i % RUN_STEPS === 0) runId = (await api('POST', '/api/v1/runs', { runbook: 'bench' })).run.id;
      const id = `step-${(i % RUN_STEPS) + 1}`;
      const done = new Promise<number>((resolve) => waiting.set(`${runId}/${id}`, resolve));
      const started = performance.now();
      await api('POST', `/api/v1/runs/${runId}/steps/${id}/start`, {});
      stepTimes.push((await done) - started);
    }
    unsubscribe();
    const bashTimes: number[] = [];
    for (let i = 0; i < STEPS; i++) bashTimes.push(await bashTrue());
    const overhead50 = percentile(stepTimes, 50) - percentile(bashTimes, 50);
    const overhead99 = percentile(stepTimes, 99) - percentile(bashTimes, 99);
    log(
      `${engine.padEnd(8)} ${STEPS} steps: step p50 ${ms(percentile(stepTimes, 50))} p99 ${ms(percentile(stepTimes, 99))} | ` +
        `bash -c true p50 ${ms(percentile(bashTimes, 50))} p99 ${ms(percentile(bashTimes, 99))} | ` +
        `overhead p50 ${ms(overhead50)} p99 ${ms(overhead99)} | goal < ${GOAL_MS} ms: ${overhead50 < GOAL_MS ? 'met' : 'NOT met'}`,
    );
  } finally {
    await server.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

log(`bench:runbooks — ${cpus().length} cores, load ${loadavg().map((n) => n.toFixed(1)).join(' ')}, node ${process.version}`);
benchParse();
for (const engine of ENGINES) {
  if (engine === 'postgres' && !(await postgresReachable())) {
    log('postgres unreachable: skipped');
    continue;
  }
  await benchSteps(engine);
}
