/** The shapes of Firebreak's API that the UI reads (see /api/v1/openapi.json). */

export type IncidentStatus = 'investigating' | 'identified' | 'mitigating' | 'monitoring' | 'resolved' | 'closed';
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'mitigating', 'monitoring', 'resolved', 'closed'];
export const OPEN_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'mitigating', 'monitoring'];

export interface Clock {
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
  status: IncidentStatus;
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
  clocks: Clock[];
  allowedTransitions: IncidentStatus[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TimelineEntry {
  id: string;
  at: string;
  actor: string;
  kind: string;
  text: string;
  data: Record<string, unknown>;
}

export interface SeverityLevel {
  id: string;
  name: string;
  description?: string;
  sla?: Partial<Record<'initialResponse' | 'stakeholderNotification' | 'mitigationStarted' | 'investigationStarted' | 'updateCadence', string>>;
  authorization?: string;
}

export interface Person {
  id: string;
  name: string;
  email?: string;
  timezone?: string;
}

export interface Config {
  severities: SeverityLevel[];
  roles: Array<{ id: string; name: string; description?: string }>;
  services: Array<{ id: string; name: string; description?: string; team?: string }>;
  teams: Array<{ id: string; name: string; members: string[] }>;
  users: Person[];
  businessHours: { timezone: string; days: string[]; start: string; end: string; holidays: string[] };
  source: { path: string | null; sha256: string; loadedAt: string };
}

export interface Account {
  id: string;
  username: string;
  name: string;
  role: 'admin' | 'responder' | 'viewer';
  person: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  passwordChangedAt: string;
  disabledAt: string | null;
  lastLoginAt: string | null;
}

export interface SessionInfo {
  id: string;
  accountId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string;
  address: string;
  current: boolean;
}

export interface WhoAmI {
  actor: string;
  kind: string;
  role: string;
  permissions: string[];
  account: Account | null;
  session: SessionInfo | null;
  csrfToken: string | null;
}

export interface Alert {
  id: string;
  integrationId: string;
  dedupKey: string;
  name: string;
  status: 'firing' | 'acknowledged' | 'resolved';
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

export interface Silence {
  id: string;
  matchers: Array<{ name: string; op: string; value: string }>;
  startsAt: string;
  endsAt: string;
  state: 'pending' | 'active' | 'expired';
  createdBy: string;
  comment: string;
  createdAt: string;
  expiredAt: string | null;
}

export interface Template {
  name: string;
  general: boolean;
  severities: string[];
}

export interface ScheduleSummary {
  id: string;
  name: string;
  timezone: string;
  onCall: string | null;
}

export interface Shift {
  userId: string | null;
  start: string;
  end: string;
  source: { kind: 'override'; overrideId: string } | { kind: 'layer'; layerId: string } | null;
}

export interface Override {
  id: string;
  scheduleId: string;
  userId: string;
  replaces: string | null;
  start: string;
  end: string;
  createdBy: string;
  createdAt: string;
}

export interface EscalationPolicy {
  id: string;
  name: string;
  /** As firebreak.yaml writes them: `{schedule, next: true}` pages whoever is on call next, not now. */
  levels: Array<{ targets: Array<{ user?: string; team?: string; schedule?: string; next?: boolean }>; timeout: string }>;
  repeat?: number;
  ackTimeout?: string;
  ackReminder?: string;
}

export interface PageRecord {
  id: string;
  userId: string;
  level: number;
  round: number;
  reason: string;
  state: string;
  createdAt: string;
  stoppedAt: string | null;
}

export interface RunbookSummary {
  id: string;
  title: string;
  source: string;
  alertName: string | null;
  severity: string | null;
  scenarios: Array<{ id: string; key: string | null; title: string; steps: number }>;
  steps: number;
  approvalSteps: string[];
  parameters: Array<{ name: string; required: boolean; defaultValue: string | null }> | string[];
  problems: number;
}

export interface RunbookDetail {
  id: string;
  title: string;
  alertName: string | null;
  severity: string | null;
  description: string;
  metadata: Array<{ key: string; label: string; value: string }>;
  sections: Array<{ id: string; title: string; kind: string; text: string; items: string[]; steps: string[] }>;
  scenarios: Array<{ id: string; key: string | null; title: string; label: string; steps: string[] }>;
  steps: Array<{ id: string; title: string; kind: string; scenario: string | null; section: string | null; command: string; renderedCommand: string; parameters: string[]; approval: { required: boolean; reason: string } }>;
  parameters: Array<{ name: string; required: boolean; defaultValue: string | null }>;
}

export type StepState = 'pending' | 'awaiting-approval' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'unknown';

export interface StepView {
  id: string;
  position: number;
  title: string;
  kind: string;
  section: string | null;
  scenario: string | null;
  command: string;
  original: string;
  parameters: string[];
  runner: string | null;
  timeoutMs: number;
  interactive: boolean;
  byPerson: boolean;
  waitSeconds: number;
  expectedOutput: string | null;
  state: StepState;
  attempt: number;
  approval: {
    required: boolean;
    reason: string;
    needed: number;
    approverRoles: string[];
    requestedBy: string | null;
    requestedAt: string | null;
    decisions: Array<{ decision: 'approved' | 'rejected' | 'withdrawn'; by: string; role: string; at: string; comment: string | null; attempt: number }>;
  };
  decisions: Array<{ id: string; question: string; gatesStep: boolean; answer: 'yes' | 'no' | null; by: string | null; at: string | null }>;
  env: Record<string, string>;
  ranOn: { id: string; name: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  timedOut: boolean;
  error: string | null;
  /** lastSeq: the last chunk in text; live run.output chunks after it are new. */
  output: { text: string; bytes: number; truncated: boolean; lastSeq: number };
}

export interface Run {
  id: string;
  runbook: { id: string; title: string; source: string };
  scenario: string | null;
  incidentId: string | null;
  severity: string | null;
  state: string;
  params: Record<string, string>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  counts: Record<string, number>;
  steps: StepView[];
}

export interface DryRun {
  dryRun: true;
  steps: Array<{
    id: string;
    title: string;
    kind: string;
    command: string;
    env: Record<string, string>;
    runner: string | null;
    timeoutMs: number;
    byPerson: boolean;
    approval: { required: boolean; reason: string; needed: number; approverRoles: string[] };
    /** Parameters the step needs that have no value: starting it would be refused. */
    missingParameters: string[];
    decisions: Array<{ id: string; question: string; gatesStep: boolean }>;
  }>;
  [key: string]: unknown;
}

export interface Task {
  id: string;
  stage: string;
  title: string;
  dueAt: string;
  done: boolean;
  doneAt: string | null;
  doneBy: string | null;
}

export interface Postmortem {
  incidentId: string;
  version: number;
  markdown: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  versions: Array<{ version: number; at: string; by: string }>;
}

export interface ActionItem {
  id: string;
  incidentId: string;
  title: string;
  owner: string | null;
  dueAt: string | null;
  status: 'open' | 'done' | 'wontfix';
  trackerUrl: string | null;
  overdue: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

export interface Component {
  service: string;
  override: ComponentStatus | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface Maintenance {
  id: string;
  title: string;
  body: string;
  components: string[];
  scheduledFor: string;
  scheduledUntil: string;
  status: 'scheduled' | 'in_progress' | 'completed';
  createdAt: string;
  createdBy: string;
}

export interface Token {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Integration {
  id: string;
  kind: 'alertmanager' | 'pagerduty' | 'grafana' | 'generic';
  name: string;
  service: string | null;
  keyPrefix: string;
  createdAt: string;
  createdBy: string;
  deletedAt: string | null;
}

export interface Durations {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface Report {
  from: string;
  to: string;
  incidents: { total: number; open: number; bySeverity: Record<string, number>; byService: Record<string, number> };
  timeToAcknowledge: Durations;
  timeToResolve: Durations;
  sla: Array<{ kind: string; label: string; metInTime: number; metLate: number; breached: number; pending: number; compliance: number | null }>;
  breaches: Array<{ incidentId: string; kind: string; dueAt: string; breachedAt: string | null }>;
  alerts: {
    total: number;
    perIncident: number | null;
    noisiest: Array<{ name: string; alerts: number; occurrences: number; incidents: number }>;
    withoutAction: Array<{ name: string; alerts: number; reason: string }>;
  };
  oncall: Array<{ userId: string; name: string; pages: number; nightPages: number; incidents: number }>;
  trend: {
    interval: 'day' | 'week' | 'month';
    buckets: Array<{ from: string; to: string; incidents: number; meanTimeToAcknowledgeMs: number | null; meanTimeToResolveMs: number | null; slaCompliance: number | null; breaches: number; alerts: number }>;
  };
}

/** One frame of /api/v1/events. */
export interface LiveEvent {
  seq: number;
  at: string;
  type: string;
  incidentId: string | null;
  data: Record<string, unknown>;
}
