import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isOpen } from '../incidents/index.ts';
import type { Store } from '../store/index.ts';
import type { Clock } from '../core/clock.ts';

/** Firebreak's own metrics, on a registry of its own (no process-wide default). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly timersFired: Counter<'kind' | 'result'>;
  readonly timerLateness: Histogram<'kind'>;
  readonly alertsReceived: Counter<'integration' | 'result'>;
  readonly alertBatchSeconds: Histogram;
  readonly notificationsDelivered: Counter<'channel' | 'kind'>;
  readonly notificationLatency: Histogram<'channel'>;
  readonly notificationRetries: Counter<'channel'>;
  readonly deadLetters: Counter<'channel'>;
  readonly circuitOpen: Gauge<'channel'>;

  constructor(store: Store, clock: Clock) {
    collectDefaultMetrics({ register: this.registry, prefix: 'firebreak_process_' });
    this.httpDuration = new Histogram({
      name: 'firebreak_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.timersFired = new Counter({
      name: 'firebreak_timers_fired_total',
      help: 'Durable timers fired, by kind and result (ok or retry)',
      labelNames: ['kind', 'result'],
      registers: [this.registry],
    });
    this.timerLateness = new Histogram({
      name: 'firebreak_timer_lateness_seconds',
      help: 'How long after its due time a timer fired',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 60, 300, 3600],
      registers: [this.registry],
    });
    this.alertsReceived = new Counter({
      name: 'firebreak_alerts_received_total',
      help: 'Alerts received, by integration kind and what became of them (opened, attached, repeat, resolved, silenced, inhibited, maintenance, dropped …)',
      labelNames: ['integration', 'result'],
      registers: [this.registry],
    });
    this.alertBatchSeconds = new Histogram({
      name: 'firebreak_alert_ingest_commit_seconds',
      help: 'Time to apply and commit one batch of ingested alerts',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [this.registry],
    });
    this.notificationsDelivered = new Counter({
      name: 'firebreak_notifications_delivered_total',
      help: 'Messages delivered, by channel kind and message kind (page, sla.breached …)',
      labelNames: ['channel', 'kind'],
      registers: [this.registry],
    });
    this.notificationLatency = new Histogram({
      name: 'firebreak_notification_delivery_seconds',
      help: 'From the message being queued to its delivery',
      labelNames: ['channel'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
      registers: [this.registry],
    });
    this.notificationRetries = new Counter({ name: 'firebreak_notification_retries_total', help: 'Deliveries that failed and will be retried', labelNames: ['channel'], registers: [this.registry] });
    this.deadLetters = new Counter({ name: 'firebreak_notification_dead_letters_total', help: 'Messages given up on (dead letters)', labelNames: ['channel'], registers: [this.registry] });
    this.circuitOpen = new Gauge({ name: 'firebreak_channel_circuit_open', help: '1 while a destination’s circuit breaker is open', labelNames: ['channel'], registers: [this.registry] });
    const registers = [this.registry];
    new Gauge({
      name: 'firebreak_incidents',
      help: 'Incidents by status and severity',
      labelNames: ['status', 'severity', 'open'],
      registers,
      async collect() {
        this.reset();
        for (const row of await store.repos.incidents.countByStatus()) {
          this.set({ status: row.status, severity: row.severity, open: String(isOpen(row.status)) }, row.count);
        }
      },
    });
    new Gauge({
      name: 'firebreak_timers',
      help: 'Durable timers: pending, due now (should be near zero), failed',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await store.repos.timers.counts(clock.now());
        this.set({ state: 'pending' }, counts.pending);
        this.set({ state: 'due' }, counts.due);
        this.set({ state: 'failed' }, counts.failed);
      },
    });
    new Gauge({
      name: 'firebreak_outbox_messages',
      help: 'Outbox messages by state (pending, sending, delivered, dead, cancelled)',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        for (const row of await store.repos.outbox.countByState()) this.set({ state: row.state }, row.count);
      },
    });
    new Gauge({
      name: 'firebreak_db_pool_connections',
      help: 'PostgreSQL pool connections by state (absent on SQLite)',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = store.poolStats();
        if (!stats) return;
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }
}
