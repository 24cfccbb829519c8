/**
 * How late do durable timers fire under load? For each engine, one real server
 * process (`firebreak serve`, default scheduler settings) fires:
 *   1. steady: 100,000 reminders due evenly over one minute, and
 *   2. backlog: 20,000 reminders all due at the same instant (its drain rate is
 *      the scheduler's capacity, which the steady phase cannot show).
 * Timers are inserted in bulk through the store, as reminders on a few
 * incidents, so each one fired is a real timeline entry. Lateness is
 * fired_at - due_at from the timers table.
 *
 *   npm run bench:timers
 *   BENCH_TIMERS=20000 BENCH_WINDOW_S=20 BENCH_ENGINES=sqlite npm run bench:timers   (a quicker look)
 */
import { sql } from 'kysely';
import { createIdGenerator } from '../src/core/ids.ts';
import { Store, type NewTimer } from '../src/store/index.ts';
import { ADMIN_URL, createTestDatabase, postgresReachable, type Engine } from '../test/support/database.ts';
import { closeStore, expectStatus, percentile, spawnServer, timerStates, waitUntil, type ServerProcess } from '../test/support/process.ts';

const REMINDER = 'incident.reminder';
const STEADY_TIMERS = Number(process.env.BENCH_TIMERS ?? 100_000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_S ?? 60) * 1000;
const BACKLOG_TIMERS = Number(process.env.BENCH_BACKLOG ?? 20_000);
const INCIDENTS = 8;
const GOAL_P99_MS = 1000;
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];

interface PhaseResult {
  engine: Engine;
  phase: string;
  timers: number;
  fired: number;
  timelineEntries: number;
  p50: number;
  p99: number;
  max: number;
  /** Timers fired per second, from the first due time until none was pending (seen by polling every 250 ms). */
  rate: number;
  note: string;
}

const newId = createIdGenerator({ now: () => Date.now() });
const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (text: string) => process.stdout.write(`${text}\n`);

async function firedSince(store: Store, sinceCreatedAt: number) {
  const rows = await store.db
    .selectFrom('timers')
    .select(['due_at', 'fired_at', 'state'])
    .where('kind', '=', REMINDER)
    .where('created_at', '>=', sinceCreatedAt)
    .execute();
  return rows.map((r) => ({ dueAt: Number(r.due_at), firedAt: r.fired_at === null ? null : Number(r.fired_at), state: r.state }));
}

async function reminderEntries(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('timeline')
    .select(sql<number>`count(*)`.as('n'))
    .where('kind', '=', 'reminder')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function runPhase(
  engine: Engine,
  phase: string,
  store: Store,
  server: ServerProcess,
  incidents: string[],
  count: number,
  dueAtOf: (i: number, start: number) => number,
  leadMs: number,
  lastDueOffsetMs: number,
): Promise<PhaseResult> {
  const entriesBefore = await reminderEntries(store);
  const createdAt = Date.now();
  const start = createdAt + leadMs;
  const timers: NewTimer[] = Array.from({ length: count }, (_, i) => ({
    id: newId(),
    kind: REMINDER,
    dueAt: dueAtOf(i, start),
    payload: { incidentId: incidents[i % incidents.length]!, message: `${phase} ${i}`, requestedBy: 'bench' },
    createdAt,
  }));
  // Inserted in due order, so the early ones are in before they are due.
  for (let offset = 0; offset < timers.length; offset += 5000) {
    await store.repos.timers.schedule(timers.slice(offset, offset + 5000));
  }
  const inserted = Date.now();
  const note = inserted > start ? `insert ran ${fmtMs(inserted - start)} past the first due time` : '';
  log(`  ${engine} ${phase}: ${fmtInt(count)} timers inserted in ${fmtMs(inserted - createdAt)}; first due in ${fmtMs(start - inserted)}`);

  let lastReport = Date.now();
  const doneAt = await waitUntil(
    async () => {
      const states = await timerStates(store, REMINDER);
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        log(`    t=${fmtMs(Date.now() - start)} pending ${fmtInt(states.pending)}, fired ${fmtInt(states.fired)}`);
      }
      return states.pending === 0 ? Date.now() : undefined;
    },
    { timeoutMs: leadMs + lastDueOffsetMs + 240_000, intervalMs: 250, describe: () => server.recentOutput() },
  );

  const rows = await firedSince(store, createdAt);
  const fired = rows.filter((r) => r.state === 'fired' && r.firedAt !== null);
  const lateness = fired.map((r) => r.firedAt! - r.dueAt).sort((a, b) => a - b);
  const firstDue = Math.min(...timers.map((t) => t.dueAt));
  return {
    engine,
    phase,
    timers: count,
    fired: fired.length,
    timelineEntries: (await reminderEntries(store)) - entriesBefore,
    p50: percentile(lateness, 50),
    p99: percentile(lateness, 99),
    max: lateness[lateness.length - 1] ?? Number.NaN,
    rate: fired.length / Math.max((doneAt - firstDue) / 1000, 0.001),
    note,
  };
}

