import { afterAll, describe, expect, it } from 'vitest';
import { Store, type TimerRecord } from '../../src/store/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  closeStore,
  expectStatus,
  inParallel,
  readTimeline,
  spawnServer,
  timerStates,
  waitUntil,
  type ServerProcess,
} from '../support/process.ts';

const REMINDER = 'incident.reminder';
const COUNT = 1000;
/** Reminders more than this late say so on the timeline (LATE_NOTE_THRESHOLD_MS in src/incidents/clocks.ts). */
const LATE_NOTE_MS = 5_000;
/** How long past the last due reminder the server stays down, so every reminder it missed is clearly late. */
const DOWN_PAST_LAST_DUE_MS = LATE_NOTE_MS + 1_500;

const message = (i: number) => `sigkill check ${String(i).padStart(4, '0')}`;
const REMINDER_TEXT = /^Reminder: (sigkill check \d{4})( \(fired .+ late: .+\))?$/;

describe(`durable timers survive SIGKILL (${process.env.FIREBREAK_TEST_DB ?? 'sqlite'})`, () => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) await server.kill('SIGKILL');
    await closeStore(store, database?.databaseUrl);
    await database?.drop();
  });

  it('fires each of 1,000 reminders exactly once across a crash, and marks those missed while down as late', async () => {
    database = await createTestDatabase();
    const db = database;
    const first = await spawnServer({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    servers.push(first);
    store = await Store.open({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const timers = store;

    const declared = await expectStatus(first, 201, 'POST', '/api/v1/incidents', { title: 'Timer durability under SIGKILL', severity: 'P1' });
    const incidentId = declared.body.id as string;

    // Due 3 s after each request and 8 ms apart: creating all of them finishes
    // before the first is due, and the kill below lands in the middle of the firing.
    const created = await inParallel(
      Array.from({ length: COUNT }, (_, i) => i),
      16,
      async (i) => (await expectStatus(first, 201, 'POST', `/api/v1/incidents/${incidentId}/reminders`, { message: message(i), in: `${3000 + 8 * i}ms` })).body,
    );
    const messageOf = new Map<string, string>(created.map((reminder, i) => [String(reminder.id), message(i)]));
    expect(messageOf.size).toBe(COUNT);

    await waitUntil(async () => ((await timerStates(timers, REMINDER)).fired >= 150 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 20,
      describe: () => 'the first server never fired 150 reminders',
    });
    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');

    // Whatever the dead process had not committed is rolled back; this is the durable state.
    const atKill = await store.repos.timers.byKind(REMINDER);
    const firedBeforeKill = atKill.filter((t) => t.state === 'fired');
    const pendingAtKill = atKill.filter((t) => t.state === 'pending');
    expect(atKill).toHaveLength(COUNT);
    expect(firedBeforeKill.length).toBeGreaterThan(0);
    expect(pendingAtKill.length).toBeGreaterThan(0);
    expect(firedBeforeKill.length + pendingAtKill.length).toBe(COUNT);
    expect(new Set(firedBeforeKill.map((t) => t.firedBy))).toEqual(new Set([first.instanceId]));

    const lastDue = Math.max(...pendingAtKill.map((t) => t.dueAt));
    await waitUntil(async () => (Date.now() > lastDue + DOWN_PAST_LAST_DUE_MS ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });

    const second = await spawnServer({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    servers.push(second);
    await waitUntil(async () => ((await timerStates(timers, REMINDER)).pending === 0 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 100,
      describe: () => `reminders still pending after the restart\n${second.recentOutput()}`,
    });

    const after = new Map<string, TimerRecord>((await store.repos.timers.byKind(REMINDER)).map((t) => [t.id, t]));
    expect([...after.values()].filter((t) => t.state !== 'fired')).toEqual([]);

    const reminders = (await readTimeline(second, incidentId)).filter((entry) => entry.kind === 'reminder');
    const seen = new Map<string, string[]>();
    for (const entry of reminders) {
      const match = REMINDER_TEXT.exec(entry.text);
      expect(match, `unexpected reminder text: ${entry.text}`).not.toBeNull();
      seen.set(match![1]!, [...(seen.get(match![1]!) ?? []), entry.text]);
    }
    const duplicated = [...seen].filter(([, texts]) => texts.length > 1).map(([text]) => text);
    const missing = [...messageOf.values()].filter((text) => !seen.has(text));
    expect(duplicated).toEqual([]);
    expect(missing).toEqual([]);
    expect(reminders).toHaveLength(COUNT);

    // Fired before the crash: kept as they were, by the first instance.
    for (const timer of firedBeforeKill) {
      expect(after.get(timer.id)).toMatchObject({ firedBy: first.instanceId, firedAt: timer.firedAt });
    }
    // Due while no server ran: fired once by the restarted one, late, and the timeline says so.
    for (const timer of pendingAtKill) {
      const now = after.get(timer.id)!;
      expect(now.firedBy).toBe(second.instanceId);
      expect(now.lateMs).toBeGreaterThan(LATE_NOTE_MS);
      const [text] = seen.get(messageOf.get(timer.id)!)!;
      expect(text).toMatch(/ \(fired .+ late: Firebreak was not running\)$/);
    }
    console.info(
      `[timers-sigkill ${db.engine}] fired before SIGKILL: ${firedBeforeKill.length}, fired late after restart: ${pendingAtKill.length}, ` +
        `lateness after restart ${Math.min(...pendingAtKill.map((t) => after.get(t.id)!.lateMs!))}–${Math.max(...pendingAtKill.map((t) => after.get(t.id)!.lateMs!))} ms`,
    );

    await second.stop();
  }, 240_000);
});
