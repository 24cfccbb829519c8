import { Type, type Static } from '@sinclair/typebox';
import { ChannelConfig } from '../notify/channels/index.ts';
import { EscalationPolicy, IncidentNotifications, NotificationRule } from '../paging/schema.ts';
import type { Schedule } from '../paging/schedules/engine.ts';
import { ScheduleConfig } from '../paging/schedules/schema.ts';
import type { RunbookLibrary } from '../runbooks/library.ts';
import { RunbookSettings } from '../runbooks/schema.ts';
import { PostIncidentSettings } from '../postincident/schema.ts';
import { CommunicationsSettings, TemplateSettings, type TemplateLibrary } from '../templates/index.ts';
import { StatusPageSettings } from '../status/settings.ts';
import { SignInSettings } from '../accounts/schema.ts';

/**
 * The one schema of firebreak.yaml. The loader validates against it, the code is
 * typed by it (Static<…>), and the API documents config shapes from it.
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$', description: 'lower-case letters, digits, - _ .' });
const SeverityId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$',
  description: 'letters, digits, - and _, up to 32 characters, such as P0 or SEV1',
});

/** `15m`, `1h`, `1h30m`, `2d`; `next-business-day`; `8bh` (business hours). */
export const SlaTarget = Type.String({
  pattern: '^(?:(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+|next-business-day|\\d+(?:\\.\\d+)?bh)$',
  description: 'a duration (15m, 1h, 1d), next-business-day, or business hours (8bh)',
});

export const SlaTargets = Type.Object(
  {
    initialResponse: Type.Optional(SlaTarget),
    stakeholderNotification: Type.Optional(SlaTarget),
    mitigationStarted: Type.Optional(SlaTarget),
    investigationStarted: Type.Optional(SlaTarget),
    updateCadence: Type.Optional(SlaTarget),
  },
  { additionalProperties: false },
);

export const SeverityLevel = Type.Object(
  {
    id: SeverityId,
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    sla: Type.Optional(SlaTargets),
    authorization: Type.Optional(Type.String({ description: 'who may act, as the playbook says it' })),
  },
  { additionalProperties: false },
);

export const SeverityPresetName = Type.Union([Type.Literal('p0-p3'), Type.Literal('sev1-sev4'), Type.Literal('level1-level4')]);

export const Severities = Type.Union(
  [
    Type.Object({ preset: SeverityPresetName }, { additionalProperties: false }),
    Type.Object({ levels: Type.Array(SeverityLevel, { minItems: 1 }) }, { additionalProperties: false }),
  ],
  { description: 'either "preset: p0-p3" (or sev1-sev4, level1-level4) or "levels:" with a list of your own, most severe first' },
);

export const IncidentRole = Type.Object(
  { id: Id, name: Type.String({ minLength: 1 }), description: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const User = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    email: Type.Optional(Type.String({ format: 'email' })),
    timezone: Type.Optional(Type.String()),
    slack: Type.Optional(Type.String({ minLength: 1, description: 'Slack member id (U…), mentioned when paged in a Slack channel' })),
    notificationRules: Type.Optional(Type.Array(NotificationRule, {
      description: 'how to reach this person when paged, e.g. chat at once, email after 5m; defaults to paging.defaultNotificationRules',
    })),
  },
  { additionalProperties: false },
);

export const Team = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    members: Type.Array(Id, { default: [] }),
  },
  { additionalProperties: false },
);

export const OnAllAlertsResolved = Type.Union([Type.Literal('monitoring'), Type.Literal('resolve'), Type.Literal('none')], {
  description: 'what an incident opened by alerts does once all its alerts resolve',
});

export const Service = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    onAllAlertsResolved: Type.Optional(OnAllAlertsResolved),
    escalationPolicy: Type.Optional(Id),
    escalationBySeverity: Type.Optional(Type.Record(Type.String(), Id, { description: 'severity id → escalation policy, overriding escalationPolicy' })),
    description: Type.Optional(Type.String()),
    team: Type.Optional(Id),
  },
  { additionalProperties: false },
);

