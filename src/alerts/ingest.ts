import { createHash } from 'node:crypto';
import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { formatDuration } from '../core/duration.ts';
import {
  acknowledgeIncidentIn,
  appendTimeline,
  changeStatusIn,
  declareIncidentIn,
  isOpenStatus,
} from '../incidents/index.ts';
import type { Events } from '../events/index.ts';
import type { GroupIncident } from '../store/repositories/alerts.ts';
import type {
  AlertHistoryEntry,
  AlertRecord,
  IntegrationRecord,
  MaintenanceWindowRecord,
  NewEvent,
  SilenceRecord,
  TimelineEntry,
  Tx,
} from '../store/index.ts';
import { truncate } from './adapters/wire.ts';
import { matches, type Matcher } from './matchers/index.ts';
import type { IncomingAlert } from './model.ts';
import type { AlertRules, Classification } from './rules.ts';

export type IngestResult =
  | 'opened' // opened a new incident
  | 'attached' // joined an open incident of its group
  | 'reopened' // fired again soon enough to reopen its group's resolved incident
  | 'repeat' // the same alert again, nothing new
  | 'resolved'
  | 'acknowledged'
  | 'silenced'
  | 'inhibited'
  | 'maintenance'
  | 'dropped'
  | 'ignored'; // e.g. a resolve for an alert never seen

export interface IngestOutcome {
  dedupKey: string;
  alertId: string | null;
  incidentId: string | null;
  result: IngestResult;
}

/** One alert identity across integrations: what dedup is keyed by. */
export const identityKey = (integrationId: string, dedupKey: string): string => `${integrationId}\u0000${dedupKey}`;

/** What this transaction knows of one identity: its row (null: none stored) and repeats applied to it but not written yet. */
interface Known {
  readonly record: AlertRecord | null;
  readonly touch: { readonly n: number; readonly at: number } | null;
}

/** New rows not written yet, in the order they were made. */
interface Writes {
  inserts: AlertRecord[];
  histories: AlertHistoryEntry[];
  entries: TimelineEntry[];
  events: NewEvent[];
}

const noWrites = (): Writes => ({ inserts: [], histories: [], entries: [], events: [] });

/**
 * Alerts joining one incident's timeline, from one source, in one batch: one
 * entry says so. An alert storm of thousands fills a timeline that people
 * read (and a post-mortem that lists every entry) with one line per alert;
 * alerts that arrive together are shown together instead. The entry takes
 * its place (id, time) from the first of them.
 */
interface Attachment {
  /** The entry of the first alert, as it stands when it is alone; made when the attachment starts, so that it keeps that place. */
  first: TimelineEntry | null;
  /** Makes `first`: a request's alerts that join those of requests before it need none, unless those are written meanwhile. */
  alone: () => TimelineEntry;
  alerts: Array<{ alertId: string; name: string }>;
}

/** Alerts named in the data of an entry of many; `count` gives them all. */
const LISTED_ATTACHED_ALERTS = 100;
/** Alert names shown in the text of an entry of many. */
const NAMED_IN_TEXT = 5;

function attachedEntry(attachment: Attachment): TimelineEntry {
  const first = (attachment.first ??= attachment.alone());
  const { alerts } = attachment;
  if (alerts.length === 1) return first;
  const byName = new Map<string, number>();
  for (const { name } of alerts) byName.set(name, (byName.get(name) ?? 0) + 1);
  const names = [...byName].map(([name, n]) => `${truncate(name, 200)}${n > 1 ? ` (${n})` : ''}`);
  const shown = names.slice(0, NAMED_IN_TEXT).join(', ') + (names.length > NAMED_IN_TEXT ? ` and ${names.length - NAMED_IN_TEXT} more` : '');
  return { ...first, text: `${alerts.length} alerts firing: ${shown}`, data: { count: alerts.length, alerts: alerts.slice(0, LISTED_ATTACHED_ALERTS) } };
}

const rowsOf = (w: Writes) => w.inserts.length + w.histories.length + w.entries.length + w.events.length;
const isEmpty = (w: Writes) => rowsOf(w) === 0;

/**
 * Rows of finished requests kept before they are sent ahead: on SQLite the
 * writer thread writes them while this thread handles the next requests of
 * the batch (about fifty new alerts' worth per message).
 */
const SEND_AHEAD_ROWS = 250;

