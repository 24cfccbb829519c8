/**
 * Reports over a period: incidents by severity and service, time to acknowledge and
 * to resolve, SLA compliance per clock, breaches, alert noise and on-call load. Read
 * only; computed from the store on request.
 */
import { repeatsWritten } from '../alerts/pipeline.ts';
import type { Context } from '../core/context.ts';
import { invalid } from '../core/errors.ts';
import { CLOCK_LABELS } from '../incidents/clocks.ts';
import type { AlertRecord, IncidentRecord, PageRecord, SlaClockRecord } from '../store/index.ts';

export interface ReportQuery {
  from: number;
  to: number;
  service?: string;
  severity?: string;
}

export interface Durations {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface IncidentRow {
  id: string;
  title: string;
  severity: string;
  status: string;
  services: string[];
  declaredAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  timeToAcknowledgeMs: number | null;
  timeToResolveMs: number | null;
  alerts: number;
  breaches: number;
}

export interface Report {
  from: string;
  to: string;
  filters: { service: string | null; severity: string | null };
  incidents: { total: number; open: number; bySeverity: Record<string, number>; byService: Record<string, number> };
  timeToAcknowledge: Durations;
  timeToResolve: Durations;
  sla: Array<{ kind: string; label: string; metInTime: number; metLate: number; breached: number; pending: number; compliance: number | null }>;
  breaches: Array<{ incidentId: string; kind: string; dueAt: string; breachedAt: string | null }>;
  alerts: {
    total: number;
    perIncident: number | null;
    noisiest: Array<{ name: string; alerts: number; occurrences: number; incidents: number }>;
    /** Alerts that opened nothing (silenced, inhibited, in maintenance) or whose incident resolved without anyone acknowledging it. */
    withoutAction: Array<{ name: string; alerts: number; reason: string }>;
  };
  oncall: Array<{ userId: string; name: string; pages: number; nightPages: number; incidents: number }>;
  /** The period cut into days (up to 31 days), weeks (up to 26 weeks) or 30-day months, oldest first. */
  trend: { interval: 'day' | 'week' | 'month'; buckets: TrendBucket[] };
  rows: IncidentRow[];
}

export interface TrendBucket {
  from: string;
  to: string;
  /** Incidents declared in the bucket, and of them: */
  incidents: number;
  meanTimeToAcknowledgeMs: number | null;
  meanTimeToResolveMs: number | null;
  /** Their SLA clocks met in time, of those met or breached; null when none was. */
  slaCompliance: number | null;
  breaches: number;
  /** Alerts last seen in the bucket. */
  alerts: number;
}

const DAY_MS = 86_400_000;

function trendOf(query: ReportQuery, incidents: readonly IncidentRecord[], clocksByIncident: ReadonlyMap<string, SlaClockRecord[]>, alerts: readonly AlertRecord[]): Report['trend'] {
  const span = query.to - query.from;
  const interval = span <= 31 * DAY_MS ? 'day' : span <= 26 * 7 * DAY_MS ? 'week' : 'month';
  const size = interval === 'day' ? DAY_MS : interval === 'week' ? 7 * DAY_MS : 30 * DAY_MS;
  const count = Math.max(1, Math.ceil(span / size));
  const slot = (at: number) => Math.min(count - 1, Math.max(0, Math.floor((at - query.from) / size)));
  const declared = Array.from({ length: count }, () => [] as IncidentRecord[]);
  for (const incident of incidents) declared[slot(incident.declaredAt)]!.push(incident);
  const alertCounts = new Array<number>(count).fill(0);
  for (const alert of alerts) alertCounts[slot(alert.lastSeenAt)]! += 1;
  const mean = (values: number[]) => (values.length === 0 ? null : Math.round(values.reduce((a, b) => a + b, 0) / values.length));
  const buckets = declared.map((group, index) => {
    const clocks = group.flatMap((incident) => clocksByIncident.get(incident.id) ?? []);
    const inTime = clocks.filter((c) => c.state === 'met' && c.metAt !== null && c.metAt <= c.dueAt).length;
    const judged = clocks.filter((c) => c.state === 'met' || c.state === 'breached').length;
    return {
      from: iso(query.from + index * size)!,
      to: iso(Math.min(query.to, query.from + (index + 1) * size))!,
      incidents: group.length,
      meanTimeToAcknowledgeMs: mean(group.flatMap((i) => (i.acknowledgedAt === null ? [] : [i.acknowledgedAt - i.declaredAt]))),
      meanTimeToResolveMs: mean(group.flatMap((i) => (i.resolvedAt === null ? [] : [i.resolvedAt - i.declaredAt]))),
      slaCompliance: judged === 0 ? null : inTime / judged,
      breaches: clocks.filter((c) => c.state === 'breached').length,
      alerts: alertCounts[index]!,
    };
  });
  return { interval, buckets };
}

const MAX_RANGE_MS = 366 * 86_400_000;
const MAX_INCIDENTS = 50_000;
const MAX_ALERTS = 200_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function durations(values: number[]): Durations {
  if (values.length === 0) return { count: 0, meanMs: null, medianMs: null, p90Ms: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, meanMs: Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length), medianMs: at(50), p90Ms: at(90) };
}

