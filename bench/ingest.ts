/**
 * Alert ingest throughput and latency, against a real Alertmanager as the reference.
 *
 * For each engine (SQLite in a temporary directory; PostgreSQL in a fresh
 * database when reachable) and each request size (1 and 100 alerts per
 * request), one fresh `firebreak serve` child process takes Alertmanager
 * webhooks (v4) from 16 concurrent keep-alive clients: 100,000 alerts in total
 * over 10,000 distinct identities (alert k is identity k mod 10,000, so the
 * first 10,000 are new alerts that join 50 incidents and the rest are repeats).
 * The same alerts, as JSON arrays of 1 and of 100, go to a fresh Debian
 * Alertmanager (`POST /api/v2/alerts`, route `group_by: ['...']`, a receiver
 * with no integrations, so it only ingests, dedups and groups). Reported:
 * alerts/s over the load phase, p50/p99 response time per request, the
 * server's peak RSS (VmHWM of its pid; the PostgreSQL server's own memory is
 * not counted), and Firebreak/Alertmanager.
 *
 * Latency probe: Firebreak on SQLite, 10,000 identities loaded first, then
 * single-alert webhooks paced at 1,000 alerts/s (open loop: each request goes
 * at its scheduled time, whatever the earlier ones are doing) for 15 s, 90 %
 * repeats and 10 % new identities. The goal is on the p99 the clients see;
 * beside it, the server's own view of the same 15 s, from its /metrics: the
 * p99 of its request durations (a histogram bucket's bound) and its longest
 * event-loop stall. They tell time spent in the server from time spent around
 * it (connections the clients open after a hiccup, waiting for a CPU on a busy
 * machine).
 *
 * The client is the same for every system and kept cheap, because on a small
 * machine it competes with the server for the CPUs: every request of a load
 * phase is built (HTTP head and body, as bytes) before the phase starts, and
 * each of the 16 clients is one keep-alive socket that writes those bytes and
 * reads just enough of the answer to know its status and where it ends (no
 * pipelining: one request at a time per socket). BENCH_CLIENT=node uses
 * node:http's client instead (what earlier runs of this benchmark used; it
 * costs the client about three times the CPU per request).
 *
 * The ceilings: a node:http server that reads each body, parses it as JSON and
 * answers at once, and a Fastify server that does the same with Fastify's
 * default JSON parsing, each in a child process, take the same Firebreak
 * webhooks from the same client. No Node server (no Fastify server) can answer
 * faster than that on this machine, so their ratios to Alertmanager bound
 * what Firebreak's could be.
 *
 * Before each load phase, a warm-up that is not timed: 10,000 alerts over
 * 1,000 identities of their own (new alerts, then repeats of them), so that
 * every system runs the timed phase with both paths compiled and cached. Each
 * load phase stops at its alert count or after BENCH_MAX_SECONDS, so the
 * whole run stays near five minutes; a capped phase says so.
 *
 *   npm run bench:ingest
 *   BENCH_ALERTS=20000 BENCH_MAX_SECONDS=15 BENCH_ENGINES=sqlite npm run bench:ingest   (a quicker look)
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:ingest   (profile each Firebreak server; prints its hot spots)
 *
 * Environment: BENCH_ALERTS (100000), BENCH_IDENTITIES (10000), BENCH_CLIENTS (16),
 * BENCH_BATCHES (1,100), BENCH_ENGINES (sqlite,postgres), BENCH_MAX_SECONDS (40),
 * BENCH_PROBE_RATE (1000), BENCH_PROBE_SECONDS (15), BENCH_ALERTMANAGER (1; 0 skips the reference),
 * BENCH_CEILING (1; 0 skips the ceilings), BENCH_CLIENT (lean; node for node:http's client).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ADMIN_URL, createTestDatabase, postgresReachable, type Engine } from '../test/support/database.ts';
import { peerBinary, procStatusKb, startAlertmanager, type Alertmanager } from '../test/support/peers.ts';
import { expectStatus, percentile, spawnServer, type ServerProcess } from '../test/support/process.ts';
import { hotSpots, profilerNodeOptions } from '../test/support/profile.ts';

const TOTAL = Number(process.env.BENCH_ALERTS ?? 100_000);
const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const BATCHES = (process.env.BENCH_BATCHES ?? '1,100').split(',').map(Number);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 40);
const PROBE_RATE = Number(process.env.BENCH_PROBE_RATE ?? 1000);
const PROBE_SECONDS = Number(process.env.BENCH_PROBE_SECONDS ?? 15);
const WITH_ALERTMANAGER = process.env.BENCH_ALERTMANAGER !== '0';
const WITH_CEILING = process.env.BENCH_CEILING !== '0';
const NODE_CLIENT = process.env.BENCH_CLIENT === 'node';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
/** Warm-up: new alerts and repeats of them, as the load phase has (so both paths are compiled and cached before it is timed). */
const WARMUP_ALERTS = 10_000;
const WARMUP_IDENTITIES = 1_000;
const ALERT_NAMES = 50;
const GOAL_RATIO = 2;
const GOAL_PROBE_P99_MS = 50;

