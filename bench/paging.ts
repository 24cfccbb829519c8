/**
 * Alert to page: how long from an alert reaching Firebreak to the on-call
 * person's first page arriving at the pager?
 *
 * For each engine (SQLite in a temporary directory; PostgreSQL in a fresh
 * database when reachable), one fresh `firebreak serve` child process
 * (LOG_LEVEL=info, the example configuration with its `pager-bridge` webhook
 * channel pointed at a local HTTP receiver in this process, answering 200 at
 * once) and one Alertmanager integration. Single-alert Alertmanager webhooks
 * (v4), each a new alert of its own name and fingerprint (so each opens its
 * own incident), severity critical and service dlq-manager (P1, escalation
 * policy `platform`: the on-call person of schedule `platform` is paged at
 * once through pager-bridge), are posted open loop (each at its scheduled
 * time, whatever the earlier ones are doing), first at 10 alerts/s, then at
 * 500 alerts/s. Per alert: the time from sending the webhook to the first
 * page for its incident arriving at the receiver, split into
 *   ingest:   send → the page message enqueued (outbox created_at; committed with the incident)
 *   delivery: enqueued → arrived at the receiver (the deliverer's wait, lease, and the HTTP send)
 * (both on the machine's wall clock, in ms). Goal: p99 < 100 ms at 10 alerts/s.
 *
 *   npm run bench:paging
 *   BENCH_SLOW_ALERTS=100 BENCH_FAST_ALERTS=1000 BENCH_ENGINES=sqlite npm run bench:paging   (a quicker look)
 *   BENCH_CPU_PROF=/tmp/paging-prof npm run bench:paging   (profile each server; prints its hot spots)
 *
 * Environment: BENCH_ENGINES (sqlite,postgres), BENCH_SLOW_RATE (10), BENCH_SLOW_ALERTS (300),
 * BENCH_FAST_RATE (500), BENCH_FAST_ALERTS (1500), BENCH_WARMUP (100), BENCH_CPU_PROF (off).
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../src/store/index.ts';
import { ADMIN_URL, createTestDatabase, postgresReachable, type Engine, type TestDatabase } from '../test/support/database.ts';
import { spawnPagingServer, writePagingConfig } from '../test/support/paging-process.ts';
import { hotSpots, profilerNodeOptions } from '../test/support/profile.ts';
import { startPagingReceiver, type PagingReceiver } from '../test/support/paging-receiver.ts';
import { closeStore, expectStatus, percentile, type ServerProcess } from '../test/support/process.ts';

const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const PHASES = [
  { name: 'paced', rate: Number(process.env.BENCH_SLOW_RATE ?? 10), alerts: Number(process.env.BENCH_SLOW_ALERTS ?? 300) },
  { name: 'burst', rate: Number(process.env.BENCH_FAST_RATE ?? 500), alerts: Number(process.env.BENCH_FAST_ALERTS ?? 1500) },
];
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);
const WARMUP_RATE = 50;
const GOAL = { rate: 10, p99Ms: 100 };
/** How long after its last webhook a phase waits for the pages still missing. */
const DRAIN_MS = 60_000;
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
const CHANNEL = 'pager-bridge';