/** 22:00 to 07:00 in the person's own time zone (UTC when the config gives none). */
function isNight(at: number, timeZone: string | undefined): boolean {
  const hour = Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: timeZone ?? 'UTC' }).format(at));
  return hour >= 22 || hour < 7;
}

async function incidentsIn(ctx: Context, query: ReportQuery): Promise<IncidentRecord[]> {
  const found: IncidentRecord[] = [];
  for (;;) {
    const last = found.at(-1);
    const page = await ctx.store.repos.incidents.list({
      declaredFrom: query.from,
      declaredTo: query.to,
      service: query.service,
      severities: query.severity === undefined ? undefined : [query.severity],
      after: last ? { declaredAt: last.declaredAt, id: last.id } : undefined,
      limit: 1000,
    });
    found.push(...page);
    if (page.length < 1000 || found.length >= MAX_INCIDENTS) return found;
  }
}

async function alertsIn(ctx: Context, query: ReportQuery): Promise<AlertRecord[]> {
  // Repeats answered from memory reach the store within a second; count them in.
  await repeatsWritten(ctx.store);
  const found: AlertRecord[] = [];
  for (;;) {
    const last = found.at(-1);
    const page = await ctx.store.repos.alerts.list({
      seenFrom: query.from,
      seenTo: query.to,
      service: query.service,
      after: last ? { lastSeenAt: last.lastSeenAt, id: last.id } : undefined,
      limit: 1000,
    });
    found.push(...page);
    if (page.length < 1000 || found.length >= MAX_ALERTS) return found;
  }
}