const log = (text: string) => process.stdout.write(`${text}\n`);
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : '—');
const fmtMb = (kb: number | undefined) => (kb === undefined ? '—' : `${Math.round(kb / 1024)} MB`);

// ---------------------------------------------------------------------------
// The alerts: identity i has its own labels; the JSON of each is built once.

const STARTS_AT = new Date(Date.now() - 3_600_000).toISOString();
const labelsOf = (identity: number) => ({
  alertname: `BenchAlert${String(identity % ALERT_NAMES).padStart(2, '0')}`,
  instance: `host-${identity}.bench:9100`,
  job: 'bench',
  severity: 'warning',
});
const summaryOf = (identity: number) => `bench alert ${identity} above threshold`;
const fingerprintOf = (identity: number) => identity.toString(16).padStart(16, '0');

/** One alert of an Alertmanager webhook, as Alertmanager sends it. */
const webhookAlertJson = (identity: number) =>
  JSON.stringify({
    status: 'firing',
    labels: labelsOf(identity),
    annotations: { summary: summaryOf(identity) },
    startsAt: STARTS_AT,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.bench:9090/graph?g0.expr=bench_metric+%3E+1',
    fingerprint: fingerprintOf(identity),
  });
/** One alert of Alertmanager's API v2 (postableAlert), as Prometheus sends it. */
const apiAlertJson = (identity: number) =>
  JSON.stringify({
    labels: labelsOf(identity),
    annotations: { summary: summaryOf(identity) },
    startsAt: STARTS_AT,
    generatorURL: 'http://prometheus.bench:9090/graph?g0.expr=bench_metric+%3E+1',
  });

type Target = 'firebreak' | 'alertmanager' | 'ceiling' | 'fastify';

class Bodies {
  private readonly cache = new Map<number, string>();
  constructor(private readonly target: Target) {}

  private alert(identity: number): string {
    let json = this.cache.get(identity);
    if (json === undefined) {
      json = this.target === 'alertmanager' ? apiAlertJson(identity) : webhookAlertJson(identity);
      this.cache.set(identity, json);
    }
    return json;
  }

  /** The request body carrying these identities. */
  body(identities: number[]): Buffer {
    const alerts = identities.map((identity) => this.alert(identity)).join(',');
    if (this.target === 'alertmanager') return Buffer.from(`[${alerts}]`);
    return Buffer.from(
      `{"version":"4","groupKey":"{}:{alertname=\\"bench\\"}","truncatedAlerts":0,"status":"firing","receiver":"firebreak",` +
        `"groupLabels":{},"commonLabels":{"job":"bench"},"commonAnnotations":{},"externalURL":"http://alertmanager.bench:9093","alerts":[${alerts}]}`,
    );
  }
}

// ---------------------------------------------------------------------------
// HTTP: one keep-alive socket per client, requests built outside the timed part.

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** A request as the bytes that go on the wire (for the lean client) and as its parts (for node:http). */
interface Prepared {
  url: URL;
  body: Buffer;
  wire: Buffer;
}

