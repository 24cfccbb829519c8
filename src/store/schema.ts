import type { Generated } from 'kysely';

/**
 * Table shapes as both engines store them. Times are epoch milliseconds (UTC) set by
 * the application's clock; JSON columns are text, parsed at the repository boundary.
 */
export interface IncidentsTable {
  id: string;
  title: string;
  summary: string;
  severity: string;
  status: string;
  services: string; // JSON string[]
  roles: string; // JSON Record<role, userId>
  declared_at: number;
  declared_by: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  identified_at: number | null;
  mitigated_at: number | null;
  resolved_at: number | null;
  closed_at: number | null;
  last_update_at: number | null;
  updated_at: number;
  version: number;
}

export interface TimelineTable {
  id: string;
  incident_id: string;
  at: number;
  actor: string;
  kind: string;
  text: string;
  data: string; // JSON object
}

export interface SlaClocksTable {
  id: string;
  incident_id: string;
  kind: string;
  seq: number;
  started_at: number;
  due_at: number;
  state: string; // pending | met | breached | cancelled
  met_at: number | null;
  breached_at: number | null;
  timer_id: string | null;
}

export interface TimersTable {
  id: string;
  kind: string;
  due_at: number;
  payload: string; // JSON
  state: string; // pending | fired | cancelled | failed
  fired_at: number | null;
  fired_by: string | null;
  late_ms: number | null;
  attempts: number;
  last_error: string | null;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  prefix: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface EventsTable {
  seq: Generated<number>;
  at: number;
  type: string;
  incident_id: string | null;
  data: string; // JSON
}

export interface IntegrationsTable {
  id: string;
  kind: string;
  name: string;
  service: string | null;
  mapping: string | null; // JSON, generic integrations only
  key_hash: string;
  key_prefix: string;
  created_at: number;
  created_by: string;
  deleted_at: number | null;
}

export interface AlertsTable {
  id: string;
  integration_id: string;
  dedup_key: string;
  name: string;
  status: string; // firing | resolved | acknowledged
  severity: string;
  service: string | null;
  summary: string;
  labels: string; // JSON
  annotations: string; // JSON
  details: string; // JSON
  group_key: string;
  runbook: string | null;
  generator_url: string | null;
  starts_at: number | null;
  ends_at: number | null;
  first_seen_at: number;
  last_seen_at: number;
  last_change_at: number;
  count: number;
  suppressed_by: string | null; // silence:<id> | inhibited:<alert id> | maintenance:<id> | dropped
  incident_id: string | null;
}

export interface AlertHistoryTable {
  id: string;
  alert_id: string;
  at: number;
  kind: string;
  text: string;
  data: string;
}

export interface AlertGroupsTable {
  service: string;
  group_key: string;
  incident_id: string;
  updated_at: number;
}

export interface SilencesTable {
  id: string;
  matchers: string; // JSON Matcher[]
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  expired_at: number | null;
}

export interface MaintenanceWindowsTable {
  id: string;
  service: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  cancelled_at: number | null;
}

export interface SettingsTable {
  name: string;
  value: string;
  created_at: number;
}

export interface ScheduleOverridesTable {
  id: string;
  schedule_id: string;
  user_id: string;
  replaces: string | null;
  starts_at: number;
  ends_at: number;
  created_by: string;
  created_at: number;
  deleted_at: number | null;
}

export interface EscalationsTable {
  incident_id: string;
  policy_id: string;
  level: number;
  round: number;
  state: string; // active | acknowledged | exhausted | stopped
  timer_id: string | null;
  started_at: number;
  updated_at: number;
}

export interface PagesTable {
  id: string;
  incident_id: string;
  user_id: string;
  level: number;
  round: number;
  reason: string;
  state: string; // active | stopped
  created_at: number;
  stopped_at: number | null;
}

export interface OutboxTable {
  id: string;
  idempotency_key: string;
  channel_id: string;
  incident_id: string | null;
  page_id: string | null;
  message: string; // JSON NotificationMessage
  state: string; // pending | sending | delivered | dead | cancelled
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_error: string | null;
  last_status: number | null;
  remote_id: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface ChatThreadsTable {
  thread_key: string;
  channel_id: string;
  remote_id: string;
  created_at: number;
}

export interface RunsTable {
  id: string;
  runbook_id: string;
  runbook_title: string;
  source: string;
  scenario: string | null;
  incident_id: string | null;
  severity: string | null;
  params: string; // JSON Record<string, string>
  approval_rule: string; // JSON
  state: string; // open | completed | cancelled
  created_by: string;
  created_by_id: string;
  created_at: number;
  updated_at: number;
}

export interface RunStepsTable {
  run_id: string;
  step_id: string;
  position: number;
  definition: string; // JSON: the step as the run took it
  env: string; // JSON Record<string, string>
  state: string;
  attempt: number;
  decisions: string; // JSON answers
  requested_by: string | null;
  requested_by_id: string | null;
  requested_at: number | null;
  queued_at: number | null;
  assignment_id: string | null;
  claim_id: string | null;
  runner_id: string | null;
  runner_name: string | null;
  runner_token: string | null;
  lease_until: number | null;
  cancel_requested: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  timed_out: number;
  error: string | null;
  output_bytes: number;
  output_dropped: number;
  last_seq: number;
  updated_at: number;
}

export interface RunApprovalsTable {
  id: string;
  run_id: string;
  step_id: string;
  attempt: number;
  decision: string; // approved | rejected
  actor: string;
  actor_id: string;
  actor_role: string;
  comment: string | null;
  at: number;
}

export interface RunOutputTable {
  run_id: string;
  step_id: string;
  attempt: number;
  seq: number;
  stream: string;
  text: string;
  at: number;
}

export interface StatusComponentsTable {
  service_id: string;
  status: string;
  updated_at: number;
  updated_by: string;
}

export interface StatusMaintenancesTable {
  id: string;
  title: string;
  body: string;
  components: string; // JSON string[] (service ids)
  scheduled_for: number;
  scheduled_until: number;
  created_at: number;
  created_by: string;
  deleted_at: number | null;
}

export interface StatusSubscribersTable {
  id: string;
  email: string;
  state: string;
  confirm_token_hash: string | null;
  unsubscribe_token_hash: string;
  created_at: number;
  confirmed_at: number | null;
  unsubscribed_at: number | null;
}

export interface IncidentTasksTable {
  id: string;
  incident_id: string;
  stage: string;
  position: number;
  title: string;
  due_at: number;
  done_at: number | null;
  done_by: string | null;
  created_at: number;
}

export interface PostmortemsTable {
  incident_id: string;
  version: number;
  markdown: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface PostmortemVersionsTable {
  incident_id: string;
  version: number;
  markdown: string;
  at: number;
  by: string;
}

export interface ActionItemsTable {
  id: string;
  incident_id: string;
  title: string;
  owner: string | null;
  due_at: number | null;
  status: string; // open | done | wontfix
  tracker_url: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
}

export interface AccountsTable {
  id: string;
  username: string;
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  password_changed_at: number;
  disabled_at: number | null;
  last_login_at: number | null;
}

export interface AccountSessionsTable {
  id: string;
  token_hash: string;
  account_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  user_agent: string;
  address: string;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  window_started_at: number;
}

export interface Database {
  incidents: IncidentsTable;
  timeline: TimelineTable;
  sla_clocks: SlaClocksTable;
  timers: TimersTable;
  api_tokens: ApiTokensTable;
  events: EventsTable;
  integrations: IntegrationsTable;
  alerts: AlertsTable;
  alert_history: AlertHistoryTable;
  alert_groups: AlertGroupsTable;
  silences: SilencesTable;
  maintenance_windows: MaintenanceWindowsTable;
  settings: SettingsTable;
  schedule_overrides: ScheduleOverridesTable;
  escalations: EscalationsTable;
  pages: PagesTable;
  outbox: OutboxTable;
  chat_threads: ChatThreadsTable;
  runs: RunsTable;
  run_steps: RunStepsTable;
  run_approvals: RunApprovalsTable;
  run_output: RunOutputTable;
  incident_tasks: IncidentTasksTable;
  postmortems: PostmortemsTable;
  postmortem_versions: PostmortemVersionsTable;
  action_items: ActionItemsTable;
  status_components: StatusComponentsTable;
  status_maintenances: StatusMaintenancesTable;
  status_subscribers: StatusSubscribersTable;
  accounts: AccountsTable;
  account_sessions: AccountSessionsTable;
  login_failures: LoginFailuresTable;
}