export async function buildReport(ctx: Context, query: ReportQuery): Promise<Report> {
  if (!(query.to > query.from)) throw invalid('"to" must be after "from"', { fields: ['from', 'to'] });
  if (query.to - query.from > MAX_RANGE_MS) throw invalid('A report covers at most 366 days', { fields: ['from', 'to'] });
  const config = ctx.config();
  const incidents = await incidentsIn(ctx, query);
  const ids = incidents.map((incident) => incident.id);
  const clocksByIncident = ids.length === 0 ? new Map<string, SlaClockRecord[]>() : await ctx.store.repos.clocks.forIncidents(ids);
  const alerts = (await alertsIn(ctx, query)).filter((alert) => query.severity === undefined || alert.severity.toLowerCase() === query.severity.toLowerCase());
  const pages: PageRecord[] = (await ctx.store.repos.paging.pagesBetween(query.from, query.to)).filter((page) => ids.includes(page.incidentId) || (query.service === undefined && query.severity === undefined));

  const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  const bySeverity: Record<string, number> = {};
  const byService: Record<string, number> = {};
  for (const incident of incidents) {
    count(bySeverity, incident.severity);
    for (const service of incident.services.length > 0 ? incident.services : ['(none)']) count(byService, service);
  }

  const clocks = [...clocksByIncident.values()].flat();
  const sla = (Object.keys(CLOCK_LABELS) as Array<keyof typeof CLOCK_LABELS>).flatMap((kind) => {
    const ofKind = clocks.filter((clock) => clock.kind === kind);
    if (ofKind.length === 0) return [];
    const metInTime = ofKind.filter((c) => c.state === 'met' && c.metAt !== null && c.metAt <= c.dueAt).length;
    const metLate = ofKind.filter((c) => c.state === 'met' && c.metAt !== null && c.metAt > c.dueAt).length;
    const breached = ofKind.filter((c) => c.state === 'breached').length;
    const judged = metInTime + metLate + breached;
    return [{ kind, label: CLOCK_LABELS[kind], metInTime, metLate, breached, pending: ofKind.filter((c) => c.state === 'pending').length, compliance: judged === 0 ? null : metInTime / judged }];
  });
  const breaches = clocks
    .filter((clock) => clock.state === 'breached' || (clock.state === 'met' && clock.metAt !== null && clock.metAt > clock.dueAt))
    .map((clock) => ({ incidentId: clock.incidentId, kind: clock.kind, dueAt: iso(clock.dueAt)!, breachedAt: iso(clock.breachedAt) }));

  const byId = new Map(incidents.map((incident) => [incident.id, incident]));
  const noise = new Map<string, { alerts: number; occurrences: number; incidents: Set<string> }>();
  const withoutAction = new Map<string, { alerts: number; reasons: Set<string> }>();
  for (const alert of alerts) {
    const entry = noise.get(alert.name) ?? { alerts: 0, occurrences: 0, incidents: new Set<string>() };
    entry.alerts += 1;
    entry.occurrences += alert.count;
    if (alert.incidentId !== null) entry.incidents.add(alert.incidentId);
    noise.set(alert.name, entry);
    const incident = alert.incidentId === null ? undefined : byId.get(alert.incidentId);
    const reason =
      alert.incidentId === null
        ? (alert.suppressedBy ?? 'opened no incident')
        : incident && incident.resolvedAt !== null && incident.acknowledgedAt === null
          ? 'incident resolved without an acknowledgement'
          : null;
    if (reason !== null) {
      const unacted = withoutAction.get(alert.name) ?? { alerts: 0, reasons: new Set<string>() };
      unacted.alerts += 1;
      unacted.reasons.add(reason.replace(/:.*/, ''));
      withoutAction.set(alert.name, unacted);
    }
  }
  const alertCounts = new Map<string, number>();
  for (const alert of alerts) if (alert.incidentId !== null) alertCounts.set(alert.incidentId, (alertCounts.get(alert.incidentId) ?? 0) + 1);

  const load = new Map<string, { pages: number; nightPages: number; incidents: Set<string> }>();
  for (const page of pages) {
    const entry = load.get(page.userId) ?? { pages: 0, nightPages: 0, incidents: new Set<string>() };
    entry.pages += 1;
    if (isNight(page.createdAt, config.user(page.userId)?.timezone)) entry.nightPages += 1;
    entry.incidents.add(page.incidentId);
    load.set(page.userId, entry);
  }

  const rows: IncidentRow[] = incidents.map((incident) => ({
    id: incident.id,
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    services: incident.services,
    declaredAt: iso(incident.declaredAt)!,
    acknowledgedAt: iso(incident.acknowledgedAt),
    resolvedAt: iso(incident.resolvedAt),
    timeToAcknowledgeMs: incident.acknowledgedAt === null ? null : incident.acknowledgedAt - incident.declaredAt,
    timeToResolveMs: incident.resolvedAt === null ? null : incident.resolvedAt - incident.declaredAt,
    alerts: alertCounts.get(incident.id) ?? 0,
    breaches: (clocksByIncident.get(incident.id) ?? []).filter((clock) => clock.state === 'breached').length,
  }));

  return {
    from: iso(query.from)!,
    to: iso(query.to)!,
    filters: { service: query.service ?? null, severity: query.severity ?? null },
    incidents: { total: incidents.length, open: incidents.filter((i) => i.resolvedAt === null).length, bySeverity, byService },
    timeToAcknowledge: durations(rows.flatMap((row) => (row.timeToAcknowledgeMs === null ? [] : [row.timeToAcknowledgeMs]))),
    timeToResolve: durations(rows.flatMap((row) => (row.timeToResolveMs === null ? [] : [row.timeToResolveMs]))),
    sla,
    breaches,
    alerts: {
      total: alerts.length,
      perIncident: incidents.length === 0 ? null : Math.round((100 * [...alertCounts.values()].reduce((a, b) => a + b, 0)) / incidents.length) / 100,
      noisiest: [...noise]
        .map(([name, entry]) => ({ name, alerts: entry.alerts, occurrences: entry.occurrences, incidents: entry.incidents.size }))
        .sort((a, b) => b.occurrences - a.occurrences || a.name.localeCompare(b.name))
        .slice(0, 20),
      withoutAction: [...withoutAction]
        .map(([name, entry]) => ({ name, alerts: entry.alerts, reason: [...entry.reasons].sort().join('; ') }))
        .sort((a, b) => b.alerts - a.alerts || a.name.localeCompare(b.name))
        .slice(0, 20),
    },
    oncall: [...load]
      .map(([userId, entry]) => ({ userId, name: config.user(userId)?.name ?? userId, pages: entry.pages, nightPages: entry.nightPages, incidents: entry.incidents.size }))
      .sort((a, b) => b.pages - a.pages || a.userId.localeCompare(b.userId)),
    trend: trendOf(query, incidents, clocksByIncident, alerts),
    rows,
  };
}