const prepare = (url: URL, body: Buffer): Prepared => ({
  url,
  body,
  wire: Buffer.concat([
    Buffer.from(`POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'),
    body,
  ]),
});

/**
 * The lean client's socket: writes a prepared request and reads the answer's
 * status line, its Content-Length (or chunked framing) and its body, nothing
 * more. Opens a new connection when the server closed the last one.
 */
class LeanConnection {
  private socket: Socket | null = null;
  private connected: Promise<void> | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (answer: { status: number; text: string }) => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly url: URL) {}

  private open(): Promise<void> {
    const socket = connect({ host: this.url.hostname, port: Number(this.url.port), noDelay: true });
    this.socket = socket;
    this.buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.read();
    });
    const fail = (error: Error) => {
      if (this.socket === socket) {
        this.socket = null;
        this.connected = null;
      }
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
    return new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  }

  private read(): void {
    if (!this.waiting) return;
    const buffer = this.buffered;
    const headEnd = buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = buffer.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const start = headEnd + 4;
    let end: number;
    let body: Buffer;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) {
      end = start + Number(length[1]);
      if (buffer.length < end) return;
      body = buffer.subarray(start, end);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = start;
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n', at);
        if (lineEnd < 0) return;
        const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
        if (size === 0) {
          if (buffer.length < lineEnd + 4) return;
          end = lineEnd + 4;
          break;
        }
        if (buffer.length < lineEnd + 2 + size + 2) return;
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      end = start;
      body = Buffer.alloc(0);
    }
    this.buffered = buffer.subarray(end);
    if (/\r\nconnection: *close/i.test(head)) this.close();
    const waiting = this.waiting;
    this.waiting = null;
    waiting.resolve({ status, text: body.toString('utf8') });
  }

  async send(request: Prepared): Promise<{ status: number; text: string }> {
    this.connected ??= this.open();
    await this.connected;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(request.wire);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
    this.connected = null;
  }
}

function post(url: URL, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface LoadResult {
  requests: number;
  alerts: number;
  errors: number;
  firstError: string;
  seconds: number;
  /** Per request, in ms, sorted. */
  latencies: number[];
  capped: boolean;
}

/**
 * Closed loop: CLIENTS clients, each posting its next request when the last is
 * answered, until `total` alerts are sent or `maxSeconds` have passed.
 */
async function load(url: URL, bodies: Bodies, options: { batch: number; total: number; identity: (k: number) => number; maxSeconds: number; expect: number }): Promise<LoadResult> {
  const prepared: Array<{ request: Prepared; alerts: number }> = [];
  for (let first = 0; first < options.total; first += options.batch) {
    const identities: number[] = [];
    for (let k = first; k < Math.min(first + options.batch, options.total); k++) identities.push(options.identity(k));
    prepared.push({ request: prepare(url, bodies.body(identities)), alerts: identities.length });
  }
  const latencies: number[] = [];
  let next = 0;
  let alerts = 0;
  let errors = 0;
  let firstError = '';
  let capped = false;
  const connections = Array.from({ length: CLIENTS }, () => new LeanConnection(url));
  const began = performance.now();
  const deadline = began + options.maxSeconds * 1000;
  const client = async (connection: LeanConnection) => {
    while (next < prepared.length) {
      if (performance.now() > deadline) {
        capped = true;
        return;
      }
      const { request, alerts: count } = prepared[next++]!;
      const started = performance.now();
      try {
        const answer = NODE_CLIENT ? await post(request.url, request.body) : await connection.send(request);
        if (answer.status !== options.expect) {
          errors++;
          firstError ||= `${answer.status} ${answer.text.slice(0, 200)}`;
        } else alerts += count;
      } catch (error) {
        errors++;
        firstError ||= String(error);
      }
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(connections.map(client));
  const seconds = (performance.now() - began) / 1000;
  for (const connection of connections) connection.close();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, alerts, errors, firstError, seconds, latencies, capped };
}

// ---------------------------------------------------------------------------
// Targets

interface Running {
  url: URL;
  pid: number;
  stop(): Promise<void>;
  describe: string;
}

async function startFirebreak(engine: Engine): Promise<Running & { server: ServerProcess }> {
  const database = await createTestDatabase(engine);
  // spawnServer passes this process's environment on; NODE_OPTIONS carries the profiler preload.
  const options = process.env.NODE_OPTIONS;
  if (CPU_PROF_DIR) process.env.NODE_OPTIONS = `${options ?? ''} ${profilerNodeOptions(CPU_PROF_DIR)}`.trim();
  let server: ServerProcess;
  try {
    server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
  } catch (error) {
    await database.drop();
    throw error;
  } finally {
    if (options === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = options;
  }
  const created = await expectStatus(server, 201, 'POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'bench alertmanager' });
  return {
    server,
    url: new URL(server.url + (created.body.url as string)),
    pid: server.pid,
    describe: `firebreak ${engine}`,
    stop: async () => {
      await server.stop(30_000);
      await database.drop();
    },
  };
}

async function startReference(): Promise<Running & { peer: Alertmanager }> {
  // Every alert its own group; timers as Alertmanager's defaults, so the load phase measures ingest.
  const peer = await startAlertmanager({ groupBy: ['...'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' });
  return { peer, url: new URL(`${peer.url}/api/v2/alerts`), pid: peer.pid, describe: 'alertmanager', stop: () => peer.stop() };
}

/**
 * The ceilings: the least a Node server can do with a webhook (read the body,
 * parse it, answer), on node:http and on Fastify with its default JSON
 * parsing, each in a child process of its own, as the servers run.
 */
const CEILING_SERVER = `
const http = require('node:http');
const answer = Buffer.from(JSON.stringify({ status: 'success', alerts: 0, results: {} }));
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

const FASTIFY_CEILING_SERVER = `
const app = require(process.argv[1])();
app.post('/api/v1/integrations/alertmanager/:key', async () => ({ status: 'success', alerts: 0, results: {} }));
app.listen({ port: 0, host: '127.0.0.1' }).then(() => process.stdout.write(String(app.server.address().port) + '\\n'));
`;

async function startCeiling(framework: 'node:http' | 'fastify'): Promise<Running> {
  const args = framework === 'fastify' ? ['-e', FASTIFY_CEILING_SERVER, createRequire(import.meta.url).resolve('fastify')] : ['-e', CEILING_SERVER];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the ceiling server exited with ${code}`)));
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  child.removeAllListeners('exit');
  return {
    url: new URL(`http://127.0.0.1:${port}/api/v1/integrations/alertmanager/ceiling`),
    pid: child.pid!,
    describe: `${framework} ceiling`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Row {
  system: string;
  engine: string;
  batch: number;
  result: LoadResult;
  peakRssKb: number | undefined;
}

async function measure(target: Target, engine: Engine | null, batch: number): Promise<Row> {
  const running =
    target === 'firebreak' ? await startFirebreak(engine!) : target === 'alertmanager' ? await startReference() : await startCeiling(target === 'fastify' ? 'fastify' : 'node:http');
  const bodies = new Bodies(target);
  const expect = 200;
  try {
    // Warm-up on identities of their own (JIT, pools, caches); not measured.
    await load(running.url, bodies, { batch, total: WARMUP_ALERTS, identity: (k) => IDENTITIES + 1_000_000 + (k % WARMUP_IDENTITIES), maxSeconds: 30, expect });
    const result = await load(running.url, bodies, { batch, total: TOTAL, identity: (k) => k % IDENTITIES, maxSeconds: MAX_SECONDS, expect });
    const peakRssKb = procStatusKb(running.pid, 'VmHWM');
    const rate = result.alerts / result.seconds;
    const name = { firebreak: `Firebreak (${engine})`, alertmanager: 'Alertmanager', ceiling: 'node:http ceiling (answers at once)', fastify: 'Fastify ceiling (answers at once)' }[target];
    log(
      `  ${name}, ${batch} alert${batch === 1 ? '' : 's'}/request: ` +
        `${fmtInt(result.alerts)} alerts in ${result.seconds.toFixed(1)} s = ${fmtInt(rate)} alerts/s, p99 ${fmtMs(percentile(result.latencies, 99))}` +
        `${result.errors ? `, ${result.errors} errors (first: ${result.firstError})` : ''}${result.capped ? ' [time cap]' : ''}`,
    );
    const system = { firebreak: 'Firebreak', alertmanager: 'Alertmanager', ceiling: 'node:http ceiling', fastify: 'Fastify ceiling' }[target];
    return { system, engine: engine ?? (target === 'alertmanager' ? '(memory)' : '(none)'), batch, result, peakRssKb };
  } finally {
    await running.stop();
  }
}

// ---------------------------------------------------------------------------
// Latency probe: paced, open loop

interface ProbeResult {
  sent: number;
  errors: number;
  firstError: string;
  seconds: number;
  /** From the moment each request went out. */
  latencies: number[];
  /** From the moment each request was due (includes any delay of the sender itself). */
  fromSchedule: number[];
  peakRssKb: number | undefined;
  /** The server's own view of the paced phase, from /metrics: upper bound of its p99 request duration, longest event-loop stall (ms). */
  serverP99Ms: number;
  serverStallMs: number;
}

/** The webhook route's request-duration histogram (cumulative counts by bucket bound, s) and the event-loop stall since the last scrape. */
async function serverView(baseUrl: string): Promise<{ buckets: Map<number, number>; stallMs: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const buckets = new Map<number, number>();
  let stallMs = Number.NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith('firebreak_http_request_duration_seconds_bucket{') && line.includes('route="/api/v1/integrations/alertmanager/:key"') && line.includes('status="200"')) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le !== undefined) buckets.set(le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1)));
    } else if (line.startsWith('firebreak_process_nodejs_eventloop_lag_max_seconds ')) {
      stallMs = Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000;
    }
  }
  return { buckets, stallMs };
}

