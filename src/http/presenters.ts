import type { Static } from '@sinclair/typebox';
import type { AccountSummary, SessionSummary } from '../accounts/index.ts';
import type { TokenSummary } from '../auth/index.ts';
import type { IncidentView, Reminder } from '../incidents/index.ts';
import type {
  AlertHistoryEntry,
  AlertRecord,
  IntegrationRecord,
  MaintenanceWindowRecord,
  SilenceRecord,
  SlaClockRecord,
  TimelineEntry,
} from '../store/index.ts';
import type {
  AccountJson,
  SessionJson,
  AlertHistoryJson,
  AlertJson,
  ClockJson,
  IncidentJson,
  IntegrationJson,
  MaintenanceWindowJson,
  ReminderJson,
  SilenceJson,
  TimelineEntryJson,
  TokenJson,
} from './schemas.ts';

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

/** Never the key or its hash: only a prefix to tell keys apart. */
export const presentIntegration = (integration: IntegrationRecord): Static<typeof IntegrationJson> => ({
  id: integration.id,
  kind: integration.kind,
  name: integration.name,
  service: integration.service,
  keyPrefix: integration.keyPrefix,
  mapping: integration.mapping,
  createdAt: iso(integration.createdAt),
  createdBy: integration.createdBy,
  deletedAt: isoOrNull(integration.deletedAt),
});

export const presentAlert = (alert: AlertRecord): Static<typeof AlertJson> => ({
  id: alert.id,
  integrationId: alert.integrationId,
  dedupKey: alert.dedupKey,
  name: alert.name,
  status: alert.status,
  severity: alert.severity,
  service: alert.service,
  summary: alert.summary,
  labels: alert.labels,
  annotations: alert.annotations,
  details: alert.details,
  groupKey: alert.groupKey,
  runbook: alert.runbook,
  generatorUrl: alert.generatorUrl,
  startsAt: isoOrNull(alert.startsAt),
  endsAt: isoOrNull(alert.endsAt),
  firstSeenAt: iso(alert.firstSeenAt),
  lastSeenAt: iso(alert.lastSeenAt),
  count: alert.count,
  suppressedBy: alert.suppressedBy,
  incidentId: alert.incidentId,
});

export const presentAlertHistory = (entry: AlertHistoryEntry): Static<typeof AlertHistoryJson> => ({
  id: entry.id,
  at: iso(entry.at),
  kind: entry.kind,
  text: entry.text,
});

export const presentSilence = (silence: SilenceRecord, now: number): Static<typeof SilenceJson> => ({
  id: silence.id,
  matchers: silence.matchers,
  startsAt: iso(silence.startsAt),
  endsAt: iso(silence.endsAt),
  state: silence.expiredAt !== null || silence.endsAt <= now ? 'expired' : silence.startsAt > now ? 'pending' : 'active',
  createdBy: silence.createdBy,
  comment: silence.comment,
  createdAt: iso(silence.createdAt),
  expiredAt: isoOrNull(silence.expiredAt),
});

export const presentMaintenanceWindow = (window: MaintenanceWindowRecord): Static<typeof MaintenanceWindowJson> => ({
  id: window.id,
  service: window.service,
  startsAt: iso(window.startsAt),
  endsAt: iso(window.endsAt),
  createdBy: window.createdBy,
  comment: window.comment,
  createdAt: iso(window.createdAt),
  cancelledAt: isoOrNull(window.cancelledAt),
});

export const presentAccount = (account: AccountSummary, people: ReadonlyArray<{ id: string }>): Static<typeof AccountJson> => ({
  id: account.id,
  username: account.username,
  name: account.name,
  role: account.role,
  person: people.some((person) => person.id === account.username),
  createdAt: iso(account.createdAt),
  createdBy: account.createdBy,
  updatedAt: iso(account.updatedAt),
  passwordChangedAt: iso(account.passwordChangedAt),
  disabledAt: isoOrNull(account.disabledAt),
  lastLoginAt: isoOrNull(account.lastLoginAt),
});

export const presentSession = (session: SessionSummary, currentId: string | null): Static<typeof SessionJson> => ({
  id: session.id,
  accountId: session.accountId,
  createdAt: iso(session.createdAt),
  lastSeenAt: iso(session.lastSeenAt),
  expiresAt: iso(session.expiresAt),
  userAgent: session.userAgent,
  address: session.address,
  current: session.id === currentId,
});
