import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { IncidentRecord, MaintenanceRecord, PublicUpdateRecord, Repositories, StatusChangeRecord } from '../store/index.ts';
import {
  componentStatusOfImpact,
  impactOfSeverity,
  isComponentStatus,
  maintenanceStatus,
  pageIndicator,
  publicIncidentStatus,
  worseComponent,
  type ComponentStatus,
  type Impact,
  type Indicator,
  type MaintenanceStatus,
  type PublicIncidentStatus,
} from './model.ts';

/*
 * The status page as Atlassian Statuspage's v2 public API shapes it (the
 * documents of https://metastatuspage.com/api/v2/). Only what is safe to show
 * the public ever enters these objects: service ids and names from the
 * configuration, incident titles, the text of updates marked public, and
 * maintenances. Never notes, internal updates, summaries, labels, commands,
 * run output, roles or who did what. Every public document is rendered from
 * this snapshot, so that rule holds here, once.
 */

export interface PageJson {
  id: string;
  name: string;
  url: string;
  time_zone: string;
  updated_at: string;
}

export interface ComponentJson {
  id: string;
  name: string;
  status: ComponentStatus;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
}

export interface AffectedComponentJson {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}

export interface IncidentUpdateJson {
  id: string;
  status: PublicIncidentStatus | MaintenanceStatus;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: AffectedComponentJson[] | null;
  deliver_notifications: boolean;
  custom_tweet: string | null;
  tweet_id: string | null;
}

export interface IncidentJson {
  id: string;
  name: string;
  status: PublicIncidentStatus;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  impact: Impact;
  shortlink: string;
  started_at: string;
  page_id: string;
  incident_updates: IncidentUpdateJson[];
  components: ComponentJson[];
}

export interface MaintenanceJson extends Omit<IncidentJson, 'status' | 'impact'> {
  status: MaintenanceStatus;
  impact: 'maintenance';
  scheduled_for: string;
  scheduled_until: string;
}

export interface StatusSnapshot {
  page: PageJson;
  status: { indicator: Indicator; description: string };
  components: ComponentJson[];
  /** The most recent public incidents, newest first; the unresolved ones are always among them. */
  incidents: IncidentJson[];
  /** Those not over yet (soonest first), then recent past ones. */
  maintenances: MaintenanceJson[];
  /** Base of links: the configured public URL, or none (relative links). */
  base: string;
  /** Whether people may subscribe by email (the page shows a form). */
  subscriptions: boolean;
  /** Until when nothing changes by the clock alone (a maintenance starting or ending). */
  stableUntil: number;
}

export const INCIDENT_HISTORY = 50;
const MAINTENANCE_HISTORY = 50;
const OPEN_STATUSES = ['investigating', 'identified', 'mitigating', 'monitoring'];

const iso = (ms: number) => new Date(ms).toISOString();

export function pageId(name: string): string {
  // Statuspage ids are short lowercase strings; a stable one from the page name.
  return createHash('sha256').update(`firebreak-status:${name}`).digest('hex').slice(0, 12);
}

/** Reads what the page shows and shapes it; `now` decides only which maintenances are under way. */
export async function buildSnapshot(repos: Repositories, config: Config, now: number): Promise<StatusSnapshot> {
  const [overrides, maintenanceRows, activity, openIds] = await Promise.all([
    repos.status.overrides(),
    repos.status.maintenances({ now, pastLimit: MAINTENANCE_HISTORY }),
    repos.status.publicIncidentActivity(),
    repos.status.openIncidentIds(OPEN_STATUSES),
  ]);
  const publicIds = new Set(activity.map((a) => a.incidentId));
  const recent = activity
    .sort((a, b) => b.lastPublicAt - a.lastPublicAt || (a.incidentId < b.incidentId ? 1 : -1))
    .slice(0, INCIDENT_HISTORY)
    .map((a) => a.incidentId);
  const chosen = [...new Set([...openIds.filter((id) => publicIds.has(id)), ...recent])];
  const [incidents, updates, changes] = await Promise.all([
    repos.status.incidents(chosen),
    repos.status.publicUpdates(chosen),
    repos.status.statusChanges(chosen),
  ]);
  return shapeSnapshot({ config, now, overrides, maintenances: maintenanceRows, incidents, updates, changes });
}

