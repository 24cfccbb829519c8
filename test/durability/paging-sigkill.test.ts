import { afterAll, describe, expect, it } from 'vitest';
import { Store, type OutboxRecord } from '../../src/store/index.ts';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/database.ts';
import { spawnPagingServer, writePagingConfig } from '../support/paging-process.ts';
import { countByWebhookId, startPagingReceiver, type PagingReceiver } from '../support/paging-receiver.ts';
import { closeStore, expectStatus, inParallel, waitUntil, type ServerProcess } from '../support/process.ts';

/*
 * "Every page message is delivered at least once": a real `firebreak serve`
 * process pages through a slow pager-bridge (each request held 300–500 ms
 * before its 200), and is SIGKILLed while the receiver holds at least
 * IN_FLIGHT_AT_KILL requests it has not answered. Some messages were delivered and marked, some were received
 * but never marked (the sender died waiting for the answer), some were not
 * sent at all. After a restart on the same database the outbox must drain:
 * every message received, re-deliveries only of those in flight at the kill,
 * after their lease ran out, and with the same webhook-id, so that a receiver
 * that drops repeats by webhook-id has each message exactly once.
 */
const FIRST_WAVE = 30;
const SECOND_WAVE = 10;
/** Kill once the receiver holds at least this many unanswered requests. */
const IN_FLIGHT_AT_KILL = 8;
/** The Deliverer's lease (DelivererOptions.leaseMs default in src/notify/deliverer.ts). */
const LEASE_MS = 60_000;
const CHANNEL = 'pager-bridge';

