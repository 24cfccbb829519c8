import { formatAge, formatLocalTime, formatRelative, formatTable, formatWhen, indent, parseTime, truncate } from './output.ts';
import type { Style, TimeContext } from './output.ts';

/** The incident as the API presents it (times are ISO-8601 UTC). */
export interface SlaClock {
  kind: string;
  seq: number;
  startedAt: string;
  dueAt: string;
  state: 'pending' | 'met' | 'breached' | 'cancelled';
  metAt: string | null;
  breachedAt: string | null;
}

export interface Incident {
  id: string;
  title: string;
  summary: string;
  severity: string;
  status: string;
  services: string[];
  roles: Record<string, string>;
  declaredAt: string;
  declaredBy: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  identifiedAt: string | null;
  mitigatedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  lastUpdateAt: string | null;
  updatedAt: string;
  version: number;
  clocks: SlaClock[];
  allowedTransitions: string[];
}

export interface TimelineEntry {
  id: string;
  at: string;
  actor: unknown;
  kind: string;
  text: string;
  data: unknown;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ViewContext extends TimeContext {
  readonly style: Style;
}

const TITLE_WIDTH = 60;

export function renderIncidentTable(incidents: readonly Incident[], view: ViewContext): string {
  if (incidents.length === 0) return 'No incidents.';
  const rows = incidents.map((incident) => [
    incident.id,
    incident.severity,
    colorStatus(incident.status, view.style),
    truncate(incident.title, TITLE_WIDTH),
    ageOf(incident.declaredAt, view.now),
    ackCell(incident, view),
  ]);
  return formatTable(['ID', 'SEV', 'STATUS', 'TITLE', 'AGE', 'ACK'], rows);
}

function ackCell(incident: Incident, view: ViewContext): string {
  const at = parseTime(incident.acknowledgedAt);
  if (at !== undefined) return formatRelative(at, view.now);
  return incident.resolvedAt || incident.closedAt ? '-' : view.style.red('no');
}

const ageOf = (iso: string, now: number): string => {
  const at = parseTime(iso);
  return at === undefined ? '-' : formatAge(now - at);
};

/** Red while the cause is unknown or unfixed, yellow once a fix is under way, green when over. */
export function colorStatus(status: string, style: Style): string {
  if (status === 'resolved' || status === 'closed') return style.green(status);
  if (status === 'mitigating' || status === 'monitoring') return style.yellow(status);
  return style.red(status);
}

export function renderIncident(incident: Incident, timeline: readonly TimelineEntry[], view: ViewContext): string {
  return [renderHeader(incident, view), renderClocks(incident.clocks, view), renderRoles(incident.roles, view), renderTimeline(timeline, view)].join('\n\n');
}

function renderHeader(incident: Incident, view: ViewContext): string {
  const next = incident.allowedTransitions.length > 0 ? `  (next: ${incident.allowedTransitions.join(', ')})` : '';
  const fields: [string, string][] = [
    ['severity', incident.severity],
    ['status', colorStatus(incident.status, view.style) + view.style.dim(next)],
    ['services', incident.services.length > 0 ? incident.services.join(', ') : '-'],
    ['declared', `${formatWhen(incident.declaredAt, view)} by ${incident.declaredBy}`],
    ['acknowledged', byWhom(incident.acknowledgedAt, incident.acknowledgedBy, view)],
  ];
  const milestones: [string, string | null][] = [
    ['identified', incident.identifiedAt],
    ['mitigated', incident.mitigatedAt],
    ['resolved', incident.resolvedAt],
    ['closed', incident.closedAt],
    ['last update', incident.lastUpdateAt],
  ];
  for (const [label, at] of milestones) if (at) fields.push([label, formatWhen(at, view)]);
  fields.push(['updated', `${formatWhen(incident.updatedAt, view)}, version ${incident.version}`]);
  if (incident.summary) fields.push(['summary', incident.summary]);
  return [view.style.bold(`${incident.id}  ${incident.title}`), indent(formatTable(null, fields))].join('\n');
}

function byWhom(iso: string | null, actor: string | null, view: ViewContext): string {
  if (!iso) return '-';
  return actor ? `${formatWhen(iso, view)} by ${actor}` : formatWhen(iso, view);
}

function renderClocks(clocks: readonly SlaClock[], view: ViewContext): string {
  if (clocks.length === 0) return `${view.style.bold('SLA clocks')}\n  (none)`;
  const rows = clocks.map((clock) => [
    clock.seq > 1 ? `${clock.kind} #${clock.seq}` : clock.kind,
    formatWhen(clock.dueAt, view),
    clockState(clock, view),
    clock.metAt ? formatWhen(clock.metAt, view) : clock.breachedAt ? formatWhen(clock.breachedAt, view) : '',
  ]);
  return `${view.style.bold('SLA clocks')}\n${indent(formatTable(['KIND', 'DUE', 'STATE', 'MET/BREACHED AT'], rows))}`;
}

function clockState(clock: SlaClock, view: ViewContext): string {
  if (clock.state === 'met') return view.style.green('met');
  if (clock.state === 'breached') return view.style.red('breached');
  if (clock.state === 'cancelled') return view.style.dim('cancelled');
  const due = parseTime(clock.dueAt);
  // The server marks a breach when its timer fires; until then say what the clock already shows.
  return due !== undefined && due < view.now ? view.style.red('pending (overdue)') : view.style.yellow(clock.state);
}

function renderRoles(roles: Readonly<Record<string, string>>, view: ViewContext): string {
  const rows = Object.entries(roles).map(([role, assignee]) => [role, assignee]);
  return `${view.style.bold('Roles')}\n${rows.length === 0 ? '  (none assigned)' : indent(formatTable(null, rows))}`;
}

function renderTimeline(entries: readonly TimelineEntry[], view: ViewContext): string {
  if (entries.length === 0) return `${view.style.bold('Timeline')}\n  (empty)`;
  const rows = entries.map((entry) => {
    const at = parseTime(entry.at);
    const when = at === undefined ? entry.at : formatLocalTime(at, { timeZone: view.timeZone });
    return [view.style.dim(when), actorName(entry.actor), entry.kind, entry.text];
  });
  return `${view.style.bold('Timeline')}\n${indent(formatTable(null, rows))}`;
}

/** Timeline actors are labels (`token:alice`); accept an object form too rather than print [object Object]. */
export function actorName(actor: unknown): string {
  if (typeof actor === 'string') return actor;
  if (typeof actor === 'object' && actor !== null) {
    const { kind, name } = actor as { kind?: unknown; name?: unknown };
    if (typeof name === 'string') return typeof kind === 'string' ? `${kind}:${name}` : name;
  }
  return JSON.stringify(actor);
}