const ClockTime = Type.String({ pattern: '^(?:[01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24-hour, such as 09:00' });
/** An end of working hours may be midnight, so that round-the-clock days can be written. */
const ClockTimeOrMidnight = Type.String({
  pattern: '^(?:(?:[01]\\d|2[0-3]):[0-5]\\d|24:00)$',
  description: 'HH:MM, 24-hour, such as 17:30; 24:00 for midnight',
});
const Weekday = Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => Type.Literal(day)));

export const BusinessHours = Type.Object(
  {
    timezone: Type.String({ description: 'an IANA timezone such as Europe/Berlin' }),
    days: Type.Array(Weekday, { minItems: 1 }),
    start: ClockTime,
    end: ClockTimeOrMidnight,
    holidays: Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date as YYYY-MM-DD' }), {
      default: [],
      description: 'dates (in the business-hours time zone) that are not working days',
    }),
  },
  { additionalProperties: false },
);

const MatcherList = Type.Array(Type.String({ minLength: 1, maxLength: 2000, description: 'an Alertmanager matcher such as severity="critical" or job=~"api.*"' }), {
  default: [],
});
const LabelNames = Type.Array(Type.String({ minLength: 1, maxLength: 256 }));

export const AlertCatalogEntry = Type.Object(
  {
    alert: Type.Optional(Type.String({ minLength: 1, description: 'the alert name (alertname label, or the summary of a PagerDuty event)' })),
    matchers: Type.Optional(MatcherList),
    severity: Type.Optional(SeverityId),
    service: Type.Optional(Id),
    title: Type.Optional(Type.String({ minLength: 1, description: 'Liquid template of the incident title; labels, annotations, summary are available' })),
    summary: Type.Optional(Type.String({ description: 'Liquid template of the incident summary' })),
    runbook: Type.Optional(Type.String({ minLength: 1 })),
    groupBy: Type.Optional(LabelNames),
  },
  { additionalProperties: false },
);

export const AlertRoute = Type.Object(
  {
    matchers: MatcherList,
    service: Type.Optional(Id),
    team: Type.Optional(Id),
    severity: Type.Optional(SeverityId),
    drop: Type.Optional(Type.Boolean({ description: 'store the alert but never open an incident for it' })),
    continue: Type.Optional(Type.Boolean({ description: 'keep evaluating later routes after this one matched' })),
  },
  { additionalProperties: false },
);

export const InhibitRule = Type.Object(
  {
    sourceMatchers: MatcherList,
    targetMatchers: MatcherList,
    equal: Type.Optional(LabelNames),
  },
  { additionalProperties: false },
);

export const AlertsSettings = Type.Object(
  {
    catalog: Type.Array(AlertCatalogEntry, { default: [] }),
    routes: Type.Array(AlertRoute, { default: [] }),
    inhibitRules: Type.Array(InhibitRule, { default: [] }),
    severityLabels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), SeverityId, {
      description: 'source severity word (critical, warning, info …) → severity id, for alerts the catalog does not know',
    })),
    defaultSeverity: Type.Optional(SeverityId),
    defaultService: Type.Optional(Id),
    groupBy: Type.Optional(LabelNames),
    reopenWindow: Type.String({ default: '30m', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'a group that fires again this soon after its incident resolved reopens it' }),
  },
  { additionalProperties: false },
);

export const PagingSettings = Type.Object(
  {
    defaultEscalationPolicy: Type.Optional(Id),
    defaultNotificationRules: Type.Optional(Type.Array(NotificationRule)),
    incidentNotifications: Type.Optional(IncidentNotifications),
    slackSigningSecretEnv: Type.Optional(Type.String({ minLength: 1, description: 'environment variable holding the Slack app signing secret; enables acknowledging from Slack buttons' })),
    ackLinkTtl: Type.String({ default: '24h', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'how long an acknowledge link in a page works' }),
  },
  { additionalProperties: false },
);