export type ReportTable = 'incidents' | 'sla' | 'alerts' | 'oncall';
export const REPORT_TABLES: readonly ReportTable[] = ['incidents', 'sla', 'alerts', 'oncall'];

/** RFC 4180 fields; a leading = + - @ is quoted with a ' so spreadsheets do not run it as a formula. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csv = (header: string[], rows: unknown[][]): string => [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';

export function reportCsv(report: Report, table: ReportTable): string {
  switch (table) {
    case 'incidents':
      return csv(
        ['id', 'title', 'severity', 'status', 'services', 'declared_at', 'acknowledged_at', 'resolved_at', 'time_to_acknowledge_s', 'time_to_resolve_s', 'alerts', 'breaches'],
        report.rows.map((r) => [r.id, r.title, r.severity, r.status, r.services, r.declaredAt, r.acknowledgedAt, r.resolvedAt, r.timeToAcknowledgeMs === null ? null : r.timeToAcknowledgeMs / 1000, r.timeToResolveMs === null ? null : r.timeToResolveMs / 1000, r.alerts, r.breaches]),
      );
    case 'sla':
      return csv(['clock', 'met_in_time', 'met_late', 'breached', 'pending', 'compliance'], report.sla.map((s) => [s.kind, s.metInTime, s.metLate, s.breached, s.pending, s.compliance]));
    case 'alerts':
      return csv(['alert', 'alerts', 'occurrences', 'incidents'], report.alerts.noisiest.map((a) => [a.name, a.alerts, a.occurrences, a.incidents]));
    case 'oncall':
      return csv(['user', 'name', 'pages', 'night_pages', 'incidents'], report.oncall.map((o) => [o.userId, o.name, o.pages, o.nightPages, o.incidents]));
  }
}