/** The smallest bucket bound (ms) holding 99 % of the requests counted between two scrapes. */
function bucketP99(before: Map<number, number>, after: Map<number, number>): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const bound of bounds) if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= 0.99 * total) return bound * 1000;
  return Number.NaN;
}

async function probe(): Promise<ProbeResult> {
  const running = await startFirebreak('sqlite');
  const bodies = new Bodies('firebreak');
  try {
    // The 10,000 identities exist first, as after the load phases.
    await load(running.url, bodies, { batch: 100, total: IDENTITIES, identity: (k) => k, maxSeconds: 120, expect: 200 });
    await load(running.url, bodies, { batch: 1, total: WARMUP_ALERTS, identity: (k) => k % IDENTITIES, maxSeconds: 30, expect: 200 });
    const total = Math.round(PROBE_RATE * PROBE_SECONDS);
    const intervalMs = 1000 / PROBE_RATE;
    // 90 % repeats of the known identities, 10 % new ones.
    const identity = (i: number) => (i % 10 === 9 ? IDENTITIES + 2_000_000 + i : (i * 7919) % IDENTITIES);
    const prebuilt = Array.from({ length: total }, (_, i) => bodies.body([identity(i)]));
    // Scraping also restarts the server's event-loop statistics, so the second scrape covers the paced phase alone.
    const viewBefore = await serverView(running.server.url);
    const latencies: number[] = [];
    const fromSchedule: number[] = [];
    let errors = 0;
    let firstError = '';
    const inFlight: Array<Promise<void>> = [];
    const began = performance.now();
    let sent = 0;
    while (sent < total) {
      const now = performance.now();
      while (sent < total && began + sent * intervalMs <= now) {
        const due = began + sent * intervalMs;
        const body = prebuilt[sent]!;
        sent++;
        const started = performance.now();
        inFlight.push(
          post(running.url, body).then(
            (answer) => {
              const done = performance.now();
              latencies.push(done - started);
              fromSchedule.push(done - due);
              if (answer.status !== 200) {
                errors++;
                firstError ||= `${answer.status} ${answer.text.slice(0, 200)}`;
              }
            },
            (error: unknown) => {
              errors++;
              firstError ||= String(error);
            },
          ),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + sent * intervalMs - performance.now())));
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - began) / 1000;
    const viewAfter = await serverView(running.server.url);
    latencies.sort((a, b) => a - b);
    fromSchedule.sort((a, b) => a - b);
    return {
      sent,
      errors,
      firstError,
      seconds,
      latencies,
      fromSchedule,
      peakRssKb: procStatusKb(running.pid, 'VmHWM'),
      serverP99Ms: bucketP99(viewBefore.buckets, viewAfter.buckets),
      serverStallMs: viewAfter.stallMs,
    };
  } finally {
    await running.stop();
  }
}