async function benchEngine(engine: Engine): Promise<PhaseResult[]> {
  const database = await createTestDatabase(engine);
  let server: ServerProcess | undefined;
  let store: Store | undefined;
  try {
    server = await spawnServer({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
    store = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    const incidents: string[] = [];
    for (let i = 0; i < INCIDENTS; i++) {
      const declared = await expectStatus(server, 201, 'POST', '/api/v1/incidents', { title: `Timer bench ${i + 1}`, severity: 'P1' });
      incidents.push(declared.body.id as string);
    }
    const steady = await runPhase(
      engine,
      'steady',
      store,
      server,
      incidents,
      STEADY_TIMERS,
      (i, start) => start + Math.floor((i * WINDOW_MS) / STEADY_TIMERS),
      3000,
      WINDOW_MS,
    );
    const backlog = await runPhase(engine, 'backlog', store, server, incidents, BACKLOG_TIMERS, (_i, start) => start, 2000, 0);
    return [steady, backlog];
  } finally {
    await server?.stop();
    await closeStore(store, database.databaseUrl);
    await database.drop();
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const began = Date.now();
  log(`Firebreak timer benchmark: ${fmtInt(STEADY_TIMERS)} reminders due evenly over ${WINDOW_MS / 1000} s (offered ${fmtInt(STEADY_TIMERS / (WINDOW_MS / 1000))}/s), then a backlog of ${fmtInt(BACKLOG_TIMERS)} due at one instant.`);
  log('One `firebreak serve` process per engine, default scheduler (poll 200 ms, batch 500); lateness = fired_at - due_at.\n');
  const results: PhaseResult[] = [];
  const notes: string[] = [];
  for (const engine of ENGINES) {
    if (engine === 'postgres' && !(await postgresReachable())) {
      notes.push(`postgres: not measured — PostgreSQL is not reachable at ${ADMIN_URL} (set FIREBREAK_TEST_PG_URL)`);
      log(`  postgres: skipped, not reachable at ${ADMIN_URL}`);
      continue;
    }
    results.push(...(await benchEngine(engine)));
  }

  log('');
  log(
    table(
      ['engine', 'phase', 'timers', 'fired', 'timeline', 'p50 late', 'p99 late', 'max late', 'fired/s', `goal p99 ≤ ${GOAL_P99_MS / 1000} s`],
      results.map((r) => [
        r.engine,
        r.phase,
        fmtInt(r.timers),
        fmtInt(r.fired),
        fmtInt(r.timelineEntries),
        fmtMs(r.p50),
        fmtMs(r.p99),
        fmtMs(r.max),
        fmtInt(r.rate),
        r.phase === 'steady' ? (r.p99 <= GOAL_P99_MS ? 'met' : 'MISSED') : 'n/a (capacity)',
      ]),
    ),
  );
  log('');
  log('fired/s = timers / (time none was pending - first due time). steady: equals the offered rate while the scheduler keeps up;');
  log('backlog: how fast one instance drains a queue of due timers (its capacity).');
  for (const r of results) {
    if (r.fired !== r.timers || r.timelineEntries !== r.timers) notes.push(`${r.engine} ${r.phase}: ${r.fired} fired and ${r.timelineEntries} timeline entries for ${r.timers} timers`);
    if (r.note) notes.push(`${r.engine} ${r.phase}: ${r.note}`);
  }
  for (const note of notes) log(`note: ${note}`);
  log(`total ${fmtMs(Date.now() - began)}`);
  if (results.some((r) => r.fired !== r.timers || r.timelineEntries !== r.timers)) process.exitCode = 1;
}

await main();
