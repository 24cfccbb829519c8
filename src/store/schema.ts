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

export interface Database {
  incidents: IncidentsTable;
  timeline: TimelineTable;
  sla_clocks: SlaClocksTable;
  timers: TimersTable;
  api_tokens: ApiTokensTable;
  events: EventsTable;
}