interface SnapshotInput {
  config: Config;
  now: number;
  overrides: Array<{ serviceId: string; status: string; updatedAt: number }>;
  maintenances: MaintenanceRecord[];
  incidents: IncidentRecord[];
  updates: PublicUpdateRecord[];
  changes: StatusChangeRecord[];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function shapeSnapshot(input: SnapshotInput): StatusSnapshot {
  const { config, now } = input;
  const name = config.file.organization?.name ?? 'Firebreak';
  const id = pageId(name);
  const base = (config.publicUrl ?? '').replace(/\/+$/, '');
  const severityIds = config.severities.map((s) => s.id);
  const createdAt = config.source.loadedAt;
  const serviceIds = new Set(config.services.map((s) => s.id));

  const updatesOf = groupBy(input.updates, (u) => u.incidentId);
  const changesOf = groupBy(input.changes, (c) => c.incidentId);

  // Derived component status: the worst impact of the open public incidents on each service.
  const derived = new Map<string, { status: ComponentStatus; at: number }>();
  const touch = (service: string, status: ComponentStatus, at: number) => {
    const current = derived.get(service) ?? { status: 'operational' as ComponentStatus, at: createdAt };
    derived.set(service, { status: worseComponent(current.status, status), at: Math.max(current.at, at) });
  };
  const incidentFacts = input.incidents
    .map((incident) => {
      const updates = updatesOf.get(incident.id) ?? [];
      return { incident, updates, changes: changesOf.get(incident.id) ?? [], impact: impactOfSeverity(severityIds, incident.severity) };
    })
    .filter((f) => f.updates.length > 0);
  for (const f of incidentFacts) {
    const open = OPEN_STATUSES.includes(f.incident.status);
    // A resolved incident no longer weighs on its components, but it is when they last changed.
    const at = open ? f.updates[f.updates.length - 1]!.at : (f.incident.resolvedAt ?? f.incident.updatedAt);
    const status = open ? componentStatusOfImpact(f.impact) : 'operational';
    for (const service of f.incident.services) if (serviceIds.has(service)) touch(service, status, at);
  }
  let stableUntil = Number.POSITIVE_INFINITY;
  const maintenances = input.maintenances.map((m) => ({ record: m, status: maintenanceStatus(now, m) }));
  for (const { record, status } of maintenances) {
    if (status === 'scheduled') stableUntil = Math.min(stableUntil, record.scheduledFor);
    if (status === 'in_progress') {
      stableUntil = Math.min(stableUntil, record.scheduledUntil);
      for (const service of record.components) if (serviceIds.has(service)) touch(service, 'under_maintenance', record.scheduledFor);
    }
    if (status === 'completed') {
      for (const service of record.components) if (serviceIds.has(service)) touch(service, 'operational', record.scheduledUntil);
    }
  }
  const overrides = new Map(input.overrides.filter((o) => isComponentStatus(o.status)).map((o) => [o.serviceId, o]));

  const components: ComponentJson[] = config.services.map((service, index) => {
    const override = overrides.get(service.id);
    const fromIncidents = derived.get(service.id);
    const status = (override?.status as ComponentStatus | undefined) ?? fromIncidents?.status ?? 'operational';
    const updatedAt = Math.max(createdAt, override?.updatedAt ?? 0, fromIncidents?.at ?? 0);
    return {
      id: service.id,
      name: service.name,
      status,
      created_at: iso(createdAt),
      updated_at: iso(updatedAt),
      position: index + 1,
      // A service's description in the configuration is written for responders (ports, restart
      // order); it is not meant for the public, so components carry none.
      description: null,
      showcase: true,
      start_date: null,
      group_id: null,
      page_id: id,
      group: false,
      only_show_if_degraded: false,
    };
  });
  const componentById = new Map(components.map((c) => [c.id, c]));
  const componentsOf = (ids: readonly string[]) => ids.flatMap((s) => (componentById.has(s) ? [componentById.get(s)!] : []));

  const incidents: IncidentJson[] = incidentFacts
    .map(({ incident, updates, changes, impact }) => {
      const statusAt = (at: number): PublicIncidentStatus => {
        let status = 'investigating';
        for (const change of changes) if (change.at <= at) status = change.to;
        return publicIncidentStatus(status);
      };
      const status = publicIncidentStatus(incident.status);
      const firstAt = updates[0]!.at;
      const lastAt = updates[updates.length - 1]!.at;
      const monitoring = changes.filter((c) => c.to === 'monitoring').at(-1)?.at ?? null;
      const resolvedAt = status === 'resolved' ? (incident.resolvedAt ?? lastAt) : null;
      const incidentUpdates: IncidentUpdateJson[] = updates
        .map((u) => ({
          id: u.id,
          status: statusAt(u.at),
          body: u.text,
          incident_id: incident.id,
          created_at: iso(u.at),
          updated_at: iso(u.at),
          display_at: iso(u.at),
          affected_components: null,
          deliver_notifications: true,
          custom_tweet: null,
          tweet_id: null,
        }))
        .reverse();
      return {
        id: incident.id,
        name: incident.title,
        status,
        created_at: iso(firstAt),
        updated_at: iso(Math.max(lastAt, resolvedAt ?? 0)),
        monitoring_at: monitoring === null ? null : iso(monitoring),
        resolved_at: resolvedAt === null ? null : iso(resolvedAt),
        impact,
        shortlink: `${base}/status#incident-${incident.id}`,
        started_at: iso(incident.declaredAt),
        page_id: id,
        incident_updates: incidentUpdates,
        components: componentsOf(incident.services),
      };
    })
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1));

  const maintenanceJson: MaintenanceJson[] = maintenances.map(({ record, status }) => {
    const updates: IncidentUpdateJson[] = [];
    const update = (suffix: string, s: MaintenanceStatus, at: number, body: string) =>
      updates.unshift({
        id: `${record.id}-${suffix}`,
        status: s,
        body,
        incident_id: record.id,
        created_at: iso(at),
        updated_at: iso(at),
        display_at: iso(at),
        affected_components: null,
        deliver_notifications: true,
        custom_tweet: null,
        tweet_id: null,
      });
    update('scheduled', 'scheduled', record.createdAt, record.body || record.title);
    if (status !== 'scheduled') update('in-progress', 'in_progress', record.scheduledFor, 'Scheduled maintenance is currently in progress.');
    if (status === 'completed') update('completed', 'completed', record.scheduledUntil, 'The scheduled maintenance has been completed.');
    const lastAt = status === 'completed' ? record.scheduledUntil : status === 'in_progress' ? record.scheduledFor : record.createdAt;
    return {
      id: record.id,
      name: record.title,
      status,
      created_at: iso(record.createdAt),
      updated_at: iso(lastAt),
      monitoring_at: null,
      resolved_at: status === 'completed' ? iso(record.scheduledUntil) : null,
      impact: 'maintenance',
      shortlink: `${base}/status#maintenance-${record.id}`,
      started_at: iso(record.scheduledFor),
      page_id: id,
      incident_updates: updates,
      components: componentsOf(record.components),
      scheduled_for: iso(record.scheduledFor),
      scheduled_until: iso(record.scheduledUntil),
    };
  });

  const unresolved = incidents.filter((i) => i.status !== 'resolved');
  const updatedAt = [
    createdAt,
    ...components.map((c) => Date.parse(c.updated_at)),
    ...incidents.map((i) => Date.parse(i.updated_at)),
    ...maintenanceJson.map((m) => Date.parse(m.updated_at)),
  ].reduce((a, b) => Math.max(a, b), 0);

  return {
    page: { id, name, url: `${base}/status`, time_zone: 'Etc/UTC', updated_at: iso(updatedAt) },
    status: pageIndicator(
      components.map((c) => c.status),
      unresolved.map((i) => i.impact),
    ),
    components,
    incidents,
    maintenances: maintenanceJson,
    base,
    subscriptions: config.file.statusPage?.subscriptions !== undefined,
    stableUntil,
  };
}