// ---------------------------------------------------------------------------

function table(headers: string[], rows: string[][], leftColumns: number): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const began = performance.now();
  log(
    `Firebreak alert ingest benchmark: Alertmanager webhooks (v4) of ${BATCHES.join(' and ')} alerts/request, ${CLIENTS} concurrent clients,\n` +
      `${fmtInt(TOTAL)} alerts over ${fmtInt(IDENTITIES)} identities (${ALERT_NAMES} alert names → ${ALERT_NAMES} incidents), ` +
      `each load phase capped at ${MAX_SECONDS} s, after ${fmtInt(WARMUP_ALERTS)} warm-up alerts over ${fmtInt(WARMUP_IDENTITIES)} identities of their own.`,
  );
  log(
    `One fresh \`firebreak serve\` child process (LOG_LEVEL=info), Alertmanager or ceiling server per row; clients run in this process ` +
      `(${NODE_CLIENT ? "node:http's client" : 'lean client: prepared requests, one keep-alive socket each'}).`,
  );
  const loadNow = () => loadavg().map((n) => n.toFixed(2)).join(' ');
  log(`${cpus().length} CPUs; load average at start ${loadNow()} (other work on the machine skews every figure).\n`);
  const rows: Row[] = [];
  const notes: string[] = [];
  const engines: Engine[] = [];
  for (const engine of ENGINES) {
    if (engine === 'postgres' && !(await postgresReachable())) notes.push(`postgres: not measured — PostgreSQL is not reachable at ${ADMIN_URL} (set FIREBREAK_TEST_PG_URL)`);
    else engines.push(engine);
  }
  const withReference = WITH_ALERTMANAGER && peerBinary('alertmanager') !== null;
  if (WITH_ALERTMANAGER && !withReference) notes.push('alertmanager: not measured — /usr/bin/prometheus-alertmanager is not installed');

  for (const batch of BATCHES) {
    if (withReference) rows.push(await measure('alertmanager', null, batch));
    if (WITH_CEILING) rows.push(await measure('ceiling', null, batch), await measure('fastify', null, batch));
    for (const engine of engines) rows.push(await measure('firebreak', engine, batch));
  }
  let probed: ProbeResult | undefined;
  if (PROBE_SECONDS > 0 && engines.includes('sqlite')) {
    log(`  latency probe: Firebreak (sqlite), single-alert webhooks paced at ${fmtInt(PROBE_RATE)} alerts/s for ${PROBE_SECONDS} s …`);
    probed = await probe();
  }

  const rateOf = (row: Row) => row.result.alerts / row.result.seconds;
  const reference = (batch: number) => rows.find((r) => r.system === 'Alertmanager' && r.batch === batch);
  log('');
  log(
    table(
      ['system', 'engine', 'alerts/req', 'alerts', 'errors', 'seconds', 'alerts/s', 'p50', 'p99', 'peak RSS', 'vs Alertmanager', 'goal'],
      rows.map((row) => {
        const ref = reference(row.batch);
        const ratio = row.system !== 'Alertmanager' && ref ? rateOf(row) / rateOf(ref) : Number.NaN;
        const goal = row.system === 'Firebreak' && row.engine === 'sqlite' && ref ? `≥ ${GOAL_RATIO}× ${ratio >= GOAL_RATIO ? 'MET' : 'NOT MET'}` : '';
        return [
          row.system,
          row.engine,
          String(row.batch),
          `${fmtInt(row.result.alerts)}${row.result.capped ? '*' : ''}`,
          fmtInt(row.result.errors),
          row.result.seconds.toFixed(1),
          fmtInt(rateOf(row)),
          fmtMs(percentile(row.result.latencies, 50)),
          fmtMs(percentile(row.result.latencies, 99)),
          fmtMb(row.peakRssKb),
          Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '',
          goal,
        ];
      }),
      2,
    ),
  );
  if (rows.some((r) => r.result.capped)) log(`* stopped at the ${MAX_SECONDS} s cap before ${fmtInt(TOTAL)} alerts (BENCH_MAX_SECONDS)`);
  for (const row of rows.filter((r) => r.result.errors > 0)) log(`errors in ${row.system} ${row.engine} ×${row.batch}: ${row.result.firstError}`);

  if (probed) {
    const p99 = percentile(probed.latencies, 99);
    log('');
    log(
      table(
        ['latency probe', 'paced at', 'achieved', 'requests', 'errors', 'p50', 'p99', 'max', 'p99 from schedule', 'server p99', 'server stall', 'peak RSS', 'goal'],
        [
          [
            'Firebreak (sqlite), 1 alert/req',
            `${fmtInt(PROBE_RATE)}/s`,
            `${fmtInt(probed.sent / probed.seconds)}/s`,
            fmtInt(probed.sent),
            fmtInt(probed.errors),
            fmtMs(percentile(probed.latencies, 50)),
            fmtMs(p99),
            fmtMs(probed.latencies.at(-1) ?? Number.NaN),
            fmtMs(percentile(probed.fromSchedule, 99)),
            Number.isFinite(probed.serverP99Ms) ? `≤ ${fmtMs(probed.serverP99Ms)}` : '—',
            fmtMs(probed.serverStallMs),
            fmtMb(probed.peakRssKb),
            `p99 < ${GOAL_PROBE_P99_MS} ms ${p99 < GOAL_PROBE_P99_MS ? 'MET' : 'NOT MET'}`,
          ],
        ],
        1,
      ),
    );
    if (probed.errors) log(`probe errors: ${probed.firstError}`);
  }
  for (const note of notes) log(note);
  if (CPU_PROF_DIR) {
    const spots = hotSpots(CPU_PROF_DIR);
    log(`\nHot spots over all Firebreak server profiles in ${CPU_PROF_DIR} — self time:`);
    for (const line of spots.self) log(`  ${line}`);
    log('Total time (self and callees) of functions in src/:');
    for (const line of spots.total) log(`  ${line}`);
  }
  log(`\nTotal run: ${((performance.now() - began) / 1000).toFixed(0)} s; load average at the end ${loadNow()}`);
  agent.destroy();
}

await main();
