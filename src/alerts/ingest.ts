import { createHash } from 'node:crypto';
import type { Context } from '../core/context.ts';
import { formatDuration } from '../core/duration.ts';
import {
  acknowledgeIncidentIn,
  appendTimeline,
  changeStatusIn,
  declareIncidentIn,
  isOpenStatus,
} from '../incidents/index.ts';
import type { AlertRecord, IntegrationRecord, MaintenanceWindowRecord, SilenceRecord, Tx } from '../store/index.ts';
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

/**
 * What one ingest transaction looks up once and shares between the requests
 * it commits together: silences, maintenance windows, inhibiting alerts.
 */
export class IngestBatchState {
  private silences: SilenceRecord[] | null = null;
  private windows: MaintenanceWindowRecord[] | null = null;
  private inhibitors: AlertRecord[] | null = null;

  constructor(
    private readonly tx: Tx,
    private readonly now: number,
  ) {}

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
    this.inhibitors ??= await this.tx.alerts.firingUnsuppressed(5000);
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
    if (this.inhibitors && alert.suppressedBy === null) this.inhibitors.unshift(alert);
  }
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

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
  alerts: IncomingAlert[],
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
  const existing = await tx.alerts.findByIdentity(integration.id, alert.dedupKey);
  const outcome = (result: IngestResult, record: AlertRecord | null | undefined): IngestOutcome => ({
    dedupKey: alert.dedupKey,
    alertId: record?.id ?? null,
    incidentId: record?.incidentId ?? null,
    result,
  });

  if (alert.status === 'resolved') {
    if (!existing) {
      const cls = rules.classify(alert, integration);
      const record = newRecord(ctx, integration, alert, cls, now, 'resolved');
      await tx.alerts.insert(record);
      await history(ctx, tx, record, 'resolved', 'Received already resolved');
      return outcome('resolved', record);
    }
    if (existing.status === 'resolved') {
      await tx.alerts.touch(existing.id, now, alert.labels, alert.annotations);
      return outcome('repeat', existing);
    }
    const resolved: AlertRecord = { ...refresh(existing, alert, now), status: 'resolved', endsAt: alert.endsAt ?? now, lastChangeAt: now };
    await tx.alerts.save(resolved);
    await history(ctx, tx, resolved, 'resolved', `Resolved after ${formatDuration(now - existing.lastChangeAt)}`);
    await ctx.events.record(tx, { at: now, type: 'alert.resolved', incidentId: resolved.incidentId, data: { alertId: resolved.id, name: resolved.name } });
    if (resolved.incidentId) await afterAlertResolved(ctx, tx, resolved);
    return outcome('resolved', resolved);
  }

  if (alert.status === 'acknowledged') {
    if (!existing || existing.status === 'resolved') return outcome('ignored', existing);
    const acknowledged: AlertRecord = { ...refresh(existing, alert, now), status: 'acknowledged', lastChangeAt: now };
    await tx.alerts.save(acknowledged);
    await history(ctx, tx, acknowledged, 'acknowledged', `Acknowledged at the source (${integration.name})`);
    if (acknowledged.incidentId) {
      await acknowledgeIncidentIn(ctx, tx, acknowledged.incidentId, `acknowledged in ${integration.name} (alert ${acknowledged.name})`);
    }
    return outcome('acknowledged', acknowledged);
  }

  // Firing. The common case by far is a repeat of an alert already handled.
  const stillOpen = existing !== undefined && existing.status !== 'resolved';
  if (stillOpen && existing.incidentId !== null) {
    await tx.alerts.touch(existing.id, now, alert.labels, alert.annotations);
    return outcome('repeat', existing);
  }

  const cls = rules.classify(alert, integration);
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
    if (existing) await tx.alerts.save(record);
    else await tx.alerts.insert(record);
    if (!stillOpen || previousSuppression !== record.suppressedBy) await history(ctx, tx, record, suppression.result, suppression.text);
    if (!stillOpen) await ctx.events.record(tx, { at: now, type: 'alert.fired', incidentId: null, data: { alertId: record.id, name: record.name, suppressed: record.suppressedBy } });
    return outcome(suppression.result, record);
  }

  const placed = await placeInIncident(ctx, tx, rules, cls, record, alert);
  record.incidentId = placed.incidentId;
  if (existing) await tx.alerts.save(record);
  else await tx.alerts.insert(record);
  state.noteFiring(record);
  await history(ctx, tx, record, 'fired', stillOpen ? 'No longer suppressed' : existing ? 'Fired again' : 'Fired');
  await ctx.events.record(tx, { at: now, type: 'alert.fired', incidentId: record.incidentId, data: { alertId: record.id, name: record.name } });
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
  rules: AlertRules,
  cls: Classification,
  record: AlertRecord,
  alert: IncomingAlert,
): Promise<{ incidentId: string; result: IngestResult }> {
  const groupService = cls.service ?? '';
  const groupKey = groupTableKey(cls.groupKey);
  await tx.lock(`alert-group:${groupService}:${groupKey}`);
  const now = ctx.clock.now();
  const groupIncidentId = await tx.alerts.groupIncident(groupService, groupKey);
  const incident = groupIncidentId ? await tx.incidents.get(groupIncidentId) : undefined;
  const firingText = `Alert ${record.name} firing${alert.summary && alert.summary !== record.name ? `: ${alert.summary}` : ''}`;
  const alertData = { alertId: record.id, name: record.name, labels: record.labels, generatorUrl: record.generatorUrl };

  if (incident && isOpenStatus(incident.status)) {
    await appendTimeline(ctx, tx, incident.id, 'alert.attached', firingText, alertData);
    return { incidentId: incident.id, result: 'attached' };
  }
  if (incident && incident.status === 'resolved' && incident.resolvedAt !== null && now - incident.resolvedAt <= rules.reopenWindowMs) {
    await changeStatusIn(ctx, tx, incident.id, 'investigating');
    await appendTimeline(ctx, tx, incident.id, 'alert.attached', `${firingText} (within ${formatDuration(rules.reopenWindowMs)} of resolving: reopened)`, alertData);
    return { incidentId: incident.id, result: 'reopened' };
  }
  const opened = await declareIncidentIn(ctx, tx, {
    title: cls.title,
    severity: cls.severity,
    services: cls.service ? [cls.service] : [],
    summary: cls.summary,
  });
  await tx.alerts.setGroupIncident(groupService, groupKey, opened.id, now);
  await appendTimeline(ctx, tx, opened.id, 'alert.attached', firingText, { ...alertData, runbook: cls.runbook });
  return { incidentId: opened.id, result: 'opened' };
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

async function history(ctx: Context, tx: Tx, alert: AlertRecord, kind: string, text: string): Promise<void> {
  await tx.alerts.appendHistory({ id: ctx.newId(), alertId: alert.id, at: ctx.clock.now(), kind, text, data: { incidentId: alert.incidentId, suppressedBy: alert.suppressedBy } });
}
