/**
 * Example documents in the shapes of Atlassian Statuspage's public v2 API
 * (the examples of https://metastatuspage.com/api/v2/; the same fields are
 * listed in public references that reproduce it, such as MongoDB's Cloud Status
 * API page for summary.json, and appear in published Statuspage responses),
 * written here by hand for these tests, with made-up values. A response
 * "validates" when it has exactly these keys, each of the example's JSON type
 * (null where a key is documented as nullable), with the documented
 * enumerations and ISO-8601 timestamps.
 */

const page = {
  id: 'a1b2c3d4e5f6',
  name: 'Example Co',
  url: 'https://status.example.com',
  time_zone: 'Etc/UTC',
  updated_at: '2024-05-14T20:34:43.340Z',
};

const component = {
  id: 'k9x8c7v6b5n4',
  name: 'API',
  status: 'partial_outage',
  created_at: '2014-05-03T01:22:07.274Z',
  updated_at: '2014-05-14T20:34:43.340Z',
  position: 1,
  description: 'Public REST API',
  showcase: true,
  start_date: null,
  group_id: null,
  page_id: 'a1b2c3d4e5f6',
  group: false,
  only_show_if_degraded: false,
};

const incidentUpdate = {
  id: 'q1w2e3r4t5y6',
  status: 'identified',
  body: 'We found the cause and are rolling out a fix.',
  incident_id: 'z1x2c3v4b5n6',
  created_at: '2014-05-14T14:22:40.301Z',
  updated_at: '2014-05-14T14:22:40.301Z',
  display_at: '2014-05-14T14:22:40.301Z',
  affected_components: null,
  deliver_notifications: true,
  custom_tweet: null,
  tweet_id: null,
};

const incident = {
  id: 'z1x2c3v4b5n6',
  name: 'Elevated API errors',
  status: 'identified',
  created_at: '2014-05-14T14:22:39.441Z',
  updated_at: '2014-05-14T14:35:21.711Z',
  monitoring_at: null,
  resolved_at: null,
  impact: 'major',
  shortlink: 'https://stspg.example/abc',
  started_at: '2014-05-14T14:20:00.000Z',
  page_id: 'a1b2c3d4e5f6',
  incident_updates: [incidentUpdate],
  components: [component],
};

const maintenance = {
  ...incident,
  id: 'm1n2b3v4c5x6',
  name: 'Database upgrade',
  status: 'scheduled',
  impact: 'maintenance',
  incident_updates: [{ ...incidentUpdate, status: 'scheduled', incident_id: 'm1n2b3v4c5x6' }],
  scheduled_for: '2014-05-20T02:00:00.000Z',
  scheduled_until: '2014-05-20T04:00:00.000Z',
};

const status = { indicator: 'major', description: 'Partial System Outage' };

export const FIXTURES = {
  'summary.json': { page, components: [component], incidents: [incident], scheduled_maintenances: [maintenance], status },
  'status.json': { page, status },
  'components.json': { page, components: [component] },
  'incidents.json': { page, incidents: [incident] },
  'incidents/unresolved.json': { page, incidents: [incident] },
  'scheduled-maintenances.json': { page, scheduled_maintenances: [maintenance] },
  'scheduled-maintenances/upcoming.json': { page, scheduled_maintenances: [maintenance] },
  'scheduled-maintenances/active.json': { page, scheduled_maintenances: [{ ...maintenance, status: 'in_progress' }] },
} as const;

/** Keys documented as possibly null, with the type they have otherwise. */
const NULLABLE: Record<string, 'string' | 'array'> = {
  description: 'string',
  start_date: 'string',
  group_id: 'string',
  monitoring_at: 'string',
  resolved_at: 'string',
  affected_components: 'array',
  custom_tweet: 'string',
  tweet_id: 'string',
};

/** The documented enumerations, by the path of the key (array indices left out). */
export const ENUMS: Record<string, readonly string[]> = {
  'components.status': ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'],
  'incidents.components.status': ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'],
  'scheduled_maintenances.components.status': ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'],
  // Statuspage answers "maintenance" while only scheduled maintenance is under way.
  'status.indicator': ['none', 'minor', 'major', 'critical', 'maintenance'],
  'incidents.status': ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'],
  'incidents.impact': ['none', 'minor', 'major', 'critical'],
  'incidents.incident_updates.status': ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'],
  'scheduled_maintenances.status': ['scheduled', 'in_progress', 'verifying', 'completed'],
  'scheduled_maintenances.impact': ['none', 'minor', 'major', 'critical', 'maintenance'],
  'scheduled_maintenances.incident_updates.status': ['scheduled', 'in_progress', 'verifying', 'completed'],
};

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const TIME_KEY = /(_at|_date|^scheduled_for|^scheduled_until)$/;

/** Every difference between `actual` and the example's shape, as readable lines (empty: it validates). */
export function shapeProblems(actual: unknown, example: unknown, path = ''): string[] {
  const problems: string[] = [];
  const key = path.split('.').at(-1) ?? '';
  const enumPath = path.replace(/\[\d+\]/g, '');
  const expected = kind(example);
  const got = kind(actual);
  if (expected === 'null' || (got === 'null' && key in NULLABLE)) {
    if (got !== 'null' && got !== NULLABLE[key]) problems.push(`${path}: ${got}, expected null or ${NULLABLE[key]}`);
  } else if (got !== expected) {
    problems.push(`${path}: ${got}, expected ${expected}`);
    return problems;
  }
  if (got === 'object') {
    const a = actual as Record<string, unknown>;
    const e = example as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!(k in a)) problems.push(`${path ? `${path}.` : ''}${k}: missing`);
      else problems.push(...shapeProblems(a[k], e[k], path ? `${path}.${k}` : k));
    }
    for (const k of Object.keys(a)) if (!(k in e)) problems.push(`${path ? `${path}.` : ''}${k}: not in the documented shape`);
  } else if (got === 'array' && kind(example) === 'array' && (example as unknown[]).length > 0) {
    (actual as unknown[]).forEach((item, i) => problems.push(...shapeProblems(item, (example as unknown[])[0], `${path}[${i}]`)));
  } else if (got === 'string') {
    const allowed = ENUMS[enumPath];
    if (allowed && !allowed.includes(actual as string)) problems.push(`${path}: "${String(actual)}" is not one of ${allowed.join(', ')}`);
    if (TIME_KEY.test(key) && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(actual as string)) {
      problems.push(`${path}: "${String(actual)}" is not an ISO-8601 time`);
    }
  }
  return problems;
}
