import type { Config } from '../config/schema.ts';
import { formatDuration } from '../core/duration.ts';
import type { AlertRecord, IncidentRecord, SlaClockRecord, TimelineEntry } from '../store/index.ts';

export interface IncidentFacts {
  incident: IncidentRecord;
  clocks: readonly SlaClockRecord[];
  alerts: readonly AlertRecord[];
  /** Oldest first; the last few become `actions`. */
  timeline: readonly TimelineEntry[];
  url: string | null;
}

const CLOCK_LABELS: Record<string, string> = {
  initialResponse: 'initial response',
  stakeholderNotification: 'stakeholder notification',
  mitigationStarted: 'mitigation started',
  investigationStarted: 'investigation started',
  updateCadence: 'stakeholder update',
};
/** What people did, as stakeholders care: not deliveries, clock bookkeeping or alert churn. */
const ACTION_KINDS = new Set(['acknowledged', 'change', 'status', 'reopened', 'note', 'reassigned', 'role.assigned', 'role.unassigned', 'run.started', 'run.completed', 'run.cancelled', 'services', 'severity', 'summary', 'title', 'update']);
const LATEST_ACTIONS = 10;
const MAX_ALERTS = 50;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The variables a message template sees. Plain data only (strings, numbers,
 * arrays, objects): templates reach nothing but their own properties.
 */
export function templateScope(config: Config, facts: IncidentFacts, vars: Record<string, unknown>, now: number): Record<string, unknown> {
  const { incident } = facts;
  const severity = config.severity(incident.severity);
  const end = incident.resolvedAt ?? now;
  const elapsed = Math.max(0, end - incident.declaredAt);
  const userName = (id: string) => config.user(id)?.name ?? id;
  const firing = new Set(facts.alerts.filter((a) => a.status === 'firing' && a.service !== null).map((a) => a.service));
  const open = incident.resolvedAt === null;
  return {
    organization: config.file.organization?.name ?? null,
    now: iso(now),
    incident: {
      id: incident.id,
      title: incident.title,
      summary: incident.summary,
      severity: incident.severity,
      severity_name: severity?.name ?? incident.severity,
      status: incident.status,
      services: [...incident.services],
      url: facts.url,
      declared_at: iso(incident.declaredAt),
      declared_by: incident.declaredBy,
      acknowledged_at: iso(incident.acknowledgedAt),
      acknowledged_by: incident.acknowledgedBy,
      identified_at: iso(incident.identifiedAt),
      mitigated_at: iso(incident.mitigatedAt),
      resolved_at: iso(incident.resolvedAt),
      last_update_at: iso(incident.lastUpdateAt),
    },
    duration: formatDuration(elapsed),
    duration_minutes: Math.floor(elapsed / 60_000),
    update_cadence: severity?.sla?.updateCadence ?? null,
    clocks: facts.clocks.map((clock) => ({
      kind: clock.kind,
      label: CLOCK_LABELS[clock.kind] ?? clock.kind,
      state: clock.state,
      due_at: iso(clock.dueAt),
      due_in: clock.state === 'pending' ? formatDuration(clock.dueAt - now) : null,
    })),
    roles: Object.entries(incident.roles).map(([role, user]) => ({
      id: role,
      name: config.role(role)?.name ?? role,
      user,
      user_name: userName(user),
    })),
    role: Object.fromEntries(Object.entries(incident.roles).map(([role, user]) => [role, userName(user)])),
    alerts: facts.alerts.slice(0, MAX_ALERTS).map((alert) => ({
      name: alert.name,
      status: alert.status,
      severity: alert.severity,
      service: alert.service,
      summary: alert.summary,
      count: alert.count,
      labels: { ...alert.labels },
      first_seen_at: iso(alert.firstSeenAt),
    })),
    services: incident.services.map((id) => ({
      id,
      name: config.service(id)?.name ?? id,
      // What a stakeholder can tell at a glance: still alerting, affected, or back.
      state: firing.has(id) ? 'alerting' : open ? 'affected' : 'operational',
    })),
    actions: facts.timeline
      .filter((entry) => ACTION_KINDS.has(entry.kind))
      .slice(-LATEST_ACTIONS)
      .map((entry) => ({ at: iso(entry.at), actor: entry.actor, kind: entry.kind, text: entry.text })),
    vars,
  };
}

/** Facts for previewing a template without an incident: a made-up one of the given severity. */
export function sampleFacts(config: Config, severity: string | undefined, now: number): IncidentFacts {
  const level = (severity === undefined ? undefined : config.severity(severity)) ?? config.severities[0]!;
  const service = config.services[0]?.id;
  const commander = config.users[0]?.id;
  return {
    incident: {
      id: '01EXAMPLE0000000000000000',
      title: 'Example incident',
      summary: 'A made-up incident to preview the template with.',
      severity: level.id,
      status: 'investigating',
      services: service === undefined ? [] : [service],
      roles: commander === undefined ? {} : { commander },
      declaredAt: now - 20 * 60_000,
      declaredBy: 'example',
      acknowledgedAt: now - 15 * 60_000,
      acknowledgedBy: commander ?? 'example',
      identifiedAt: null,
      mitigatedAt: null,
      resolvedAt: null,
      closedAt: null,
      lastUpdateAt: null,
      updatedAt: now,
      version: 1,
    },
    clocks: [],
    alerts: [],
    timeline: [],
    url: null,
  };
}
