import type { Static } from '@sinclair/typebox';
import type { TokenSummary } from '../auth/index.ts';
import type { IncidentView, Reminder } from '../incidents/index.ts';
import type { SlaClockRecord, TimelineEntry } from '../store/index.ts';
import type { ClockJson, IncidentJson, ReminderJson, TimelineEntryJson, TokenJson } from './schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const presentClock = (clock: SlaClockRecord): Static<typeof ClockJson> => ({
  kind: clock.kind,
  seq: clock.seq,
  startedAt: iso(clock.startedAt),
  dueAt: iso(clock.dueAt),
  state: clock.state,
  metAt: isoOrNull(clock.metAt),
  breachedAt: isoOrNull(clock.breachedAt),
});

export const presentIncident = (incident: IncidentView): Static<typeof IncidentJson> => ({
  id: incident.id,
  title: incident.title,
  summary: incident.summary,
  severity: incident.severity,
  status: incident.status as Static<typeof IncidentJson>['status'],
  services: incident.services,
  roles: incident.roles,
  declaredAt: iso(incident.declaredAt),
  declaredBy: incident.declaredBy,
  acknowledgedAt: isoOrNull(incident.acknowledgedAt),
  acknowledgedBy: incident.acknowledgedBy,
  identifiedAt: isoOrNull(incident.identifiedAt),
  mitigatedAt: isoOrNull(incident.mitigatedAt),
  resolvedAt: isoOrNull(incident.resolvedAt),
  closedAt: isoOrNull(incident.closedAt),
  lastUpdateAt: isoOrNull(incident.lastUpdateAt),
  updatedAt: iso(incident.updatedAt),
  version: incident.version,
  clocks: incident.clocks.map(presentClock),
  allowedTransitions: incident.allowedTransitions,
});

export const presentTimelineEntry = (entry: TimelineEntry): Static<typeof TimelineEntryJson> => ({
  id: entry.id,
  at: iso(entry.at),
  actor: entry.actor,
  kind: entry.kind,
  text: entry.text,
  data: entry.data,
});

export const presentToken = (token: TokenSummary): Static<typeof TokenJson> => ({
  id: token.id,
  name: token.name,
  role: token.role,
  prefix: token.prefix,
  createdAt: iso(token.createdAt),
  createdBy: token.createdBy,
  lastUsedAt: isoOrNull(token.lastUsedAt),
  revokedAt: isoOrNull(token.revokedAt),
});

export const presentReminder = (reminder: Reminder): Static<typeof ReminderJson> => ({
  id: reminder.id,
  incidentId: reminder.incidentId,
  dueAt: iso(reminder.dueAt),
  message: reminder.message,
});
