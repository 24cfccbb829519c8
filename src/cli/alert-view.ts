import { formatRelative, formatTable, formatWhen, indent, parseTime, printable, truncate, formatLocalTime } from './output.ts';
import type { Style, TimeContext } from './output.ts';

/**
 * Alerts, silences, maintenance windows and integrations as the API presents
 * them (times are ISO-8601 UTC), and how the CLI shows them. Everything that
 * came from a monitoring system goes through `printable`, so a label cannot
 * drive the terminal.
 */

export interface Alert {
  id: string;
  integrationId: string;
  dedupKey: string;
  name: string;
  status: string;
  severity: string;
  service: string | null;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  details: Record<string, unknown>;
  groupKey: string;
  runbook: string | null;
  generatorUrl: string | null;
  startsAt: string | null;
  endsAt: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  count: number;
  suppressedBy: string | null;
  incidentId: string | null;
}

export interface AlertHistoryEntry {
  id: string;
  at: string;
  kind: string;
  text: string;
}

export interface MatcherJson {
  name: string;
  op: string;
  value: string;
}

export interface Silence {
  id: string;
  matchers: MatcherJson[];
  startsAt: string;
  endsAt: string;
  state: string;
  createdBy: string;
  comment: string;
  createdAt: string;
  expiredAt: string | null;
}

export interface MaintenanceWindow {
  id: string;
  service: string;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  createdAt: string;
  cancelledAt: string | null;
}

export interface Integration {
  id: string;
  kind: string;
  name: string;
  service: string | null;
  keyPrefix: string;
  mapping: Record<string, unknown> | null;
  createdAt: string;
  createdBy: string;
  deletedAt: string | null;
}

export interface ViewContext extends TimeContext {
  readonly style: Style;
}

const NAME_WIDTH = 40;
const COMMENT_WIDTH = 50;

const relative = (iso: string | null | undefined, now: number): string => {
  const at = parseTime(iso);
  return at === undefined ? '-' : formatRelative(at, now);
};

/** Red while firing, yellow once acknowledged, green when resolved. */
export function colorAlertStatus(status: string, style: Style): string {
  if (status === 'resolved') return style.green(status);
  if (status === 'acknowledged') return style.yellow(status);
  return style.red(status);
}

export function renderAlertTable(alerts: readonly Alert[], view: ViewContext): string {
  if (alerts.length === 0) return 'No alerts.';
  const rows = alerts.map((alert) => [
    alert.id,
    colorAlertStatus(alert.status, view.style),
    alert.severity,
    printable(truncate(alert.name, NAME_WIDTH)),
    alert.service ?? '-',
    String(alert.count),
    relative(alert.lastSeenAt, view.now),
    alert.incidentId ?? '-',
    alert.suppressedBy === null ? '-' : view.style.dim(alert.suppressedBy),
  ]);
  return formatTable(['ID', 'STATUS', 'SEV', 'NAME', 'SERVICE', 'COUNT', 'LAST SEEN', 'INCIDENT', 'SUPPRESSED'], rows);
}

export function renderAlert(alert: Alert, history: readonly AlertHistoryEntry[], view: ViewContext): string {
  const { style } = view;
  const fields: [string, string][] = [
    ['status', colorAlertStatus(alert.status, style)],
    ['severity', alert.severity],
    ['service', alert.service ?? '-'],
    ['summary', printable(alert.summary)],
    ['incident', alert.incidentId ?? '-'],
    ['suppressed', alert.suppressedBy ?? 'no'],
    ['count', String(alert.count)],
    ['started', formatWhen(alert.startsAt, view)],
  ];
  if (alert.endsAt) fields.push(['ended', formatWhen(alert.endsAt, view)]);
  fields.push(
    ['first seen', formatWhen(alert.firstSeenAt, view)],
    ['last seen', formatWhen(alert.lastSeenAt, view)],
    ['integration', alert.integrationId],
    ['dedup key', printable(alert.dedupKey)],
    ['group key', printable(alert.groupKey)],
  );
  if (alert.runbook) fields.push(['runbook', printable(alert.runbook)]);
  if (alert.generatorUrl) fields.push(['source', printable(alert.generatorUrl)]);
  return [
    style.bold(`${alert.id}  ${printable(alert.name)}`) + '\n' + indent(formatTable(null, fields)),
    section('Labels', alert.labels, style),
    section('Annotations', alert.annotations, style),
    renderHistory(history, view),
  ].join('\n\n');
}