const log = (text: string) => process.stdout.write(`${text}\n`);
const fmtMs = (ms: number) => (Number.isNaN(ms) ? '—' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SentAlert {
  title: string;
  body: string;
  /** performance.now() / Date.now() just before the request went out. */
  sentAt: number;
  sentWall: number;
  /** performance.now() when the answer arrived, and its status (0: no answer). */
  answeredAt: number;
  status: number;
  error: string;
  /** performance.now() / Date.now() when the first page of its incident reached the receiver. */
  pagedAt: number | null;
  pagedWall: number | null;
  incidentId: string | null;
}

let run = 0;

function alertBody(label: string, i: number): { title: string; body: string } {
  const alertname = `PagingBench${label}${String(i).padStart(5, '0')}`;
  const title = `paging bench ${label} alert ${i}`;
  const labels = { alertname, severity: 'critical', service: 'dlq-manager', instance: `bench-${i % 17}:9100` };
  const annotations = { summary: title };
  const startsAt = new Date().toISOString();
  return {
    title,
    body: JSON.stringify({
      version: '4',
      groupKey: `{}:{alertname="${alertname}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'firebreak',
      groupLabels: { alertname },
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: 'http://alertmanager.example:9093',
      alerts: [
        {
          status: 'firing',
          labels,
          annotations,
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus.example:9090/graph?g0.expr=dlq_depth',
          fingerprint: `pb${run}-${label}-${i}`,
        },
      ],
    }),
  };
}

/** Posts `count` single-alert webhooks at `rate`/s, open loop; waits for every page (or DRAIN_MS after the last send). */
async function phase(url: string, receiver: PagingReceiver, label: string, rate: number, count: number): Promise<SentAlert[]> {
  run += 1;
  const alerts: SentAlert[] = Array.from({ length: count }, (_, i) => ({
    ...alertBody(label, i),
    sentAt: 0,
    sentWall: 0,
    answeredAt: 0,
    status: 0,
    error: '',
    pagedAt: null,
    pagedWall: null,
    incidentId: null,
  }));
  const byTitle = new Map(alerts.map((a) => [a.title, a]));
  let paged = 0;
  const stopListening = receiver.onDelivery((delivery) => {
    if (delivery.type !== 'page' || delivery.incidentTitle === null) return;
    const alert = byTitle.get(delivery.incidentTitle);
    if (!alert || alert.pagedAt !== null) return;
    alert.pagedAt = delivery.at;
    alert.pagedWall = delivery.wallAt;
    alert.incidentId = delivery.incidentId;
    paged += 1;
  });
  const send = async (alert: SentAlert) => {
    alert.sentWall = Date.now();
    alert.sentAt = performance.now();
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: alert.body });
      await response.arrayBuffer();
      alert.status = response.status;
    } catch (error) {
      alert.error = String((error as Error & { cause?: unknown }).cause ?? error);
    }
    alert.answeredAt = performance.now();
  };
  const requests: Array<Promise<void>> = [];
  const start = performance.now() + 20;
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait >= 1) await sleep(wait);
    requests.push(send(alerts[i]!));
  }
  await Promise.all(requests);
  const deadline = performance.now() + DRAIN_MS;
  const expected = alerts.filter((a) => a.status === 200).length;
  while (paged < expected && performance.now() < deadline) await sleep(20);
  stopListening();
  return alerts;
}

interface Row {
  engine: Engine;
  phase: string;
  rate: number;
  alerts: number;
  /** Achieved send rate over the phase. */
  sentRate: number;
  failed: number;
  missing: number;
  answer: number[];
  page: number[];
  ingest: number[];
  delivery: number[];
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

async function summarise(engine: Engine, store: Store, name: string, rate: number, alerts: SentAlert[]): Promise<Row> {
  const enqueuedAt = new Map<string, number>();
  for (const record of await store.repos.outbox.list({ channelId: CHANNEL, limit: 1_000_000 })) {
    if (record.incidentId === null) continue;
    const earlier = enqueuedAt.get(record.incidentId);
    if (earlier === undefined || record.createdAt < earlier) enqueuedAt.set(record.incidentId, record.createdAt);
  }
  const ok = alerts.filter((a) => a.status === 200);
  const paged = ok.filter((a) => a.pagedAt !== null);
  const withEnqueue = paged.filter((a) => enqueuedAt.has(a.incidentId!));
  const first = Math.min(...alerts.map((a) => a.sentAt));
  const last = Math.max(...alerts.map((a) => a.sentAt));
  return {
    engine,
    phase: name,
    rate,
    alerts: alerts.length,
    sentRate: alerts.length > 1 ? ((alerts.length - 1) * 1000) / (last - first) : 0,
    failed: alerts.length - ok.length,
    missing: ok.length - paged.length,
    answer: sorted(ok.map((a) => a.answeredAt - a.sentAt)),
    page: sorted(paged.map((a) => a.pagedAt! - a.sentAt)),
    ingest: sorted(withEnqueue.map((a) => enqueuedAt.get(a.incidentId!)! - a.sentWall)),
    delivery: sorted(withEnqueue.map((a) => a.pagedWall! - enqueuedAt.get(a.incidentId!)!)),
  };
}

function table(headers: string[], rows: string[][], leftColumns: number): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function measureEngine(engine: Engine, rows: Row[], notes: string[]): Promise<void> {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  let store: Store | undefined;
  const receiver = await startPagingReceiver();
  try {
    database = await createTestDatabase(engine);
    const db = database;
    const configPath = writePagingConfig(db.dataDir, { webhookUrl: receiver.url });
    const profileDir = CPU_PROF_DIR ? join(CPU_PROF_DIR, engine) : undefined;
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    const env = profileDir ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${profilerNodeOptions(profileDir)}`.trim() } : undefined;
    server = await spawnPagingServer({ configPath, dataDir: db.dataDir, databaseUrl: db.databaseUrl, env });
    store = await Store.open({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const created = await expectStatus(server, 201, 'POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'paging bench' });
    const url = server.url + (created.body.url as string);

    // Warm-up (JIT, pools, prepared statements); not measured.
    const warm = await phase(url, receiver, `W${engine}`, WARMUP_RATE, WARMUP);
    if (warm.some((a) => a.status !== 200 || a.pagedAt === null)) {
      const bad = warm.find((a) => a.status !== 200 || a.pagedAt === null)!;
      throw new Error(`warm-up failed on ${engine}: status ${bad.status} ${bad.error}\n${server.recentOutput()}`);
    }
    await sleep(1_000);
    for (const { name, rate, alerts } of PHASES) {
      const began = performance.now();
      const sent = await phase(url, receiver, `${name[0]!.toUpperCase()}${engine}`, rate, alerts);
      const row = await summarise(engine, store, name, rate, sent);
      rows.push(row);
      log(`  ${engine} ${rate}/s: ${alerts} alerts in ${((performance.now() - began) / 1000).toFixed(1)} s, page p99 ${fmtMs(percentile(row.page, 99))}`);
      const failed = sent.find((a) => a.status !== 200);
      if (failed) notes.push(`${engine} ${rate}/s: ${row.failed} webhooks not answered 200 (first: ${failed.status} ${failed.error})`);
      if (row.missing > 0) notes.push(`${engine} ${rate}/s: ${row.missing} incidents had no page ${DRAIN_MS / 1000} s after the last webhook`);
      await sleep(1_000);
    }
    const states = await store.repos.outbox.countByState();
    notes.push(`${engine}: outbox at the end ${states.map((s) => `${s.state} ${s.count}`).join(', ')}`);
  } finally {
    await server?.stop(30_000);
    await closeStore(store, database?.databaseUrl);
    await database?.drop();
    await receiver.close();
  }
}

async function main(): Promise<void> {
  const began = performance.now();
  log('Firebreak paging benchmark: single-alert Alertmanager webhooks, each opening a P1 incident that pages the on-call person');
  log(`of schedule platform through the pager-bridge webhook; time from sending the webhook to that page arriving at a local receiver.`);
  log(`Phases: ${PHASES.map((p) => `${p.alerts} alerts at ${p.rate}/s`).join(', then ')}, after ${WARMUP} warm-up alerts at ${WARMUP_RATE}/s.`);
  log(`One fresh \`firebreak serve\` child process (LOG_LEVEL=info) per engine; sender and receiver run in this process.`);
  log(`${cpus().length} CPUs; load average at start ${loadavg().map((n) => n.toFixed(2)).join(' ')}.\n`);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const engine of ENGINES) {
    if (engine === 'postgres' && !(await postgresReachable())) {
      notes.push(`postgres: not measured — PostgreSQL is not reachable at ${ADMIN_URL} (set FIREBREAK_TEST_PG_URL)`);
      continue;
    }
    log(`${engine}:`);
    await measureEngine(engine, rows, notes);
  }

  const p = (values: number[], q: number) => fmtMs(percentile(values, q));
  log('');
  log(
    table(
      ['engine', 'rate', 'alerts', 'sent/s', 'webhook 200 p50', 'p99', 'alert→page p50', 'p99', 'max', 'ingest p99', 'delivery p50', 'p99', 'max', 'no page'],
      rows.map((r) => [
        r.engine,
        `${r.rate}/s`,
        String(r.alerts),
        r.sentRate.toFixed(0),
        p(r.answer, 50),
        p(r.answer, 99),
        p(r.page, 50),
        p(r.page, 99),
        fmtMs(r.page.at(-1) ?? Number.NaN),
        p(r.ingest, 99),
        p(r.delivery, 50),
        p(r.delivery, 99),
        fmtMs(r.delivery.at(-1) ?? Number.NaN),
        String(r.missing + r.failed),
      ]),
      2,
    ),
  );
  log('');
  for (const row of rows.filter((r) => r.rate === GOAL.rate)) {
    const p99 = percentile(row.page, 99);
    log(`goal p99 < ${GOAL.p99Ms} ms at ${GOAL.rate} alerts/s, ${row.engine}: ${p99 < GOAL.p99Ms && row.missing + row.failed === 0 ? 'met' : 'MISSED'} (p99 ${fmtMs(p99)})`);
  }
  for (const note of notes) log(`note: ${note}`);
  if (CPU_PROF_DIR) {
    for (const engine of new Set(rows.map((r) => r.engine))) {
      const spots = hotSpots(join(CPU_PROF_DIR, engine));
      log(`\nCPU profile of the ${engine} server (${fmtMs(spots.sampledMs)} sampled, ${spots.idlePercent.toFixed(0)} % idle); self time:`);
      for (const line of spots.self) log(`  ${line}`);
      log('src/ functions by total time:');
      for (const line of spots.total) log(`  ${line}`);
    }
  }
  log(`\n(${((performance.now() - began) / 1000).toFixed(0)} s in all)`);
}

await main();