describe(`paging deliveries survive SIGKILL (${testEngine()})`, () => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  let receiver: PagingReceiver | undefined;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) await server.kill('SIGKILL');
    await closeStore(store, database?.databaseUrl);
    await database?.drop();
    await receiver?.close();
  });

  it('delivers every page message at least once across a crash, and re-sends only those in flight, with the same webhook-id', async () => {
    receiver = await startPagingReceiver({ holdMs: [300, 500] });
    const hook = receiver;
    database = await createTestDatabase();
    const db = database;
    const configPath = writePagingConfig(db.dataDir, { webhookUrl: hook.url });
    const first = await spawnPagingServer({ configPath, dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    servers.push(first);
    store = await Store.open({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const outbox = store.repos.outbox;
    const pagerBridge = async () => outbox.list({ channelId: CHANNEL, limit: 10_000 });

    const declare = (server: ServerProcess, count: number, offset: number) =>
      inParallel(Array.from({ length: count }, (_, i) => offset + i), 5, async (i) => {
        const created = await expectStatus(server, 201, 'POST', '/api/v1/incidents', { title: `Paging under SIGKILL ${i}`, severity: 'P1', services: ['dlq-manager'] });
        return created.body.id as string;
      });
    // The deliverer's round with the first page stalls at the receiver while the first wave is
    // declared, so the whole wave is pending when that round ends and goes out as one batch,
    // however fast or slow the machine is.
    hook.pause();
    const incidents = await declare(first, 1, 0);
    await waitUntil(async () => (hook.deliveries.length > 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 5,
      describe: () => `no page reached the receiver\n${first.recentOutput()}`,
    });
    incidents.push(...(await declare(first, FIRST_WAVE, 1)));
    hook.resume();
    await waitUntil(async () => (hook.inFlight() >= IN_FLIGHT_AT_KILL ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 5,
      describe: () => `the receiver never held ${IN_FLIGHT_AT_KILL} requests at once (received ${hook.deliveries.length})\n${first.recentOutput()}`,
    });
    // While the deliverer waits on the held batch, these are enqueued and not yet sent.
    incidents.push(...(await declare(first, SECOND_WAVE, 1 + FIRST_WAVE)));
    const killedAt = Date.now();
    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const receivedBeforeKill = hook.deliveries.length;

    // The durable state the dead process left behind.
    const atKill = new Map<string, OutboxRecord>((await pagerBridge()).map((r) => [r.idempotencyKey, r]));
    const inState = (state: string) => [...atKill.values()].filter((r) => r.state === state);
    const sendingAtKill = inState('sending');
    const pendingAtKill = inState('pending');
    expect(inState('dead')).toEqual([]);
    // One page (to the on-call person of schedule `platform`), one pager-bridge message per incident.
    expect(new Set([...atKill.values()].map((r) => r.incidentId))).toEqual(new Set(incidents));
    expect(atKill.size).toBe(incidents.length);
    expect(sendingAtKill.length).toBeGreaterThan(0);
    const sentAtKill = new Set(hook.deliveries.map((d) => d.webhookId));
    // What the receiver got but never answered: in flight, so still leased to the dead process.
    const receivedUnanswered = sendingAtKill.filter((r) => sentAtKill.has(r.idempotencyKey));
    expect(receivedUnanswered.length).toBeGreaterThan(0);

    const second = await spawnPagingServer({ configPath, dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    servers.push(second);
    const restartedAt = Date.now();
    await waitUntil(async () => ((await pagerBridge()).every((r) => r.state !== 'pending' && r.state !== 'sending') ? true : undefined), {
      timeoutMs: LEASE_MS + 60_000,
      intervalMs: 250,
      describe: () => `messages still pending or sending after the restart\n${second.recentOutput()}`,
    });

    const final = await pagerBridge();
    expect(final.filter((r) => r.state !== 'delivered').map((r) => `${r.idempotencyKey}: ${r.state} ${r.lastError ?? ''}`)).toEqual([]);
    const expected = new Set(final.map((r) => r.idempotencyKey));
    expect(expected).toEqual(new Set(atKill.keys()));

    const counts = countByWebhookId(hook.deliveries);
    // At least once: every message arrived; nothing arrived that the outbox does not hold.
    expect([...expected].filter((key) => !counts.has(key))).toEqual([]);
    expect([...counts.keys()].filter((id) => !expected.has(id))).toEqual([]);
    // Every arrival names itself the same way in the header and the body, so repeats are recognisable.
    expect(hook.deliveries.filter((d) => d.idempotencyKey !== d.webhookId)).toEqual([]);
    // Deduplicated by webhook-id, the receiver has each message exactly once.
    expect(counts.size).toBe(expected.size);
    for (const key of expected) {
      const copies = hook.deliveries.filter((d) => d.webhookId === key);
      expect(new Set(copies.map((d) => JSON.stringify(d.json.data))).size, `copies of ${key} differ`).toBe(1);
    }

    // Only messages in flight at the kill came twice, and only after their lease ran out.
    const repeated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    expect(repeated.length).toBeGreaterThan(0);
    const inFlightKeys = new Set(sendingAtKill.map((r) => r.idempotencyKey));
    expect(repeated.filter((id) => !inFlightKeys.has(id))).toEqual([]);
    expect([...counts.values()].filter((n) => n > 2)).toEqual([]);
    for (const record of receivedUnanswered) {
      const copies = hook.deliveries.filter((d) => d.webhookId === record.idempotencyKey);
      expect(copies, `${record.idempotencyKey} was received before the kill and must come again`).toHaveLength(2);
      expect(copies[1]!.wallAt).toBeGreaterThan(record.leaseUntil!);
      expect(final.find((r) => r.id === record.id)!.attempts).toBeGreaterThanOrEqual(2);
    }
    // Messages nobody had leased go out as soon as the restarted server runs, without waiting for any lease.
    const firstLeaseEnd = Math.min(...sendingAtKill.map((r) => r.leaseUntil!));
    for (const record of pendingAtKill) {
      const copies = hook.deliveries.filter((d) => d.webhookId === record.idempotencyKey);
      expect(copies).toHaveLength(1);
      expect(copies[0]!.wallAt).toBeLessThan(firstLeaseEnd);
    }

    console.info(
      `[paging-sigkill ${db.engine}] at SIGKILL: ${inState('delivered').length} delivered, ${sendingAtKill.length} sending ` +
        `(${receivedUnanswered.length} of them received, unanswered), ${pendingAtKill.length} pending; received before the kill ${receivedBeforeKill}, ` +
        `after ${hook.deliveries.length - receivedBeforeKill}; ${repeated.length} re-delivered with the same webhook-id; ` +
        `restart ${restartedAt - killedAt} ms after the kill, drained ${Date.now() - killedAt} ms after it`,
    );
    await second.stop();
  }, 240_000);
});