function section(title: string, entries: Readonly<Record<string, string>>, style: Style): string {
  const rows = Object.entries(entries)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => [printable(name), printable(value)]);
  return `${style.bold(title)}\n${rows.length === 0 ? '  (none)' : indent(formatTable(null, rows))}`;
}

function renderHistory(entries: readonly AlertHistoryEntry[], view: ViewContext): string {
  if (entries.length === 0) return `${view.style.bold('History')}\n  (empty)`;
  const rows = entries.map((entry) => {
    const at = parseTime(entry.at);
    const when = at === undefined ? entry.at : formatLocalTime(at, { timeZone: view.timeZone });
    return [view.style.dim(when), entry.kind, printable(entry.text)];
  });
  return `${view.style.bold('History')}\n${indent(formatTable(null, rows))}`;
}

/** `alertname="DiskSpaceHigh"`, as Alertmanager writes a matcher. */
export const formatMatcher = (matcher: MatcherJson): string => `${matcher.name}${matcher.op}${JSON.stringify(matcher.value)}`;

export const formatMatchers = (matchers: readonly MatcherJson[]): string => matchers.map(formatMatcher).join(', ');

function colorWindowState(state: string, style: Style): string {
  if (state === 'active') return style.green(state);
  if (state === 'pending' || state === 'upcoming') return style.yellow(state);
  return style.dim(state);
}

/** Start and end as local times with how far away they are. */
const span = (iso: string, view: ViewContext): string => {
  const at = parseTime(iso);
  return at === undefined ? iso : `${formatLocalTime(at, { timeZone: view.timeZone })} (${formatRelative(at, view.now)})`;
};

export function renderSilenceTable(silences: readonly Silence[], view: ViewContext): string {
  if (silences.length === 0) return 'No silences.';
  const rows = silences.map((silence) => [
    silence.id,
    colorWindowState(silence.state, view.style),
    printable(formatMatchers(silence.matchers)),
    span(silence.startsAt, view),
    span(silence.expiredAt ?? silence.endsAt, view),
    printable(silence.createdBy),
    printable(truncate(silence.comment, COMMENT_WIDTH)),
  ]);
  return formatTable(['ID', 'STATE', 'MATCHERS', 'STARTS', 'ENDS', 'BY', 'COMMENT'], rows);
}

/** The API gives no state for windows; it follows from the times. */
export function windowState(window: MaintenanceWindow, now: number): 'cancelled' | 'upcoming' | 'active' | 'over' {
  if (window.cancelledAt !== null) return 'cancelled';
  const starts = parseTime(window.startsAt) ?? 0;
  const ends = parseTime(window.endsAt) ?? 0;
  if (ends <= now) return 'over';
  return starts > now ? 'upcoming' : 'active';
}

export function renderMaintenanceTable(windows: readonly MaintenanceWindow[], view: ViewContext): string {
  if (windows.length === 0) return 'No maintenance windows.';
  const rows = windows.map((window) => [
    window.id,
    window.service,
    colorWindowState(windowState(window, view.now), view.style),
    span(window.startsAt, view),
    span(window.cancelledAt ?? window.endsAt, view),
    printable(window.createdBy),
    printable(truncate(window.comment, COMMENT_WIDTH)),
  ]);
  return formatTable(['ID', 'SERVICE', 'STATE', 'STARTS', 'ENDS', 'BY', 'COMMENT'], rows);
}

export function renderIntegrationTable(integrations: readonly Integration[], now: number): string {
  if (integrations.length === 0) return 'No integrations.';
  const rows = integrations.map((integration) => [
    integration.id,
    integration.kind,
    printable(integration.name),
    integration.service ?? '-',
    `${integration.keyPrefix}…`,
    relative(integration.createdAt, now),
    printable(integration.createdBy),
  ]);
  return formatTable(['ID', 'KIND', 'NAME', 'SERVICE', 'KEY', 'CREATED', 'BY'], rows);
}
