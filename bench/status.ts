/**
 * Status page throughput: how many requests per second does one Firebreak
 * process answer for the public status page, against a plain static file
 * served by Node's own `http` module on the same machine, in the same run?
 *
 * For each engine (SQLite in a temporary directory; PostgreSQL in a fresh
 * database when reachable), the database is given a history of 1,000 past
 * incidents over 90 days (each with an internal and a public update and its
 * resolution on the timeline; severities P0–P3 in turn), written through the
 * repositories so that no paging or outbox work from the seeding runs during
 * the measurement. Then one `firebreak serve` child process (LOG_LEVEL=info,
 * the example configuration) starts on it and gets, through its API, 2 open
 * public incidents and a scheduled maintenance. The same client (BENCH_CLIENTS
 * concurrent keep-alive connections, Node's bundled undici fetch, in this
 * process) loads each of these for BENCH_SECONDS in all, after a warm-up, in
 * one-second turns that alternate Firebreak and the reference (so that the
 * load of other work on the machine falls on both alike):
 *   firebreak /status                       (HTML, rendered once per change and served from memory)
 *   static    /status                       (the same bytes in a file: node:http, fs.stat + fs.createReadStream per request)
 *   firebreak /status/api/v2/summary.json
 *   static    /status/api/v2/summary.json   (likewise)
 * The static reference runs in a child process of its own, as the server does.
 * Both answer uncompressed (Accept-Encoding: identity), so both send the same
 * bytes; to real browsers Firebreak sends a copy gzipped once per change.
 * Goal: Firebreak answers at least half the static file's requests per second,
 * for both paths. Also printed: the first answer after a change (a public update
 * posted: the page is read from the database and rendered again).
 *
 *   npm run bench:status
 *   BENCH_SECONDS=3 BENCH_ENGINES=sqlite npm run bench:status   (a quicker look)
 *
 * Environment: BENCH_ENGINES (sqlite,postgres), BENCH_INCIDENTS (1000), BENCH_CLIENTS (32), BENCH_SECONDS (6).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ADMIN_URL, createTestDatabase, postgresReachable, type Engine } from '../test/support/database.ts';
import { createIdGenerator } from '../src/core/ids.ts';
import { Store, type IncidentRecord, type TimelineEntry } from '../src/store/index.ts';
import { closeStore, expectStatus, percentile, spawnServer, type ServerProcess } from '../test/support/process.ts';

const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 1000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const TURN_SECONDS = 1;
const WARMUP_SECONDS = 1;
const DAY = 86_400_000;
const GOAL_RATIO = 0.5;
const PATHS = ['/status', '/status/api/v2/summary.json'];
const SEVERITIES = ['P0', 'P1', 'P2', 'P3'];
const SERVICES = ['rest-api', 'graph-api', 'postgres', 'redis', 'rabbitmq', 'metadata-enrichment'];

const log = (text: string) => process.stdout.write(`${text}\n`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

// The reference: the smallest honest static file server on node:http.
const STATIC_SERVER = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
const root = process.argv[1];
const types = { '.html': 'text/html; charset=utf-8', '.json': 'application/json; charset=utf-8' };
const server = http.createServer((req, res) => {
  const file = path.join(root, req.url === '/status' ? 'status.html' : path.basename(req.url));
  fs.stat(file, (error, stat) => {
    if (error) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'content-length': stat.size });
    fs.createReadStream(file).pipe(res);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

interface StaticServer {
  url: string;
  stop(): Promise<void>;
}

async function startStaticServer(root: string): Promise<StaticServer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', STATIC_SERVER, root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`static server exited with ${code}`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The past: incidents as Firebreak would have stored them, written directly, oldest first. */
async function seedHistory(store: Store): Promise<void> {
  const now = Date.now();
  const span = 90 * DAY;
  for (let first = 0; first < INCIDENTS; first += 100) {
    await store.transaction(async (tx) => {
      for (let i = first; i < Math.min(INCIDENTS, first + 100); i++) {
        const declaredAt = now - span + Math.floor((i * span) / INCIDENTS);
        const service = SERVICES[i % SERVICES.length]!;
        const resolvedAt = declaredAt + 45 * 60_000;
        const incident: IncidentRecord = {
          id: createIdGenerator({ now: () => declaredAt })(),
          title: `Past incident ${i}: ${service} errors`,
          summary: 'internal notes',
          severity: SEVERITIES[i % SEVERITIES.length]!,
          status: 'resolved',
          services: [service, SERVICES[(i + 1) % SERVICES.length]!],
          roles: { commander: 'amara' },
          declaredAt,
          declaredBy: 'token:bench',
          acknowledgedAt: declaredAt + 60_000,
          acknowledgedBy: 'token:bench',
          identifiedAt: null,
          mitigatedAt: null,
          resolvedAt,
          closedAt: null,
          lastUpdateAt: declaredAt + 10 * 60_000,
          updatedAt: resolvedAt,
          version: 4,
        };
        await tx.incidents.insert(incident);
        const entry = (at: number, kind: string, text: string, data: Record<string, unknown>): TimelineEntry => ({
          id: createIdGenerator({ now: () => at })(),
          incidentId: incident.id,
          at,
          actor: 'token:bench',
          kind,
          text,
          data,
        });
        for (const e of [
          entry(declaredAt + 5 * 60_000, 'update', `Internal: restarting pods on node-${i % 7}`, { public: false }),
          entry(declaredAt + 10 * 60_000, 'update', `We are investigating errors on ${service}.`, { public: true }),
          entry(resolvedAt, 'status', 'Status changed from investigating to resolved', { from: 'investigating', to: 'resolved' }),
        ]) {
          await tx.timeline.append(e);
        }
      }
    });
  }
}