/**
 * Thrown (before anything is written) by a request running without a
 * savepoint when it needs to write at once: the pipeline runs it again in a
 * savepoint of its own.
 */
export const NEEDS_SAVEPOINT = Symbol('needs a savepoint');

/** Writing the rows of requests already done failed: the whole batch fails (none of them may be acknowledged). */
export class BatchWriteFailed extends Error {
  constructor(cause: unknown) {
    super(`writing the batch failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * What one ingest transaction shares between the requests it commits
 * together: silences, maintenance windows and inhibiting alerts (looked up
 * once), the stored alerts of every identity in the batch (one query per
 * integration instead of one per alert), the open incident of each alert group
 * it has already looked at, and the writes it defers so that they go to the
 * database as a few multi-row statements:
 *
 * - repeats of stored alerts (`touch`) are applied here in memory and written
 *   by `finish`, one statement for the whole batch;
 * - new alerts, alert history, the timeline entries of alerts attaching to
 *   an open incident and the events of both are kept, in the order they were
 *   made, until something else is read or written, or the batch ends.
 *
 * Most requests need nothing else (repeats, new alerts joining an open
 * incident), so they run without a savepoint (`beginJob(true)`) and their rows
 * join the batch's. One that needs to write at once (resolving, opening or
 * reopening an incident, changing a stored alert) stops with NEEDS_SAVEPOINT
 * before writing anything and runs again in a savepoint of its own, as every
 * request used to. A request that fails is rolled back alone: `rollbackJob`
 * forgets what it changed here, so the requests after it see the database as
 * it is. A failure to write the rows of requests already done fails the batch.
 */
export class IngestBatchState {
  private silences: SilenceRecord[] | null = null;
  private windows: MaintenanceWindowRecord[] | null = null;
  private inhibitors: AlertRecord[] | null = null;
  private readonly known = new Map<string, Known>();
  /** Alert groups locked in this transaction; their incidents as read after locking (null: none); the open ones (later alerts of the group just attach). */
  private readonly locked = new Set<string>();
  private readonly groups = new Map<string, GroupIncident | null>();
  private readonly openGroups = new Map<string, string>();
  /** What the configuration makes of each alert, worked out once per batch. */
  private readonly classified = new WeakMap<IncomingAlert, Classification>();
  /** Rows of the requests done so far, and of the current one. */
  private batchWrites = noWrites();
  private jobWrites = noWrites();
  /** Alerts joining open incidents, by incident and source, written as one entry each when the batch ends (or sooner, see flushWrites). */
  private batchAttachments = new Map<string, Attachment>();
  private jobAttachments = new Map<string, Attachment>();
  /** Rows of requests done, sent ahead and not yet known to be written. */
  private ahead: Array<Promise<void>> = [];
  /** The current request runs without a savepoint. */
  private deferred = false;
  /** The current request's changes to `known`, to undo if it fails; null between requests. */
  private undo: Map<string, Known | undefined> | null = null;
  private inhibitorsNoted = 0;

  constructor(
    private readonly tx: Tx,
    private readonly now: number,
    private readonly live: Events,
  ) {}

  // -- silences, maintenance, inhibition ------------------------------------

  async silenceFor(labels: Record<string, string>): Promise<SilenceRecord | undefined> {
    this.silences ??= await this.tx.silences.activeAt(this.now);
    return this.silences.find((s) => matches(s.matchers as Matcher[], labels));
  }

  async maintenanceFor(service: string | null): Promise<MaintenanceWindowRecord | undefined> {
    if (service === null) return undefined;
    this.windows ??= await this.tx.silences.windowsActiveAt(this.now);
    return this.windows.find((w) => w.service === service);
  }

  async inhibitorFor(rules: AlertRules, labels: Record<string, string>): Promise<AlertRecord | undefined> {
    const applicable = rules.inhibitRules.filter((rule) => matches(rule.target, labels));
    if (applicable.length === 0) return undefined;
    if (this.inhibitors === null) {
      await this.beforeAlertsRead();
      this.inhibitors = await this.tx.alerts.firingUnsuppressed(5000);
    }
    for (const rule of applicable) {
      const source = this.inhibitors.find(
        (candidate) =>
          matches(rule.source, candidate.labels) &&
          !sameLabels(candidate.labels, labels) &&
          rule.equal.every((name) => (candidate.labels[name] ?? '') === (labels[name] ?? '')),
      );
      if (source) return source;
    }
    return undefined;
  }

  /** An alert that fired unsuppressed in this batch may inhibit the next ones at once. */
  noteFiring(alert: AlertRecord): void {
    if (this.inhibitors && alert.suppressedBy === null) {
      this.inhibitors.unshift(alert);
      this.inhibitorsNoted++;
    }
  }

  // -- stored alerts ----------------------------------------------------------

  /** Reads the stored alerts of these identities, one query per integration (in chunks). */
  async prefetch(integrationId: string, dedupKeys: readonly string[]): Promise<void> {
    const wanted = dedupKeys.filter((key) => !this.known.has(identityKey(integrationId, key)));
    if (wanted.length === 0) return;
    for (const record of await this.tx.alerts.findByIdentities(integrationId, wanted)) {
      this.known.set(identityKey(integrationId, record.dedupKey), { record, touch: null });
    }
    for (const key of wanted) {
      const identity = identityKey(integrationId, key);
      if (!this.known.has(identity)) this.known.set(identity, { record: null, touch: null });
    }
  }

  /** The stored alert of this identity as this transaction sees it, repeats included. */
  async alert(integrationId: string, dedupKey: string): Promise<AlertRecord | undefined> {
    const identity = identityKey(integrationId, dedupKey);
    let known = this.known.get(identity);
    if (!known) {
      await this.beforeAlertsRead();
      known = { record: (await this.tx.alerts.findByIdentity(integrationId, dedupKey)) ?? null, touch: null };
      this.known.set(identity, known);
    }
    return known.record ?? undefined;
  }

  /** Known without a query: the stored alert (null: none), or undefined when this batch has not read it. */
  peek(integrationId: string, dedupKey: string): AlertRecord | null | undefined {
    return this.known.get(identityKey(integrationId, dedupKey))?.record;
  }

  private set(record: AlertRecord, touch: Known['touch']): void {
    const identity = identityKey(record.integrationId, record.dedupKey);
    if (this.undo && !this.undo.has(identity)) this.undo.set(identity, this.known.get(identity));
    this.known.set(identity, { record, touch });
  }

  /** A repeat of a stored alert: last seen, count, labels and annotations as sent; written by `finish`. */
  touch(existing: AlertRecord, alert: IncomingAlert, now: number): AlertRecord {
    const previous = this.known.get(identityKey(existing.integrationId, existing.dedupKey))?.touch;
    const record: AlertRecord = { ...existing, lastSeenAt: now, count: existing.count + 1, labels: alert.labels, annotations: alert.annotations };
    this.set(record, { n: (previous?.n ?? 0) + 1, at: now });
    return record;
  }

  /** A new alert, written with the batch's other new rows. */
  insert(record: AlertRecord): void {
    this.jobWrites.inserts.push(record);
    this.set(record, null);
  }

  /** A changed alert, written now (the record carries every repeat applied to it so far). */
  async save(record: AlertRecord): Promise<void> {
    await this.beforeWrite();
    await this.tx.alerts.save(record);
    this.set(record, null);
  }

  history(entry: AlertHistoryEntry): void {
    this.jobWrites.histories.push(entry);
  }

  /**
   * An alert joining an open incident (see Attachment): `alone` makes the
   * entry its timeline gets when the alert is the only one (or the first).
   */
  attach(incidentId: string, actor: string, alert: { alertId: string; name: string }, alone: () => TimelineEntry): void {
    const key = `${incidentId}\u0000${actor}`;
    const attachment = this.jobAttachments.get(key);
    if (attachment) attachment.alerts.push(alert);
    else this.jobAttachments.set(key, { first: this.batchAttachments.has(key) ? null : alone(), alone, alerts: [alert] });
  }

  /** Entries on incidents' timelines (with their live events, as appendTimeline writes them) for these attachments. */
  private writeAttachments(attachments: Map<string, Attachment>, writes: Writes): void {
    for (const attachment of attachments.values()) {
      const entry = attachedEntry(attachment);
      writes.entries.push(entry);
      writes.events.push({ at: entry.at, type: 'timeline.appended', incidentId: entry.incidentId, data: { entry } });
    }
    attachments.clear();
  }

  event(event: NewEvent): void {
    this.jobWrites.events.push(event);
  }

  /**
   * Before a statement that writes (or reads what the kept rows would change):
   * a request without a savepoint stops here; one with a savepoint writes its
   * kept rows first, so that everything stays in order.
   */
  async beforeWrite(): Promise<void> {
    if (this.deferred) throw NEEDS_SAVEPOINT;
    await this.flushWrites();
  }

  /** Before reading alerts: the kept rows must be there. */
  private async beforeAlertsRead(): Promise<void> {
    if (this.deferred && !isEmpty(this.jobWrites)) throw NEEDS_SAVEPOINT;
    await this.flushWrites();
  }

  /**
   * Writes every kept row: those of the requests done first (a failure there
   * fails the batch), then the current request's. Attachments are written
   * too, so that whatever reads or writes next (a resolution, a reopening)
   * comes after them, as they came first; those of a request without a
   * savepoint wait for it to succeed.
   */
  async flushWrites(): Promise<void> {
    this.writeAttachments(this.batchAttachments, this.batchWrites);
    if (!this.deferred) this.writeAttachments(this.jobAttachments, this.jobWrites);
    if (this.ahead.length > 0) {
      const sent = this.ahead;
      this.ahead = [];
      try {
        await Promise.all(sent);
      } catch (error) {
        throw new BatchWriteFailed(error);
      }
    }
    if (!isEmpty(this.batchWrites)) {
      const writes = this.batchWrites;
      this.batchWrites = noWrites();
      try {
        await this.write(writes);
      } catch (error) {
        throw new BatchWriteFailed(error);
      }
    }
    if (!isEmpty(this.jobWrites)) {
      const writes = this.jobWrites;
      this.jobWrites = noWrites();
      await this.write(writes);
    }
  }

  /** The rows as a few multi-row statements, sent together; their events are announced once written. */
  private write(writes: Writes): Promise<void> {
    const { alerts, timeline, events } = this.tx;
    const statements = [...alerts.insertStatements(writes.inserts), ...alerts.historyStatements(writes.histories), ...timeline.appendStatements(writes.entries)];
    const firstEvent = statements.length;
    statements.push(...events.appendStatements(writes.events));
    return this.tx.send(statements).then((results) => {
      if (writes.events.length > 0) this.live.recorded(this.tx, events.appended(writes.events, results.slice(firstEvent)));
    });
  }

  /**
   * Sends the rows of the requests done so far without waiting for them
   * (between statements, as Tx.send asks); the next flush waits, and a
   * failure there fails the batch.
   */
  private sendAhead(): void {
    const writes = this.batchWrites;
    this.batchWrites = noWrites();
    const sent = this.write(writes);
    // Seen by the flush that awaits it; until then it must not count as unhandled.
    sent.catch(() => {});
    this.ahead.push(sent);
  }

  /**
   * Sends what is left, and the repeats of the whole batch (one statement per
   * few hundred alerts, in id order), without waiting: the transaction commits
   * only once they are written, and fails if they cannot be (Tx.send).
   */
  finish(): void {
    this.writeAttachments(this.batchAttachments, this.batchWrites);
    if (!isEmpty(this.batchWrites)) this.sendAhead();
    const touches = [];
    for (const { record, touch } of this.known.values()) {
      if (record && touch) {
        touches.push({ id: record.id, at: touch.at, n: touch.n, labels: JSON.stringify(record.labels), annotations: JSON.stringify(record.annotations) });
      }
    }
    touches.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (touches.length > 0) void this.tx.send(this.tx.alerts.touchStatements(touches)).catch(() => {});
  }

  /** Every stored alert this batch read or wrote, as stored once it commits. */
  *records(): Iterable<AlertRecord> {
    for (const known of this.known.values()) if (known.record) yield known.record;
  }

  // -- one request at a time --------------------------------------------------

  /** `deferred`: the request runs without a savepoint (and stops with NEEDS_SAVEPOINT before writing anything at once). */
  beginJob(deferred: boolean): void {
    this.deferred = deferred;
    this.undo = new Map();
    this.inhibitorsNoted = 0;
  }

  commitJob(): void {
    const writes = this.jobWrites;
    this.jobWrites = noWrites();
    this.batchWrites.inserts.push(...writes.inserts);
    this.batchWrites.histories.push(...writes.histories);
    this.batchWrites.entries.push(...writes.entries);
    this.batchWrites.events.push(...writes.events);
    for (const [key, attachment] of this.jobAttachments) {
      const earlier = this.batchAttachments.get(key);
      if (earlier) earlier.alerts.push(...attachment.alerts);
      else this.batchAttachments.set(key, attachment);
    }
    this.jobAttachments = new Map();
    this.undo = null;
    this.deferred = false;
    if (rowsOf(this.batchWrites) >= SEND_AHEAD_ROWS) this.sendAhead();
  }

  /**
   * Forgets what the failed request changed. `savepoint`: its savepoint was
   * rolled back (locks taken in it may be gone, incidents may have changed).
   * `refetch`: identities it found absent are read again (another instance may
   * just have stored them).
   */
  rollbackJob(savepoint: boolean, refetch: readonly string[] = []): void {
    for (const [identity, previous] of this.undo ?? []) {
      if (previous) this.known.set(identity, previous);
      else this.known.delete(identity);
    }
    this.undo = null;
    this.deferred = false;
    this.jobWrites = noWrites();
    this.jobAttachments = new Map();
    if (this.inhibitors && this.inhibitorsNoted > 0) this.inhibitors.splice(0, this.inhibitorsNoted);
    this.inhibitorsNoted = 0;
    if (savepoint) {
      this.locked.clear();
      this.forgetIncidents();
    }
    for (const identity of refetch) if (this.known.get(identity)?.record === null) this.known.delete(identity);
  }

  // -- alert groups -------------------------------------------------------------

  classify(rules: AlertRules, alert: IncomingAlert, integration: IntegrationRecord): Classification {
    let cls = this.classified.get(alert);
    if (!cls) {
      cls = rules.classify(alert, integration);
      this.classified.set(alert, cls);
    }
    return cls;
  }

  /**
   * Locks these alert groups (in the order given: every batch sorts them the
   * same way) and reads their incidents, one statement each for all of them.
   */
  async lockGroups(groups: ReadonlyArray<AlertGroup>): Promise<void> {
    const wanted = groups.filter((g) => !this.locked.has(g.lockKey));
    if (wanted.length === 0) return;
    await this.tx.alerts.lockGroups(wanted.map((g) => g.lockKey));
    for (const g of wanted) this.locked.add(g.lockKey);
    const found = await this.tx.alerts.groupIncidents(wanted);
    for (const g of wanted) this.groups.set(g.lockKey, found.get(`${g.service}\u0000${g.groupKey}`) ?? null);
  }

  /** The group's incident as this transaction sees it; locks the group first. */
  async groupIncident(group: AlertGroup): Promise<GroupIncident | null> {
    const known = this.groups.get(group.lockKey);
    if (known !== undefined && this.locked.has(group.lockKey)) return known;
    if (!this.locked.has(group.lockKey)) {
      await this.tx.lock(group.lockKey);
      this.locked.add(group.lockKey);
    }
    const id = await this.tx.alerts.groupIncident(group.service, group.groupKey);
    const incident = id ? await this.tx.incidents.get(id) : undefined;
    const found = incident ? { id: incident.id, status: incident.status, resolvedAt: incident.resolvedAt } : null;
    this.groups.set(group.lockKey, found);
    return found;
  }

  openIncidentOf(group: AlertGroup): string | undefined {
    return this.openGroups.get(group.lockKey);
  }

  rememberOpen(group: AlertGroup, incidentId: string): void {
    this.openGroups.set(group.lockKey, incidentId);
  }

  /** Something changed incidents (a resolve, an acknowledgement, a declaration): read them again. */
  forgetIncidents(): void {
    this.openGroups.clear();
    this.groups.clear();
  }
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

/** An alert group: its service ('' for none), its key as stored, and its lock. */
export interface AlertGroup {
  service: string;
  groupKey: string;
  lockKey: string;
}

function groupOf(cls: Classification): AlertGroup {
  const service = cls.service ?? '';
  const groupKey = groupTableKey(cls.groupKey);
  return { service, groupKey, lockKey: `alert-group:${service}:${groupKey}` };
}

/**
 * The alert groups this batch may place alerts in (those of its firing alerts
 * that are not repeats of alerts already in an incident), sorted by lock key:
 * every batch and instance takes the locks in that one order, so concurrent
 * batches on PostgreSQL wait for each other instead of deadlocking.
 */
export function groupsFor(state: IngestBatchState, rules: AlertRules, jobs: ReadonlyArray<{ integration: IntegrationRecord; alerts: readonly IncomingAlert[] }>): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const { integration, alerts } of jobs) {
    for (const alert of alerts) {
      if (alert.status !== 'firing') continue;
      const stored = state.peek(integration.id, alert.dedupKey);
      if (stored && stored.status !== 'resolved' && stored.incidentId !== null) continue;
      const group = groupOf(state.classify(rules, alert, integration));
      groups.set(group.lockKey, group);
    }
  }
  return [...groups.values()].sort((a, b) => (a.lockKey < b.lockKey ? -1 : a.lockKey > b.lockKey ? 1 : 0));
}

/**
 * Applies a batch of alerts from one integration inside the caller's
 * transaction: dedup into alert records, silences, maintenance, inhibition,
 * grouping into incidents, and what resolving means for those incidents.
 */
export async function ingestAlertsIn(
  ctx: Context,
  tx: Tx,
  state: IngestBatchState,
  rules: AlertRules,
  integration: IntegrationRecord,
  alerts: readonly IncomingAlert[],
): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = [];
  for (const alert of alerts) outcomes.push(await ingestOne(ctx, tx, state, rules, integration, alert));
  return outcomes;
}

async function ingestOne(
  ctx: Context,
  tx: Tx,
  state: IngestBatchState,
  rules: AlertRules,
  integration: IntegrationRecord,
  alert: IncomingAlert,
): Promise<IngestOutcome> {
  const now = ctx.clock.now();
  const existing = await state.alert(integration.id, alert.dedupKey);
  const outcome = (result: IngestResult, record: AlertRecord | null | undefined): IngestOutcome => ({
    dedupKey: alert.dedupKey,
    alertId: record?.id ?? null,
    incidentId: record?.incidentId ?? null,
    result,
  });

  if (alert.status === 'resolved') {
    if (!existing) {
      const cls = state.classify(rules, alert, integration);
      const record = newRecord(ctx, integration, alert, cls, now, 'resolved');
      state.insert(record);
      history(ctx, state, record, 'resolved', 'Received already resolved');
      return outcome('resolved', record);
    }
    if (existing.status === 'resolved') {
      state.touch(existing, alert, now);
      return outcome('repeat', existing);
    }
    const resolved: AlertRecord = { ...refresh(existing, alert, now), status: 'resolved', endsAt: alert.endsAt ?? now, lastChangeAt: now };
    await state.save(resolved);
    history(ctx, state, resolved, 'resolved', `Resolved after ${formatDuration(now - existing.lastChangeAt)}`);
    await state.beforeWrite();
    await ctx.events.record(tx, { at: now, type: 'alert.resolved', incidentId: resolved.incidentId, data: { alertId: resolved.id, name: resolved.name } });
    if (resolved.incidentId) {
      state.forgetIncidents();
      await afterAlertResolved(ctx, tx, resolved);
    }
    return outcome('resolved', resolved);
  }

  if (alert.status === 'acknowledged') {
    if (!existing || existing.status === 'resolved') return outcome('ignored', existing);
    const acknowledged: AlertRecord = { ...refresh(existing, alert, now), status: 'acknowledged', lastChangeAt: now };
    await state.save(acknowledged);
    history(ctx, state, acknowledged, 'acknowledged', `Acknowledged at the source (${integration.name})`);
    if (acknowledged.incidentId) {
      state.forgetIncidents();
      await state.beforeWrite();
      await acknowledgeIncidentIn(ctx, tx, acknowledged.incidentId, `acknowledged in ${integration.name} (alert ${acknowledged.name})`);
    }
    return outcome('acknowledged', acknowledged);
  }

  // Firing. The common case by far is a repeat of an alert already handled.
  const stillOpen = existing !== undefined && existing.status !== 'resolved';
  if (stillOpen && existing.incidentId !== null) {
    state.touch(existing, alert, now);
    return outcome('repeat', existing);
  }

  const cls = state.classify(rules, alert, integration);
  const record: AlertRecord = existing
    ? { ...refresh(existing, alert, now), severity: cls.severity, service: cls.service, groupKey: cls.groupKey, runbook: cls.runbook }
    : newRecord(ctx, integration, alert, cls, now, 'firing');
  if (!stillOpen) {
    record.status = 'firing';
    record.lastChangeAt = now;
    record.startsAt = alert.startsAt ?? now;
    record.endsAt = null;
    record.incidentId = null;
  }

  const suppression = await suppressionOf(state, rules, cls, alert);
  const previousSuppression = existing?.suppressedBy ?? null;
  record.suppressedBy = suppression?.by ?? null;
  if (suppression) {
    if (existing) await state.save(record);
    else state.insert(record);
    if (!stillOpen || previousSuppression !== record.suppressedBy) history(ctx, state, record, suppression.result, suppression.text);
    if (!stillOpen) state.event({ at: now, type: 'alert.fired', incidentId: null, data: { alertId: record.id, name: record.name, suppressed: record.suppressedBy } });
    return outcome(suppression.result, record);
  }

  const placed = await placeInIncident(ctx, tx, state, rules, cls, record, alert);
  record.incidentId = placed.incidentId;
  if (existing) await state.save(record);
  else state.insert(record);
  state.noteFiring(record);
  history(ctx, state, record, 'fired', stillOpen ? 'No longer suppressed' : existing ? 'Fired again' : 'Fired');
  state.event({ at: now, type: 'alert.fired', incidentId: record.incidentId, data: { alertId: record.id, name: record.name } });
  return outcome(placed.result, record);
}

async function suppressionOf(
  state: IngestBatchState,
  rules: AlertRules,
  cls: Classification,
  alert: IncomingAlert,
): Promise<{ by: string; result: IngestResult; text: string } | null> {
  if (cls.dropped) return { by: 'dropped', result: 'dropped', text: 'Dropped by a route' };
  const silence = await state.silenceFor(alert.labels);
  if (silence) return { by: `silence:${silence.id}`, result: 'silenced', text: `Silenced by ${silence.id} (${silence.comment})` };
  const window = await state.maintenanceFor(cls.service);
  if (window) return { by: `maintenance:${window.id}`, result: 'maintenance', text: `In a maintenance window of ${window.service}` };
  const inhibitor = await state.inhibitorFor(rules, alert.labels);
  if (inhibitor) return { by: `inhibited:${inhibitor.id}`, result: 'inhibited', text: `Inhibited by alert ${inhibitor.name} (${inhibitor.id})` };
  return null;
}

/** Group keys come from label values (up to 8 KiB); an index entry cannot be that long, a digest can. */
const groupTableKey = (groupKey: string) =>
  groupKey.length <= 200 ? groupKey : `sha256:${createHash('sha256').update(groupKey, 'utf8').digest('hex')}`;

/** Joins the open incident of the alert's group, reopens a recently resolved one, or opens a new one. */
async function placeInIncident(
  ctx: Context,
  tx: Tx,
  state: IngestBatchState,
  rules: AlertRules,
  cls: Classification,
  record: AlertRecord,
  alert: IncomingAlert,
): Promise<{ incidentId: string; result: IngestResult }> {
  const group = groupOf(cls);
  const firingText = () => `Alert ${record.name} firing${alert.summary && alert.summary !== record.name ? `: ${alert.summary}` : ''}`;
  const alertData = () => ({ alertId: record.id, name: record.name, labels: record.labels, generatorUrl: record.generatorUrl });

  const attached = { alertId: record.id, name: record.name };
  const actor = actorLabel(ctx.actor);
  // Later alerts of a group this batch already placed: its incident is still open (and the group still locked).
  const known = state.openIncidentOf(group);
  if (known) {
    state.attach(known, actor, attached, () => timelineEntry(ctx, known, 'alert.attached', firingText(), alertData()));
    return { incidentId: known, result: 'attached' };
  }

  const incident = await state.groupIncident(group);
  const now = ctx.clock.now();
  if (incident && isOpenStatus(incident.status)) {
    state.attach(incident.id, actor, attached, () => timelineEntry(ctx, incident.id, 'alert.attached', firingText(), alertData()));
    state.rememberOpen(group, incident.id);
    return { incidentId: incident.id, result: 'attached' };
  }
  await state.beforeWrite();
  state.forgetIncidents();
  if (incident && incident.status === 'resolved' && incident.resolvedAt !== null && now - incident.resolvedAt <= rules.reopenWindowMs) {
    const reopened = await changeStatusIn(ctx, tx, incident.id, 'investigating');
    await appendTimeline(ctx, tx, incident.id, 'alert.attached', `${firingText()} (within ${formatDuration(rules.reopenWindowMs)} of resolving: reopened)`, alertData());
    if (isOpenStatus(reopened.status)) state.rememberOpen(group, reopened.id);
    return { incidentId: incident.id, result: 'reopened' };
  }
  const opened = await declareIncidentIn(ctx, tx, {
    title: cls.title,
    severity: cls.severity,
    services: cls.service ? [cls.service] : [],
    summary: cls.summary,
  });
  await tx.alerts.setGroupIncident(group.service, group.groupKey, opened.id, now);
  await appendTimeline(ctx, tx, opened.id, 'alert.attached', firingText(), { ...alertData(), runbook: cls.runbook });
  if (isOpenStatus(opened.status)) state.rememberOpen(group, opened.id);
  return { incidentId: opened.id, result: 'opened' };
}

/** What appendTimeline writes, to be written with the batch's other rows. */
function timelineEntry(ctx: Context, incidentId: string, kind: string, text: string, data: Record<string, unknown>): TimelineEntry {
  return { id: ctx.newId(), incidentId, at: ctx.clock.now(), actor: actorLabel(ctx.actor), kind, text, data };
}

/** When the last alert of an incident resolves, say so and do what the service asks. */
async function afterAlertResolved(ctx: Context, tx: Tx, alert: AlertRecord): Promise<void> {
  const incidentId = alert.incidentId!;
  await appendTimeline(ctx, tx, incidentId, 'alert.resolved', `Alert ${alert.name} resolved`, { alertId: alert.id, name: alert.name });
  if ((await tx.alerts.countOpenForIncident(incidentId)) > 0) return;
  const incident = await tx.incidents.get(incidentId);
  if (!incident || !isOpenStatus(incident.status)) return;
  const total = (await tx.alerts.forIncident(incidentId)).length;
  await appendTimeline(ctx, tx, incidentId, 'alerts.resolved', `All ${total} alert${total === 1 ? '' : 's'} of this incident resolved`, { total });
  const service = incident.services[0] ? ctx.config().service(incident.services[0]) : undefined;
  const action = service?.onAllAlertsResolved ?? 'monitoring';
  if (action === 'resolve') await changeStatusIn(ctx, tx, incidentId, 'resolved');
  else if (action === 'monitoring' && incident.status !== 'monitoring') await changeStatusIn(ctx, tx, incidentId, 'monitoring');
}

function newRecord(
  ctx: Context,
  integration: IntegrationRecord,
  alert: IncomingAlert,
  cls: Classification,
  now: number,
  status: AlertRecord['status'],
): AlertRecord {
  return {
    id: ctx.newId(),
    integrationId: integration.id,
    dedupKey: alert.dedupKey,
    name: cls.name,
    status,
    severity: cls.severity,
    service: cls.service,
    summary: alert.summary ?? cls.name,
    labels: alert.labels,
    annotations: alert.annotations,
    details: detailsOf(alert),
    groupKey: cls.groupKey,
    runbook: cls.runbook,
    generatorUrl: alert.generatorUrl,
    startsAt: alert.startsAt ?? now,
    endsAt: status === 'resolved' ? (alert.endsAt ?? now) : null,
    firstSeenAt: now,
    lastSeenAt: now,
    lastChangeAt: now,
    count: 1,
    suppressedBy: null,
    incidentId: null,
  };
}

function refresh(existing: AlertRecord, alert: IncomingAlert, now: number): AlertRecord {
  return {
    ...existing,
    labels: alert.labels,
    annotations: alert.annotations,
    summary: alert.summary ?? existing.summary,
    details: detailsOf(alert),
    generatorUrl: alert.generatorUrl ?? existing.generatorUrl,
    lastSeenAt: now,
    count: existing.count + 1,
  };
}

const detailsOf = (alert: IncomingAlert): Record<string, unknown> => ({
  ...alert.details,
  ...(alert.links.length ? { links: alert.links } : {}),
  ...(alert.images.length ? { images: alert.images } : {}),
  ...(alert.externalUrl ? { externalUrl: alert.externalUrl } : {}),
  ...(alert.sourceSeverity ? { sourceSeverity: alert.sourceSeverity } : {}),
});

function history(ctx: Context, state: IngestBatchState, alert: AlertRecord, kind: string, text: string): void {
  state.history({ id: ctx.newId(), alertId: alert.id, at: ctx.clock.now(), kind, text, data: { incidentId: alert.incidentId, suppressedBy: alert.suppressedBy } });
}
