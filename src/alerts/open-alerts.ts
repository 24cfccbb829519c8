import type { AlertRecord } from '../store/index.ts';
import { contentOf } from './received.ts';

/** Open alerts remembered for acknowledging repeats from memory (about 300 bytes each). */
const MAX_OPEN_ALERTS = 200_000;

/** An open alert in an incident, as a pure repeat of it is recognised and counted. */
export interface OpenAlert {
  id: string;
  incidentId: string;
  /** contentOf its labels and annotations. */
  content: string;
  /** The version of the open alerts (OpenAlerts.version) in which it became open or changed last. */
  changedAt: number;
  /** Repeats answered since its refreshes were last taken to be written, and when the last came. */
  repeats: number;
  lastSeenAt: number;
}

/** One change as a follower applies it: the alert's content now, or null once it is no longer open in an incident. */
export type OpenAlertChange = [integrationId: string, dedupKey: string, content: string | null];

/** What a follower is sent: the changes that lead to `version`, after forgetting everything first when `reset`. */
export interface OpenAlertsUpdate {
  version: number;
  reset: boolean;
  changes: OpenAlertChange[];
}

/**
 * The open alerts as another thread may follow them (a webhook parser thread
 * keeps a copy, to tell which alerts of a webhook repeat what is stored; see
 * AlertPipeline.submit for how such a claim is checked).
 */
export interface OpenAlertsFeed {
  /** Everything now, as one update that resets. */
  snapshot(): OpenAlertsUpdate;
  /** `listener` hears every update from now on, right after the commit that made it. */
  follow(listener: (update: OpenAlertsUpdate) => void): void;
}

/**
 * Open alerts already in an incident, by identity, as last committed: what a
 * pure repeat is checked against. Only for SQLite, where this process is the
 * only writer, so the index cannot be stale (every change to an alert goes
 * through the pipeline, which updates it after each commit and then publishes).
 */
export class OpenAlerts implements OpenAlertsFeed {
  /** By integration, then dedup key: no key strings to build on the hot path. */
  private readonly entries = new Map<string, Map<string, OpenAlert>>();
  private size = 0;
  /** Counts the published updates; changes made since the last one belong to the next. */
  private version = 0;
  private changes: OpenAlertChange[] = [];
  private reset = false;
  private readonly listeners: Array<(update: OpenAlertsUpdate) => void> = [];

  /** The open alerts of one integration, by dedup key. */
  of(integrationId: string): ReadonlyMap<string, OpenAlert> | undefined {
    return this.entries.get(integrationId);
  }

  update(record: AlertRecord): void {
    if (record.status === 'resolved' || record.incidentId === null) {
      this.delete(record.integrationId, record.dedupKey);
      return;
    }
    let alerts = this.entries.get(record.integrationId);
    if (!alerts) {
      alerts = new Map();
      this.entries.set(record.integrationId, alerts);
    }
    const content = contentOf(record);
    const entry = alerts.get(record.dedupKey);
    if (entry) {
      if (entry.content === content && entry.incidentId === record.incidentId) return;
      // The same object, so that repeats it counts and has not yet written stay with it.
      entry.incidentId = record.incidentId;
      entry.content = content;
      entry.changedAt = this.version + 1;
      this.changed(record.integrationId, record.dedupKey, content);
      return;
    }
    // Forgetting is always safe: a forgotten alert's next repeat just waits for a commit.
    if (this.size >= MAX_OPEN_ALERTS) this.clear();
    this.size++;
    alerts.set(record.dedupKey, { id: record.id, incidentId: record.incidentId, content, changedAt: this.version + 1, repeats: 0, lastSeenAt: 0 });
    this.changed(record.integrationId, record.dedupKey, content);
  }

  delete(integrationId: string, dedupKey: string): void {
    if (!this.entries.get(integrationId)?.delete(dedupKey)) return;
    this.size--;
    this.changed(integrationId, dedupKey, null);
  }

  /** Sends the changes made since the last update to the followers (after each commit). */
  publish(): void {
    if (this.changes.length === 0 && !this.reset) return;
    this.version++;
    const update: OpenAlertsUpdate = { version: this.version, reset: this.reset, changes: this.changes };
    this.changes = [];
    this.reset = false;
    for (const listener of this.listeners) listener(update);
  }

  snapshot(): OpenAlertsUpdate {
    const changes: OpenAlertChange[] = [];
    for (const [integrationId, alerts] of this.entries) {
      for (const [dedupKey, entry] of alerts) if (entry.changedAt <= this.version) changes.push([integrationId, dedupKey, entry.content]);
    }
    // Entries changed since the last update are left out: the next update brings them.
    return { version: this.version, reset: true, changes };
  }

  follow(listener: (update: OpenAlertsUpdate) => void): void {
    this.listeners.push(listener);
  }

  private changed(integrationId: string, dedupKey: string, content: string | null): void {
    this.changes.push([integrationId, dedupKey, content]);
  }

  /** Forgets everything; followers do the same with the next update, then apply what changed after it. */
  private clear(): void {
    this.entries.clear();
    this.size = 0;
    this.changes = [];
    this.reset = true;
  }
}