async function seedPresent(server: ServerProcess): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const open = await expectStatus(server, 201, 'POST', '/api/v1/incidents', { title: `Open incident ${i}`, severity: 'P1', services: [SERVICES[i]] });
    await expectStatus(server, 201, 'POST', `/api/v1/incidents/${open.body.id}/updates`, { message: 'We are looking into it.', public: true });
  }
  const hour = 3_600_000;
  await expectStatus(server, 201, 'POST', '/api/v1/status/maintenances', {
    title: 'Database upgrade',
    body: 'Writes pause for up to five minutes.',
    components: ['postgres'],
    scheduledFor: new Date(Date.now() + 24 * hour).toISOString(),
    scheduledUntil: new Date(Date.now() + 26 * hour).toISOString(),
  });
}

interface Load {
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
  firstError: string;
}

async function load(url: string, seconds: number): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError = '';
  const deadline = performance.now() + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        // The same bytes from both servers: Firebreak would otherwise answer fetch's default Accept-Encoding with gzip.
        const response = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
        await response.arrayBuffer();
        if (response.status !== 200) {
          errors += 1;
          firstError ||= `HTTP ${response.status}`;
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
  return { requests: latencies.length, errors, seconds: (performance.now() - began) / 1000, latencies, firstError };
}

const merge = (a: Load, b: Load): Load => ({
  requests: a.requests + b.requests,
  errors: a.errors + b.errors,
  seconds: a.seconds + b.seconds,
  latencies: a.latencies.concat(b.latencies),
  firstError: a.firstError || b.firstError,
});

/** Alternating turns, so that whatever else the machine does weighs on both alike. */
async function compare(firebreakUrl: string, referenceUrl: string): Promise<{ firebreak: Load; reference: Load }> {
  const empty = (): Load => ({ requests: 0, errors: 0, seconds: 0, latencies: [], firstError: '' });
  let firebreak = empty();
  let reference = empty();
  for (let turn = 0; turn < Math.max(1, Math.round(SECONDS / TURN_SECONDS)); turn++) {
    firebreak = merge(firebreak, await load(firebreakUrl, TURN_SECONDS));
    reference = merge(reference, await load(referenceUrl, TURN_SECONDS));
  }
  firebreak.latencies.sort((a, b) => a - b);
  reference.latencies.sort((a, b) => a - b);
  return { firebreak, reference };
}

interface Row {
  engine: Engine;
  path: string;
  firebreak: Load;
  reference: Load;
}