export const ConfigFile = Type.Object(
  {
    version: Type.Literal(1),
    organization: Type.Optional(Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    severities: Severities,
    roles: Type.Array(IncidentRole, { default: [] }),
    users: Type.Array(User, { default: [] }),
    teams: Type.Array(Team, { default: [] }),
    services: Type.Array(Service, { default: [] }),
    businessHours: Type.Optional(BusinessHours),
    alerts: Type.Optional(AlertsSettings),
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'the URL people reach Firebreak at, for links in messages' })),
    channels: Type.Array(ChannelConfig, { default: [] }),
    schedules: Type.Array(ScheduleConfig, { default: [] }),
    escalationPolicies: Type.Array(EscalationPolicy, { default: [] }),
    paging: Type.Optional(PagingSettings),
    runbooks: Type.Optional(RunbookSettings),
    postIncident: Type.Optional(PostIncidentSettings),
    templates: Type.Optional(TemplateSettings),
    communications: Type.Optional(CommunicationsSettings),
    statusPage: Type.Optional(StatusPageSettings),
    signIn: Type.Optional(SignInSettings),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof ConfigFile>;
export type SeverityLevel = Static<typeof SeverityLevel>;
export type SlaTargets = Static<typeof SlaTargets>;
export type SlaClockKind = keyof SlaTargets;
export type SeverityPresetName = Static<typeof SeverityPresetName>;
export type IncidentRole = Static<typeof IncidentRole>;
export type User = Static<typeof User>;
export type Team = Static<typeof Team>;
export type Service = Static<typeof Service>;
export type BusinessHours = Static<typeof BusinessHours>;
export type AlertCatalogEntry = Static<typeof AlertCatalogEntry>;
export type AlertRoute = Static<typeof AlertRoute>;
export type InhibitRule = Static<typeof InhibitRule>;
export type AlertsSettings = Static<typeof AlertsSettings>;
export type OnAllAlertsResolved = Static<typeof OnAllAlertsResolved>;
export type PagingSettings = Static<typeof PagingSettings>;
export type { ChannelConfig } from '../notify/channels/index.ts';
export type { EscalationPolicy, EscalationTarget, NotificationRule } from '../paging/schema.ts';
export type { ScheduleConfig } from '../paging/schedules/schema.ts';
export type { RunbookSettings, ApprovalRule, LocalRunnerSettings } from '../runbooks/schema.ts';

export const SLA_CLOCK_KINDS: readonly SlaClockKind[] = [
  'initialResponse',
  'stakeholderNotification',
  'mitigationStarted',
  'investigationStarted',
  'updateCadence',
];

/**
 * The configuration the rest of Firebreak works with: the file as validated,
 * with the severity preset expanded and lookups by id.
 */
export interface Config {
  readonly file: ConfigFile;
  /** Most severe first, as the file or preset orders them. */
  readonly severities: readonly SeverityLevel[];
  readonly roles: readonly IncidentRole[];
  readonly users: readonly User[];
  readonly teams: readonly Team[];
  readonly services: readonly Service[];
  readonly businessHours: BusinessHours;
  /** SLA arithmetic in those business hours, built once per configuration. */
  readonly calendar: { slaDueAt(startMs: number, target: string): number; isBusinessTime(ms: number): boolean };
  readonly alerts: AlertsSettings;
  readonly channels: readonly ChannelConfig[];
  readonly schedules: readonly ScheduleConfig[];
  readonly escalationPolicies: readonly EscalationPolicy[];
  readonly paging: PagingSettings;
  readonly publicUrl: string | null;
  readonly runbookSettings: RunbookSettings;
  /** How long web UI sessions last. */
  readonly signIn: SignInSettings;
  /** The runbooks of `runbooks.paths`, read when this configuration was loaded. */
  readonly runbooks: RunbookLibrary;
  /** The message templates of `templates.path`, parsed when this configuration was loaded. */
  readonly templates: TemplateLibrary;
  /** Severity id (as the file writes it) → where its stakeholder updates go. */
  readonly communications: CommunicationsSettings;
  /** Where it was read from, and a digest of its text, so reloads can say what changed. */
  readonly source: { path: string | null; sha256: string; loadedAt: number };
  severity(id: string): SeverityLevel | undefined;
  service(id: string): Service | undefined;
  role(id: string): IncidentRole | undefined;
  user(id: string): User | undefined;
  channel(id: string): ChannelConfig | undefined;
  /** The schedule ready to answer who is on call, built once per configuration. */
  schedule(id: string): Schedule | undefined;
}
