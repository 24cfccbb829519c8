/**
 * The vocabulary of Atlassian Statuspage (v2 public API), which status page
 * readers, dashboards and aggregators already understand, and how Firebreak's
 * own incident states map onto it.
 */

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number];

/** Statuspage incident statuses; `postmortem` exists there but Firebreak never publishes one here. */
export type PublicIncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'completed';
/** `maintenance` is what Statuspage answers while only scheduled maintenance is under way. */
export type Indicator = Impact | 'maintenance';

export function isComponentStatus(value: string): value is ComponentStatus {
  return (COMPONENT_STATUSES as readonly string[]).includes(value);
}

/**
 * Severity to public impact by rank, most severe first, so every preset works:
 * P0/SEV1/L1 → critical, the next → major, the next → minor, the rest → none.
 */
export function impactOfSeverity(severityIds: readonly string[], severity: string): Impact {
  const rank = severityIds.indexOf(severity);
  if (rank === 0) return 'critical';
  if (rank === 1) return 'major';
  if (rank === 2) return 'minor';
  return 'none';
}

const COMPONENT_OF_IMPACT: Record<Impact, ComponentStatus> = {
  critical: 'major_outage',
  major: 'partial_outage',
  minor: 'degraded_performance',
  none: 'operational',
};
export const componentStatusOfImpact = (impact: Impact): ComponentStatus => COMPONENT_OF_IMPACT[impact];

/** How bad a component status is, for "the worst of": maintenance is planned, so it ranks below any outage. */
const COMPONENT_RANK: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};
export const worseComponent = (a: ComponentStatus, b: ComponentStatus): ComponentStatus => (COMPONENT_RANK[b] > COMPONENT_RANK[a] ? b : a);

const IMPACT_RANK: Record<Impact, number> = { none: 0, minor: 1, major: 2, critical: 3 };
export const worseImpact = (a: Impact, b: Impact): Impact => (IMPACT_RANK[b] > IMPACT_RANK[a] ? b : a);

const IMPACT_OF_COMPONENT: Record<ComponentStatus, Impact> = {
  operational: 'none',
  under_maintenance: 'none',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

const DESCRIPTIONS: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
};

/** The page's one-line verdict: the worst of its components and of its unresolved incidents. */
export function pageIndicator(components: readonly ComponentStatus[], unresolvedImpacts: readonly Impact[]): { indicator: Indicator; description: string } {
  let impact: Impact = 'none';
  for (const status of components) impact = worseImpact(impact, IMPACT_OF_COMPONENT[status]);
  for (const each of unresolvedImpacts) impact = worseImpact(impact, each);
  const indicator: Indicator = impact === 'none' && components.includes('under_maintenance') ? 'maintenance' : impact;
  return { indicator, description: DESCRIPTIONS[indicator] };
}

/**
 * Firebreak's lifecycle in Statuspage's words. "Mitigating" means the cause is
 * known and a fix is going in, which Statuspage calls identified.
 */
export function publicIncidentStatus(status: string): PublicIncidentStatus {
  switch (status) {
    case 'identified':
    case 'mitigating':
      return 'identified';
    case 'monitoring':
      return 'monitoring';
    case 'resolved':
    case 'closed':
      return 'resolved';
    default:
      return 'investigating';
  }
}

export function maintenanceStatus(now: number, window: { scheduledFor: number; scheduledUntil: number }): MaintenanceStatus {
  if (now < window.scheduledFor) return 'scheduled';
  if (now < window.scheduledUntil) return 'in_progress';
  return 'completed';
}

export const COMPONENT_LABELS: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};