async function benchEngine(engine: Engine): Promise<{ rows: Row[]; rebuildMs: number[]; seedSeconds: number; bytes: Record<string, number> }> {
  const database = await createTestDatabase(engine);
  const files = join(tmpdir(), `firebreak-bench-status-${process.pid}-${engine}`);
  let server: ServerProcess | undefined;
  let reference: StaticServer | undefined;
  try {
    const seedStarted = performance.now();
    const store = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      await seedHistory(store);
    } finally {
      await closeStore(store, undefined);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    await seedPresent(server);

    // The first answer after a change reads the history from the database and renders it again.
    const rebuildMs: number[] = [];
    const open = await expectStatus(server, 200, 'GET', '/api/v1/incidents?status=investigating&limit=1');
    for (let i = 0; i < 5; i++) {
      await expectStatus(server, 201, 'POST', `/api/v1/incidents/${open.body.items[0].id}/updates`, { message: `Still looking (${i}).`, public: true });
      const started = performance.now();
      const response = await fetch(server.url + '/status');
      await response.text();
      rebuildMs.push(performance.now() - started);
    }

    mkdirSync(files, { recursive: true });
    const bytes: Record<string, number> = {};
    for (const path of PATHS) {
      const body = Buffer.from(await (await fetch(server.url + path, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
      bytes[path] = body.length;
      writeFileSync(join(files, path === '/status' ? 'status.html' : 'summary.json'), body);
    }
    reference = await startStaticServer(files);
    const referenceUrl = (path: string) => reference!.url + (path === '/status' ? '/status' : '/summary.json');

    const rows: Row[] = [];
    for (const path of PATHS) {
      await load(server.url + path, WARMUP_SECONDS);
      await load(referenceUrl(path), WARMUP_SECONDS);
      const { firebreak, reference: ref } = await compare(server.url + path, referenceUrl(path));
      log(`  ${engine} ${path}: firebreak ${fmtInt(firebreak.requests / firebreak.seconds)} req/s, static file ${fmtInt(ref.requests / ref.seconds)} req/s`);
      rows.push({ engine, path, firebreak, reference: ref });
    }
    return { rows, rebuildMs, seedSeconds, bytes };
  } finally {
    await reference?.stop();
    await server?.stop();
    await database.drop();
    rmSync(files, { recursive: true, force: true });
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  log(`Firebreak status page benchmark: ${fmtInt(INCIDENTS)} past incidents, ${CLIENTS} concurrent keep-alive clients, ${SECONDS} s per measurement.`);
  log(`Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; client, server and reference share them.\n`);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const engine of ENGINES) {
    if (engine === 'postgres' && !(await postgresReachable())) {
      notes.push(`postgres: not measured — PostgreSQL is not reachable at ${ADMIN_URL} (set FIREBREAK_TEST_PG_URL)`);
      continue;
    }
    const result = await benchEngine(engine);
    rows.push(...result.rows);
    const sorted = [...result.rebuildMs].sort((a, b) => a - b);
    notes.push(
      `${engine}: ${fmtInt(INCIDENTS)} past incidents written in ${result.seedSeconds.toFixed(1)} s; first /status after a public update ` +
        `(read and render again): median ${fmtMs(percentile(sorted, 50))}, max ${fmtMs(sorted.at(-1)!)}; ` +
        `bodies ${Object.entries(result.bytes).map(([p, b]) => `${p} ${fmtInt(b)} B`).join(', ')}`,
    );
  }
  log('');
  const rate = (l: Load) => l.requests / l.seconds;
  log(
    table(
      ['engine', 'path', 'server', 'req/s', 'p50', 'p99', 'errors', 'vs static'],
      rows.flatMap((r) => [
        [r.engine, r.path, 'firebreak', fmtInt(rate(r.firebreak)), fmtMs(percentile(r.firebreak.latencies, 50)), fmtMs(percentile(r.firebreak.latencies, 99)), fmtInt(r.firebreak.errors), `${((100 * rate(r.firebreak)) / rate(r.reference)).toFixed(0)}%`],
        [r.engine, r.path, 'static file', fmtInt(rate(r.reference)), fmtMs(percentile(r.reference.latencies, 50)), fmtMs(percentile(r.reference.latencies, 99)), fmtInt(r.reference.errors), '100%'],
      ]),
    ),
  );
  log('');
  for (const note of notes) log(`note: ${note}`);
  for (const r of rows) {
    for (const [who, l] of [['firebreak', r.firebreak], ['static', r.reference]] as const) {
      if (l.errors > 0) log(`note: ${r.engine} ${who} ${r.path}: ${l.errors} failed requests, first: ${l.firstError}`);
    }
  }
  const met = rows.length > 0 && rows.every((r) => rate(r.firebreak) >= GOAL_RATIO * rate(r.reference));
  log(`\nGoal (at least ${GOAL_RATIO * 100}% of the static file's requests/s on every path and engine): ${met ? 'met' : 'NOT met'}.`);
  if (!met || rows.some((r) => r.firebreak.errors + r.reference.errors > 0)) process.exitCode = 1;
}

await main();
