/**
 * Every route of the API, with who may call it and the fields its body takes
 * (valid sample values first), so the property tests can cover them all from
 * one list. Keep in step with src/http/routes/*.ts and src/auth/policy.ts.
 */
import type { Action } from '../../src/auth/index.ts';

/** `ingest`: authenticated by an integration key (in the path, or PagerDuty's routing_key), never by a bearer token. */
export type Access = Action | 'public' | 'ingest';

/** What a path's `:id` names; the tests make one of that kind to aim at. */
export type IdKind = 'incident' | 'token' | 'integration' | 'alert' | 'silence' | 'maintenance' | 'account';

export type IngestKind = 'alertmanager' | 'grafana' | 'generic' | 'pagerduty';

/**
 * Stands for a valid integration key in bodies (PagerDuty's routing_key); the tests
 * put the real key in its place (see withKey in harness.ts).
 */
export const KEY = 'fbi_KEY_PLACEHOLDER';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path under the server root; `:id` and `:role` are filled in by the test. */
  path: string;
  access: Access;
  /** Body fields with sample values (valid ones and near misses); absent when the route takes no body. */
  fields?: Record<string, readonly unknown[]>;
  /** A body that makes the request succeed for a caller who may make it. */
  validBody?: unknown;
  /** An endless Server-Sent Events stream on success. */
  stream?: boolean;
  /** What `:id` names; an incident unless said otherwise. */
  idKind?: IdKind;
  /** For access `ingest`: whose key opens it (`:key` in the path, or routing_key in the body). */
  ingest?: IngestKind;
  /** The route's own body limit, when it is not the server's default of 1 MiB. */
  bodyLimit?: number;
  /** Fields of validBody that must differ on every request (a username taken once is a 409 the next time). */
  uniqueFields?: readonly string[];
}

const SEVERITIES = ['P0', 'P1', 'P2', 'P3', 'p1', 'SEV1', ''] as const;
const SERVICES = [[], ['rest-api'], ['rest-api', 'redis'], ['rest-api', 'rest-api'], ['nope'], 'rest-api'] as const;
const USERS = ['amara', 'tomasz', 'priya', 'ghost', ''] as const;
export const ROLE_IDS = ['commander', 'communications', 'scribe', 'ops', 'ghost', 'Commander'] as const;

/** Alertmanager, Grafana and the generic webhook may send 8 MiB; everything else 1 MiB. */
export const INGEST_BODY_LIMIT = 8 * 1024 * 1024;

const WINDOW_FIELDS = {
  duration: ['1h', '2h30m', '0s', '1.5h', '53w', '99999999999999w', '1h ', 'h', ''],
  startsAt: ['2030-01-01T00:00:00Z', '2020-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '9999-12-31T23:59:59Z', 'now'],
  endsAt: ['2030-01-01T01:00:00Z', '2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'tomorrow'],
  comment: ['fuzz', '', 'x'.repeat(2000), 'x'.repeat(2001)],
} as const;

const MAPPINGS = [
  { title: 'data.title', labels: 'data.labels' },
  { alerts: '$', title: 'name', status: 'state', statusMap: { alarm: 'firing', clear: 'resolved' } },
  { alerts: 'items', labelFields: { host: 'data.host', 'app.kubernetes.io/name': '["app.kubernetes.io/name"]' } },
  { title: '' },
  { title: '[' },
  { statusMap: { x: 'open' } },
  { nope: 'x' },
  'data.title',
] as const;

/** An Alertmanager (version 4) or Grafana (version 1) webhook with one alert. */
export function prometheusWebhook(version: string, labels: Record<string, string> = { alertname: 'FuzzAlert', instance: 'fuzz-1' }) {
  return {
    version,
    groupKey: '{}:{alertname="FuzzAlert"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'firebreak',
    groupLabels: {},
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: 'Fuzz alert' },
        startsAt: '2024-05-01T12:00:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph',
        fingerprint: `fp-${Object.values(labels).join('-')}`,
      },
    ],
  };
}

const PROMETHEUS_ENVELOPE_FIELDS = {
  alerts: [
    prometheusWebhook('4').alerts,
    [],
    [{}],
    [{ status: 'firing', labels: {} }],
    [{ status: 'firing', labels: { alertname: 'x' }, startsAt: 'yesterday' }],
    [{ status: 'pending', labels: { alertname: 'x' } }],
    [{ labels: { alertname: 'x', n: 1 } }],
    [{ status: 'resolved', labels: { alertname: 'FuzzAlert', instance: 'fuzz-1' }, fingerprint: 'fp-FuzzAlert-fuzz-1' }],
    [null],
    'x',
  ],
  status: ['firing', 'resolved', 'bogus', 1],
  groupKey: ['{}:{alertname="FuzzAlert"}', '', 1],
  receiver: ['firebreak', 1],
  truncatedAlerts: [0, 3, -1, 1.5, '1'],
  externalURL: ['http://alertmanager.example:9093', 'javascript:alert(1)', 1],
  commonLabels: [{ alertname: 'FuzzAlert' }, 'x'],
} as const;

