import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { withActor, type Services } from '../../core/context.ts';
import { StringEnum } from '../../core/schema.ts';
import {
  COMPONENT_STATUSES,
  ScheduleMaintenanceInput,
  SetComponentInput,
  StatusPage,
  cancelMaintenance,
  componentSettings,
  listMaintenances,
  scheduleMaintenance,
  setComponentStatus,
  type ComponentSetting,
  type Maintenance,
  type StatusDocumentName,
} from '../../status/index.ts';
import { IdParams, errorResponses } from '../schemas.ts';
import { subscriptionRoutes } from './subscriptions.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const ComponentSettingJson = Type.Object({
  service: Type.String(),
  override: Type.Union([StringEnum(COMPONENT_STATUSES), Type.Null()], { description: 'set by hand; null when derived from open public incidents' }),
  updatedAt: NullableTime,
  updatedBy: Type.Union([Type.String(), Type.Null()]),
});

const MaintenanceJson = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String(),
  components: Type.Array(Type.String()),
  scheduledFor: Type.String({ format: 'date-time' }),
  scheduledUntil: Type.String({ format: 'date-time' }),
  status: StringEnum(['scheduled', 'in_progress', 'completed'] as const),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
});

const presentSetting = (s: ComponentSetting): Static<typeof ComponentSettingJson> => ({
  service: s.service,
  override: s.override,
  updatedAt: s.updatedAt === null ? null : iso(s.updatedAt),
  updatedBy: s.updatedBy,
});

const presentMaintenance = (m: Maintenance): Static<typeof MaintenanceJson> => ({
  id: m.id,
  title: m.title,
  body: m.body,
  components: m.components,
  scheduledFor: iso(m.scheduledFor),
  scheduledUntil: iso(m.scheduledUntil),
  status: m.status,
  createdAt: iso(m.createdAt),
  createdBy: m.createdBy,
});

const ServiceParams = Type.Object({ service: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false });
const ListQuery = Type.Object({ all: Type.Optional(Type.Boolean({ description: 'include the 100 most recent past ones' })) }, { additionalProperties: false });

/** The public documents and where they are served; the JSON ones follow Atlassian Statuspage's v2 paths. */
const PUBLIC_PATHS: ReadonlyArray<[string, StatusDocumentName, string]> = [
  ['/status', 'html', 'The status page (HTML, no JavaScript)'],
  ['/status/history.atom', 'atom', 'Incident history as an Atom feed'],
  ['/status/api/v2/summary.json', 'summary', 'Statuspage v2: page, status, components, unresolved incidents, upcoming and active maintenances'],
  ['/status/api/v2/status.json', 'status', 'Statuspage v2: the page indicator and its description'],
  ['/status/api/v2/components.json', 'components', 'Statuspage v2: components'],
  ['/status/api/v2/incidents.json', 'incidents', 'Statuspage v2: the 50 most recent public incidents'],
  ['/status/api/v2/incidents/unresolved.json', 'incidents-unresolved', 'Statuspage v2: unresolved public incidents'],
  ['/status/api/v2/scheduled-maintenances.json', 'maintenances', 'Statuspage v2: the 50 most recent scheduled maintenances'],
  ['/status/api/v2/scheduled-maintenances/upcoming.json', 'maintenances-upcoming', 'Statuspage v2: maintenances not yet started'],
  ['/status/api/v2/scheduled-maintenances/active.json', 'maintenances-active', 'Statuspage v2: maintenances in progress'],
];

const CACHE_CONTROL = 'public, max-age=30';
const HTML_HEADERS = {
  'cache-control': CACHE_CONTROL,
  vary: 'accept-encoding',
  // Nothing on the page runs or loads anything: say so, so that an injected tag could not either.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
  'x-content-type-options': 'nosniff',
};
// Status widgets on other sites read these from the browser, as they do Statuspage's.
const API_HEADERS = { 'cache-control': CACHE_CONTROL, vary: 'accept-encoding', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' };

/** Whether the client takes gzip (RFC 9110 12.5.3): named, or `*`, with a q above 0; an explicit gzip;q=0 wins. */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let gzip: boolean | null = null;
  let any = false;
  for (const part of header.toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip') gzip = accepted;
    else if (coding === '*') any = accepted;
  }
  return gzip ?? any;
}

/** If-None-Match matches with the weak comparison (RFC 9110 13.1.2), so a proxy's W/ prefix still gets a 304. */
function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

export const statusRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ctx = (actor: Parameters<typeof withActor>[1]) => withActor(services, actor);
    const page = new StatusPage(services);
    page.start();
    app.addHook('onClose', async () => page.stop());
    await app.register(subscriptionRoutes(services));

    for (const [path, name, summary] of PUBLIC_PATHS) {
      const headers = name === 'html' || name === 'atom' ? HTML_HEADERS : API_HEADERS;
      app.get(path, { config: { action: 'public' }, schema: { tags: ['status page'], summary, security: [] } }, async (request: FastifyRequest, reply: FastifyReply) => {
        const document = await page.document(name);
        const gzip = acceptsGzip(request.headers['accept-encoding']);
        const etag = gzip ? document.gzipEtag : document.etag;
        reply.headers(headers).header('etag', etag);
        if (notModified(request.headers['if-none-match'], etag)) return reply.status(304).send();
        if (gzip) reply.header('content-encoding', 'gzip');
        return reply.type(document.contentType).send(gzip ? document.gzip : document.body);
      });
    }

    const manage = { action: 'status.manage' as const };
    const tags = ['status page'];
    app.get(
      '/api/v1/status/components',
      { config: { action: 'incidents.read' }, schema: { tags, summary: 'Components and the statuses set by hand', response: { 200: Type.Object({ items: Type.Array(ComponentSettingJson) }), ...errorResponses() } } },
      async (request) => ({ items: (await componentSettings(ctx(request.actor))).map(presentSetting) }),
    );
    app.put(
      '/api/v1/status/components/:service',
      {
        config: manage,
        schema: { tags, summary: 'Set a component status by hand, or null to derive it from incidents again', params: ServiceParams, body: SetComponentInput, response: { 200: ComponentSettingJson, ...errorResponses(404) } },
      },
      async (request) => presentSetting(await setComponentStatus(ctx(request.actor), request.params.service, request.body)),
    );
    app.post(
      '/api/v1/status/maintenances',
      { config: manage, schema: { tags, summary: 'Announce a scheduled maintenance', body: ScheduleMaintenanceInput, response: { 201: MaintenanceJson, ...errorResponses() } } },
      async (request, reply) => {
        const maintenance = await scheduleMaintenance(ctx(request.actor), request.body);
        return reply.status(201).header('location', `/api/v1/status/maintenances/${maintenance.id}`).send(presentMaintenance(maintenance));
      },
    );
    app.get(
      '/api/v1/status/maintenances',
      { config: { action: 'incidents.read' }, schema: { tags, summary: 'Scheduled maintenances not over yet (all=true: also past ones)', querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(MaintenanceJson) }), ...errorResponses() } } },
      async (request) => ({ items: (await listMaintenances(ctx(request.actor), { all: request.query.all })).map(presentMaintenance) }),
    );
    app.delete(
      '/api/v1/status/maintenances/:id',
      { config: manage, schema: { tags, summary: 'Take a maintenance off the status page', params: IdParams, response: { 204: Type.Null(), ...errorResponses(404) } } },
      async (request, reply) => {
        await cancelMaintenance(ctx(request.actor), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
