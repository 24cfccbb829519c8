/**
 * Things for the property tests to aim at: an integration (and so a key) of each
 * kind, and fresh or shared targets for every kind of `:id` — incidents, tokens,
 * integrations, alerts, silences, maintenance windows — made through the API.
 */
import { randomBytes } from 'node:crypto';
import type { TestServer } from '../support/server.ts';
import { prometheusWebhook, type Endpoint, type IdKind, type IngestKind } from './endpoints.ts';
import { fill, send, withKey, type RawRequest } from './harness.ts';

export const INGEST_KINDS: readonly IngestKind[] = ['alertmanager', 'grafana', 'generic', 'pagerduty'];

export interface Fixtures {
  /** A live key of each kind. */
  keys: Record<IngestKind, string>;
  integrationIds: Record<IngestKind, string>;
  /** The key of a deleted integration of each kind. */
  deletedKeys: Record<IngestKind, string>;
}

async function createIntegration(t: TestServer, kind: IngestKind, name: string): Promise<{ id: string; key: string }> {
  const res = await t.api('POST', '/api/v1/integrations', { kind, name });
  if (res.status !== 201) throw new Error(`create ${kind} integration: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.integration.id, key: res.body.key };
}

export async function createFixtures(t: TestServer): Promise<Fixtures> {
  const keys = {} as Record<IngestKind, string>;
  const integrationIds = {} as Record<IngestKind, string>;
  const deletedKeys = {} as Record<IngestKind, string>;
  for (const kind of INGEST_KINDS) {
    const live = await createIntegration(t, kind, `fuzz ${kind}`);
    keys[kind] = live.key;
    integrationIds[kind] = live.id;
    const deleted = await createIntegration(t, kind, `deleted ${kind}`);
    const res = await t.api('DELETE', `/api/v1/integrations/${deleted.id}`);
    if (res.status !== 200) throw new Error(`delete integration: ${res.status} ${JSON.stringify(res.body)}`);
    deletedKeys[kind] = deleted.key;
  }
  return { keys, integrationIds, deletedKeys };
}

const unique = () => randomBytes(6).toString('hex');

async function expectCreated(t: TestServer, path: string, body: unknown): Promise<any> {
  const res = await t.api('POST', path, body);
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A new alert, posted through the Alertmanager integration, found again by its unique label. */
export async function freshAlert(t: TestServer, fixtures: Fixtures, labels: Record<string, string> = {}): Promise<string> {
  const id = unique();
  const body = prometheusWebhook('4', { alertname: 'FuzzTarget', fuzz_id: id, ...labels });
  const res = await send(t.url, {
    method: 'POST',
    path: `/api/v1/integrations/alertmanager/${fixtures.keys.alertmanager}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`alert webhook: ${res.status} ${res.text}`);
  const found = await t.api('GET', `/api/v1/alerts?integration=${fixtures.integrationIds.alertmanager}&label=fuzz_id=${id}`);
  const alertId = found.body.items?.[0]?.id;
  if (typeof alertId !== 'string') throw new Error(`the posted alert is not listed: ${JSON.stringify(found.body)}`);
  return alertId;
}

/** A new target of the kind: something a request with this id acts on for real. */
export async function freshTarget(t: TestServer, fixtures: Fixtures, kind: IdKind): Promise<string> {
  switch (kind) {
    case 'incident':
      return (await expectCreated(t, '/api/v1/incidents', { title: 'fuzz target', severity: 'P3', services: ['grafana'] })).id;
    case 'token':
      return (await expectCreated(t, '/api/v1/tokens', { name: 'throwaway', role: 'viewer' })).record.id;
    case 'integration':
      return (await expectCreated(t, '/api/v1/integrations', { kind: 'generic', name: 'throwaway' })).integration.id;
    case 'alert':
      return freshAlert(t, fixtures);
    case 'silence':
      return (await expectCreated(t, '/api/v1/silences', { matchers: [`fuzz_id="${unique()}"`], duration: '1h', comment: 'target' })).id;
    case 'account':
      return (await expectCreated(t, '/api/v1/users', { username: `target-${unique()}`, password: 'a long enough passphrase', role: 'viewer' })).id;
    case 'maintenance':
      // Starts tomorrow, so that it silences nothing the other properties send.
      return (
        await expectCreated(t, '/api/v1/maintenance-windows', {
          service: 'scraper-1001tracklists',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          duration: '1h',
          comment: 'target',
        })
      ).id;
  }
}

/** The path of an endpoint with its `:id`, `:role` and `:key` filled in. */
export function pathOf(endpoint: Endpoint, params: { id?: string; role?: string; key?: string }): string {
  return fill(endpoint.path, { id: params.id ?? '', role: params.role ?? 'scribe', key: params.key ?? '' });
}

/**
 * The request that succeeds for a caller who may make it: a fresh target, a valid
 * body, the live key of an ingest route. `headers` carry the caller's credentials.
 */
export async function validRequestFor(
  t: TestServer,
  fixtures: Fixtures,
  endpoint: Endpoint,
  headers: Record<string, string>,
  id?: string,
): Promise<RawRequest> {
  const target = id ?? (endpoint.path.includes(':id') ? await freshTarget(t, fixtures, endpoint.idKind ?? 'incident') : '');
  const key = endpoint.ingest ? fixtures.keys[endpoint.ingest] : '';
  const all: Record<string, string> = { ...headers };
  if (endpoint.validBody !== undefined) all['content-type'] = 'application/json';
  const body = endpoint.validBody === undefined ? undefined : { ...(endpoint.validBody as Record<string, unknown>) };
  for (const field of endpoint.uniqueFields ?? []) if (body) body[field] = `${String(body[field])}-${unique()}`;
  return {
    method: endpoint.method,
    path: pathOf(endpoint, { id: target, key }),
    headers: all,
    body: body === undefined ? undefined : withKey(JSON.stringify(body), key),
  };
}