export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: '/healthz', access: 'public' },
  { method: 'GET', path: '/readyz', access: 'public' },
  { method: 'GET', path: '/metrics', access: 'public' },
  { method: 'GET', path: '/api/v1/openapi.json', access: 'public' },
  {
    method: 'POST',
    path: '/api/v1/incidents',
    access: 'incidents.write',
    fields: {
      title: ['Checkout is down', 'x'.repeat(200), 'x'.repeat(201), ''],
      severity: SEVERITIES,
      services: SERVICES,
      summary: ['', 'what we know', 'x'.repeat(20_001)],
      commander: USERS,
    },
    validBody: { title: 'Checkout is down', severity: 'P2' },
  },
  { method: 'GET', path: '/api/v1/incidents', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/incidents/:id', access: 'incidents.read' },
  {
    method: 'PATCH',
    path: '/api/v1/incidents/:id',
    access: 'incidents.write',
    fields: {
      title: ['New title', ''],
      summary: ['edited', ''],
      severity: SEVERITIES,
      status: ['investigating', 'identified', 'mitigating', 'resolved', 'closed', 'bogus', 'RESOLVED'],
      services: SERVICES,
      version: [1, 2, 0, -1, 1.5, '1'],
    },
    validBody: { summary: 'edited' },
  },
  { method: 'POST', path: '/api/v1/incidents/:id/ack', access: 'incidents.write', fields: { comment: ['on it', '   ', ''] }, validBody: {} },
  {
    method: 'POST',
    path: '/api/v1/incidents/:id/updates',
    access: 'incidents.write',
    fields: {
      message: ['We are investigating', ''],
      public: [true, false, 'true', 0],
      template: ['update', 'nope', '', 'Update'],
      vars: [{ eta: '5m' }, {}, 'x', []],
      channels: [['pager-bridge'], [], ['nope'], 'pager-bridge'],
    },
    validBody: { message: 'We are investigating' },
  },
  { method: 'POST', path: '/api/v1/incidents/:id/notes', access: 'incidents.write', fields: { text: ['a note', ''] }, validBody: { text: 'a note' } },
  { method: 'GET', path: '/api/v1/incidents/:id/tasks', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/incidents/:id/postmortem/draft', access: 'incidents.read' },
  {
    method: 'PUT',
    path: '/api/v1/incidents/:id/postmortem',
    access: 'incidents.write',
    fields: { markdown: ['# Post-mortem', '', 'x'.repeat(600_000), 1], version: [0, 1, -1, 1.5, '0', 99] },
    validBody: { markdown: '# Post-mortem', version: 0 },
  },
  {
    method: 'POST',
    path: '/api/v1/incidents/:id/action-items',
    access: 'incidents.write',
    fields: {
      title: ['Autoscale the consumers', '', ' ', 'x'.repeat(501)],
      owner: ['tomasz', 'ghost', null, ''],
      dueAt: ['2030-01-01T00:00:00Z', 'tomorrow', null],
      status: ['open', 'done', 'closed'],
      trackerUrl: ['https://tracker.example/X-1', 'javascript:alert(1)', null, ''],
    },
    validBody: { title: 'Autoscale the consumers' },
  },
  { method: 'GET', path: '/api/v1/incidents/:id/action-items', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/action-items', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/reports', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/incidents/:id/timeline', access: 'incidents.read' },
  {
    method: 'PUT',
    path: '/api/v1/incidents/:id/roles/:role',
    access: 'incidents.write',
    fields: { assignee: USERS },
    validBody: { assignee: 'amara' },
  },
  { method: 'DELETE', path: '/api/v1/incidents/:id/roles/:role', access: 'incidents.write' },
  {
    method: 'POST',
    path: '/api/v1/incidents/:id/reminders',
    access: 'incidents.write',
    fields: {
      message: ['check the DLQ', ''],
      at: ['2030-01-01T00:00:00Z', '2020-01-01T00:00:00.000+02:00', '2020-02-30T00:00:00Z', 'tomorrow', '9999-12-31T23:59:59Z'],
      in: ['15m', '1h30m', '0s', '1.5h', '99999999999999w', '15', 'm', ' 15m'],
    },
    validBody: { message: 'check the DLQ', in: '15m' },
  },
  { method: 'GET', path: '/api/v1/events', access: 'events.read', stream: true },
  {
    method: 'POST',
    path: '/api/v1/tokens',
    access: 'tokens.manage',
    fields: { name: ['ci', ' ', 'x'.repeat(100), 'x'.repeat(101)], role: ['viewer', 'responder', 'runner', 'admin', 'root', 'Admin'] },
    validBody: { name: 'fuzz', role: 'viewer' },
  },
  { method: 'GET', path: '/api/v1/tokens', access: 'tokens.manage' },
  { method: 'DELETE', path: '/api/v1/tokens/:id', access: 'tokens.manage', idKind: 'token' },
  // Accounts of the web UI: administrators manage them; anyone signed in sees who they are.
  { method: 'GET', path: '/api/v1/session', access: 'session.own' },
  { method: 'GET', path: '/api/v1/sessions', access: 'session.own' },
  {
    method: 'POST',
    path: '/api/v1/users',
    access: 'users.manage',
    fields: {
      username: ['fuzz-user', 'amara', 'Amara', 'a b', '', '-x', 'x'.repeat(64), '../admin'],
      password: ['a long enough passphrase', 'short', '', 'x'.repeat(1025), '\u0000'.repeat(12)],
      role: ['viewer', 'responder', 'admin', 'runner', 'root', ''],
      name: ['Fuzz Person', '', ' ', 'x'.repeat(101)],
    },
    validBody: { username: 'fuzz-user', password: 'a long enough passphrase', role: 'viewer' },
    uniqueFields: ['username'],
  },
  { method: 'GET', path: '/api/v1/users', access: 'users.manage' },
  { method: 'GET', path: '/api/v1/users/:id', access: 'users.manage', idKind: 'account' },
  {
    method: 'PATCH',
    path: '/api/v1/users/:id',
    access: 'users.manage',
    idKind: 'account',
    fields: {
      name: ['Renamed', '', 'x'.repeat(101)],
      role: ['viewer', 'responder', 'admin', 'runner', 'Admin'],
      disabled: [true, false, 'true', 0],
      password: ['another long passphrase', 'short', ''],
    },
    validBody: { name: 'Renamed' },
  },
  { method: 'GET', path: '/api/v1/config', access: 'config.read' },
  { method: 'GET', path: '/api/v1/templates', access: 'config.read' },
  {
    method: 'POST',
    path: '/api/v1/templates/update/preview',
    access: 'incidents.read',
    fields: {
      vars: [{ eta: '5m' }, {}, 'x', [], { a: { b: [1, 2] } }],
      severity: ['P0', 'P9', ''],
      format: ['plain', 'html', 'slack', 'xml'],
      source: ['{{ incident.title }}', '{% if %}', '{% for i in (1..100000000) %}x{% endfor %}', '', 1],
      incident: ['01ARZ3NDEKTSV4RRFFQ69G5FAV', '', '../x'],
    },
    validBody: { vars: { eta: '5m' } },
  },
  // The route takes no body schema; whatever is sent must not matter.
  { method: 'POST', path: '/api/v1/config/reload', access: 'config.manage', fields: { path: ['/etc/passwd'], force: [true] } },

  // Alerts: integrations are admin-only; reads are for viewers; silences and maintenance for responders.
  {
    method: 'POST',
    path: '/api/v1/integrations',
    access: 'config.manage',
    fields: {
      kind: ['alertmanager', 'pagerduty', 'grafana', 'generic', 'nagios', 'Generic', ''],
      name: ['prod alertmanager', ' ', 'x'.repeat(100), 'x'.repeat(101)],
      service: ['rest-api', 'nope', '', 'x'.repeat(64)],
      mapping: MAPPINGS,
    },
    validBody: { kind: 'generic', name: 'fuzz' },
  },
  { method: 'GET', path: '/api/v1/integrations', access: 'config.manage' },
  { method: 'DELETE', path: '/api/v1/integrations/:id', access: 'config.manage', idKind: 'integration' },
  { method: 'GET', path: '/api/v1/alerts', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/alerts/:id', access: 'incidents.read', idKind: 'alert' },
  {
    method: 'POST',
    path: '/api/v1/silences',
    access: 'incidents.write',
    fields: {
      matchers: [
        ['alertname="FuzzSilence"'],
        ['alertname="FuzzSilence"', 'instance=~"db.*"'],
        ['{alertname="FuzzSilence", env!="prod"}'],
        ['alertname=~".*"'],
        ['alertname=~"("'],
        ['alertname'],
        [],
        [''],
        'alertname="x"',
        Array.from({ length: 51 }, (_, i) => `l${i}="v"`),
        [`a=~"${'(a|'.repeat(300)}a${')'.repeat(300)}"`],
      ],
      ...WINDOW_FIELDS,
    },
    validBody: { matchers: ['alertname="FuzzSilence"'], duration: '1h', comment: 'fuzz' },
  },
  {
    method: 'POST',
    path: '/api/v1/silences/preview',
    access: 'incidents.read',
    fields: { matchers: [['alertname="FuzzAlert"'], ['instance=~"fuzz.*"', 'alertname!="x"'], ['alertname=~".*"'], ['alertname=~"("'], [], [''], 'alertname="x"'] },
    validBody: { matchers: ['alertname="FuzzAlert"'] },
  },
  { method: 'GET', path: '/api/v1/silences', access: 'incidents.read' },
  { method: 'DELETE', path: '/api/v1/silences/:id', access: 'incidents.write', idKind: 'silence' },
  {
    method: 'POST',
    path: '/api/v1/maintenance-windows',
    access: 'incidents.write',
    fields: { service: ['scraper-mixesdb', 'rest-api', 'nope', '', 'x'.repeat(64)], ...WINDOW_FIELDS },
    validBody: { service: 'scraper-mixesdb', duration: '1h', comment: 'fuzz' },
  },
  { method: 'GET', path: '/api/v1/maintenance-windows', access: 'incidents.read' },
  { method: 'DELETE', path: '/api/v1/maintenance-windows/:id', access: 'incidents.write', idKind: 'maintenance' },

  // The public status page, and setting what it shows.
  ...[
    '/status',
    '/status/history.atom',
    '/status/api/v2/summary.json',
    '/status/api/v2/status.json',
    '/status/api/v2/components.json',
    '/status/api/v2/incidents.json',
    '/status/api/v2/incidents/unresolved.json',
    '/status/api/v2/scheduled-maintenances.json',
    '/status/api/v2/scheduled-maintenances/upcoming.json',
    '/status/api/v2/scheduled-maintenances/active.json',
  ].map((path): Endpoint => ({ method: 'GET', path, access: 'public' })),
  { method: 'GET', path: '/api/v1/status/components', access: 'incidents.read' },
  {
    method: 'PUT',
    path: '/api/v1/status/components/redis',
    access: 'status.manage',
    fields: { status: ['partial_outage', null, 'operational', 'under_maintenance', 'broken', '', 1] },
    validBody: { status: 'degraded_performance' },
  },
  {
    method: 'POST',
    path: '/api/v1/status/maintenances',
    access: 'status.manage',
    fields: {
      title: ['Database upgrade', '', 'x'.repeat(200), 'x'.repeat(201)],
      body: ['Writes pause briefly.', '', 'x'.repeat(20_001)],
      components: [['postgres'], [], ['postgres', 'redis'], ['postgres', 'postgres'], ['nope'], 'postgres'],
      scheduledFor: ['2030-01-01T00:00:00Z', '2020-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '9999-12-31T23:59:59Z', 'now'],
      scheduledUntil: ['2030-01-01T02:00:00Z', '2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'tomorrow'],
    },
    validBody: { title: 'Database upgrade', components: ['postgres'], scheduledFor: '2030-01-01T00:00:00Z', scheduledUntil: '2030-01-01T02:00:00Z' },
  },
  { method: 'GET', path: '/api/v1/status/maintenances', access: 'incidents.read' },
  { method: 'GET', path: '/api/v1/status/subscribers', access: 'status.manage' },

  // Alert ingest: the key opens the door, whatever Authorization says.
  {
    method: 'POST',
    path: '/api/v1/integrations/alertmanager/:key',
    access: 'ingest',
    ingest: 'alertmanager',
    bodyLimit: INGEST_BODY_LIMIT,
    fields: { ...PROMETHEUS_ENVELOPE_FIELDS, version: ['4', '3', 4, ''] },
    validBody: prometheusWebhook('4'),
  },
  {
    method: 'POST',
    path: '/api/v1/integrations/grafana/:key',
    access: 'ingest',
    ingest: 'grafana',
    bodyLimit: INGEST_BODY_LIMIT,
    fields: {
      ...PROMETHEUS_ENVELOPE_FIELDS,
      version: ['1', '4', 1],
      orgId: [1, 0, -1, 1.5, '1'],
      title: ['[FIRING:1] FuzzAlert', 'x'.repeat(20_000)],
      state: ['alerting', 'ok', 1],
      message: ['text', 1],
      ruleName: ['legacy'],
      evalMatches: [[]],
    },
    validBody: prometheusWebhook('1'),
  },
  {
    method: 'POST',
    path: '/api/v1/integrations/generic/:key',
    access: 'ingest',
    ingest: 'generic',
    bodyLimit: INGEST_BODY_LIMIT,
    fields: {
      title: ['Disk full on db-1', '', 'x'.repeat(5000), 1, true],
      status: ['firing', 'resolved', 'OK', 'alarm', 'bogus', '', 1],
      severity: ['critical', 'warning', '', 'x'.repeat(9000)],
      labels: [{ service: 'rest-api', host: 'db-1' }, {}, { '': 'x' }, { a: { b: 1 } }, { a: null }, { n: 1, b: true }, 'x', []],
      annotations: [{ summary: 's' }, {}, { a: [] }],
      dedup_key: ['disk-db-1', '', 'x'.repeat(256), 1],
      starts_at: ['2024-05-01T12:00:00Z', '0001-01-01T00:00:00Z', 1714564800, 1714564800000, -1, 1e20, 'yesterday', '2024-02-30T00:00:00Z'],
      ends_at: ['2024-05-01T13:00:00Z', '', null, 0],
      link: ['https://monitoring.example/x', 'javascript:alert(1)', '/relative', 1],
    },
    validBody: { title: 'Fuzz generic alert', status: 'firing', severity: 'warning', labels: { alertname: 'FuzzGeneric' }, dedup_key: 'fuzz-generic' },
  },
  {
    method: 'POST',
    path: '/v2/enqueue',
    access: 'ingest',
    ingest: 'pagerduty',
    fields: {
      routing_key: [KEY, KEY, 'fbi_nope', '', ' ', 'x'.repeat(201), 1],
      event_action: ['trigger', 'acknowledge', 'resolve', 'TRIGGER', '', 'snooze', 1],
      dedup_key: ['fuzz-pd', '', ' ', 'x'.repeat(256), 1],
      payload: [
        { summary: 'Checkout latency above 2s', source: 'web-7', severity: 'critical' },
        { summary: 'x', source: 'y', severity: 'info', component: 'db', group: 'g', class: 'c', timestamp: '2024-05-01T12:00:00.000+0000', custom_details: { p99: 2.4 } },
        { summary: 'x', source: 'y', severity: 'fatal' },
        { summary: '', source: 'y', severity: 'info' },
        { summary: 'x'.repeat(5000), source: 'y', severity: 'info', timestamp: 'yesterday' },
        { summary: 'x', source: 'y', severity: 'info', custom_details: 'x'.repeat(70_000) },
        {},
        'x',
        [],
      ],
      client: ['Prometheus', 1],
      client_url: ['https://prometheus.example', 'javascript:alert(1)'],
      links: [[{ href: 'https://x.example', text: 'x' }], [{ href: 'javascript:x' }], [{}], ['x'], 'x', Array.from({ length: 51 }, () => ({ href: 'https://x.example' }))],
      images: [[{ src: 'https://x.example/a.png', href: 'https://x.example', alt: 'a' }], [{}], 'x'],
    },
    validBody: { routing_key: KEY, event_action: 'trigger', payload: { summary: 'Fuzz page', source: 'fuzz', severity: 'warning' } },
  },
  {
    method: 'POST',
    path: '/v2/change/enqueue',
    access: 'ingest',
    ingest: 'pagerduty',
    fields: {
      routing_key: [KEY, KEY, 'fbi_nope', '', 1],
      payload: [
        { summary: 'Deployed rest-api v2.3.1', source: 'ci', timestamp: '2024-05-01T12:00:00Z' },
        { summary: 'x', custom_details: { a: 1 }, timestamp: 'yesterday' },
        { summary: '' },
        {},
        'x',
      ],
      links: [[{ href: 'https://ci.example/1', text: 'build' }], 'x', [{}]],
    },
    validBody: { routing_key: KEY, payload: { summary: 'Fuzz deploy', source: 'fuzz' } },
  },
];

export const hasBody = (endpoint: Endpoint) => endpoint.method !== 'GET' && (endpoint.fields !== undefined || endpoint.validBody !== undefined);

export const label = (endpoint: Endpoint) => `${endpoint.method} ${endpoint.path}`;
