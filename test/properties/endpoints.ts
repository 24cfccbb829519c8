/**
 * Every route of the API, with who may call it and the fields its body takes
 * (valid sample values first), so the property tests can cover them all from
 * one list. Keep in step with src/http/routes/*.ts and src/auth/policy.ts.
 */
import type { Action } from '../../src/auth/index.ts';

export type Access = Action | 'public';

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
  /** `:id` names a token rather than an incident. */
  tokenId?: boolean;
}

const SEVERITIES = ['P0', 'P1', 'P2', 'P3', 'p1', 'SEV1', ''] as const;
const SERVICES = [[], ['rest-api'], ['rest-api', 'redis'], ['rest-api', 'rest-api'], ['nope'], 'rest-api'] as const;
const USERS = ['amara', 'tomasz', 'priya', 'ghost', ''] as const;
export const ROLE_IDS = ['commander', 'communications', 'scribe', 'ops', 'ghost', 'Commander'] as const;

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
    fields: { message: ['We are investigating', ''], public: [true, false, 'true', 0] },
    validBody: { message: 'We are investigating' },
  },
  { method: 'POST', path: '/api/v1/incidents/:id/notes', access: 'incidents.write', fields: { text: ['a note', ''] }, validBody: { text: 'a note' } },
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
  { method: 'DELETE', path: '/api/v1/tokens/:id', access: 'tokens.manage', tokenId: true },
  { method: 'GET', path: '/api/v1/config', access: 'config.read' },
  // The route takes no body schema; whatever is sent must not matter.
  { method: 'POST', path: '/api/v1/config/reload', access: 'config.manage', fields: { path: ['/etc/passwd'], force: [true] } },
];

export const hasBody = (endpoint: Endpoint) => endpoint.method !== 'GET' && (endpoint.fields !== undefined || endpoint.validBody !== undefined);

export const label = (endpoint: Endpoint) => `${endpoint.method} ${endpoint.path}`;
