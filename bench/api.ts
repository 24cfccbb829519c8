/**
 * API throughput and latency on each engine: one real server process
 * (`firebreak serve`), N concurrent clients over keep-alive HTTP (Node's
 * bundled undici fetch), a fixed number of requests per operation:
 *   declare: POST /api/v1/incidents            (a write: incident, SLA clocks and timers, timeline, event)
 *   list:    GET  /api/v1/incidents?limit=50   (a read of the newest page, with clocks)
 *
 *   npm run bench:api
 *   BENCH_REQUESTS=1000 BENCH_CLIENTS=8 BENCH_ENGINES=sqlite npm run bench:api   (a quicker look)
 */
import { performance } from 'node:perf_hooks';
import { ADMIN_URL, createTestDatabase, postgresReachable, type Engine } from '../test/support/database.ts';
import { PROCESS_ADMIN_TOKEN, percentile, spawnServer, type ServerProcess } from '../test/support/process.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const WARMUP = 200;
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];

interface Operation {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  expect: number;
  body?: (i: number) => unknown;
}

const OPERATIONS: Operation[] = [
  {
    name: 'declare',
    method: 'POST',
    path: '/api/v1/incidents',
    expect: 201,
    body: (i) => ({ title: `API bench incident ${i}`, severity: 'P1', services: [] }),
  },
  { name: 'list', method: 'GET', path: '/api/v1/incidents?limit=50', expect: 200 },
];

interface Result {
  engine: Engine;
  operation: string;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  firstError: string;
}

const log = (text: string) => process.stdout.write(`${text}\n`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

async function load(server: ServerProcess, operation: Operation, requests: number, label: string, engine: Engine): Promise<Result> {
  const headers: Record<string, string> = { authorization: `Bearer ${PROCESS_ADMIN_TOKEN}` };
  if (operation.body) headers['content-type'] = 'application/json';
  const latencies: number[] = [];
  let errors = 0;
  let firstError = '';
  let next = 0;
  const client = async () => {
    while (next < requests) {
      const i = next++;
      const started = performance.now();
      try {
        const response = await fetch(server.url + operation.path, {
          method: operation.method,
          headers,
          body: operation.body ? JSON.stringify(operation.body(i)) : undefined,
        });
        const text = await response.text();
        if (response.status !== operation.expect) {
          errors += 1;
          firstError ||= `${response.status} ${text.slice(0, 200)}`;
        }
      } catch (error) {
        errors += 1;
        firstError ||= String(error);
      }
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    engine,
    operation: label,
    requests,
    errors,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    firstError,
  };
}

async function benchEngine(engine: Engine): Promise<Result[]> {
  const database = await createTestDatabase(engine);
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    const results: Result[] = [];
    for (const operation of OPERATIONS) {
      // Warm-up: JIT, connection pools, prepared schema validators.
      await load(server, operation, WARMUP, 'warm-up', engine);
      const result = await load(server, operation, REQUESTS, operation.name, engine);
      log(`  ${engine} ${operation.name}: ${fmtInt(result.requests / result.seconds)} req/s`);
      results.push(result);
    }
    return results;
  } finally {
    await server?.stop();
    await database.drop();
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  log(`Firebreak API benchmark: ${CLIENTS} concurrent clients, ${fmtInt(REQUESTS)} requests per operation (after ${WARMUP} warm-up requests).`);
  log('One `firebreak serve` process per engine (LOG_LEVEL=info, as by default); the clients run in this process.');
  log('list runs after the declares, so it pages over the newest 50 of ~5,200 incidents.\n');
  const results: Result[] = [];
  const notes: string[] = [];
  for (const engine of ENGINES) {
    if (engine === 'postgres' && !(await postgresReachable())) {
      notes.push(`postgres: not measured — PostgreSQL is not reachable at ${ADMIN_URL} (set FIREBREAK_TEST_PG_URL)`);
      continue;
    }
    results.push(...(await benchEngine(engine)));
  }
  log('');
  log(
    table(
      ['engine', 'operation', 'requests', 'errors', 'req/s', 'p50', 'p99', 'max'],
      results.map((r) => [
        r.engine,
        r.operation,
        fmtInt(r.requests),
        fmtInt(r.errors),
        fmtInt(r.requests / r.seconds),
        fmtMs(r.p50),
        fmtMs(r.p99),
        fmtMs(r.max),
      ]),
    ),
  );
  for (const r of results) if (r.errors > 0) notes.push(`${r.engine} ${r.operation}: ${r.errors} failed requests, first: ${r.firstError}`);
  for (const note of notes) log(`note: ${note}`);
  if (results.some((r) => r.errors > 0)) process.exitCode = 1;
}

await main();
