import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config/schema.ts';
import { BusinessHours, IncidentRole, SeverityLevel, Service, Team, User } from '../../config/schema.ts';
import type { Services } from '../../core/context.ts';
import type { DomainError } from '../../core/errors.ts';
import { errorResponses } from '../schemas.ts';

export type ConfigReloader = () => Promise<{ ok: true; config: Config; changed: boolean } | { ok: false; error: DomainError }>;

const Source = Type.Object({ path: Type.Union([Type.String(), Type.Null()]), sha256: Type.String(), loadedAt: Type.String({ format: 'date-time' }) });

const ConfigJson = Type.Object({
  severities: Type.Array(SeverityLevel),
  roles: Type.Array(IncidentRole),
  services: Type.Array(Service),
  teams: Type.Array(Team),
  users: Type.Array(User),
  businessHours: BusinessHours,
  source: Source,
});

const presentConfig = (config: Config) => ({
  severities: [...config.severities],
  roles: [...config.roles],
  services: [...config.services],
  teams: [...config.teams],
  users: [...config.users],
  businessHours: config.businessHours,
  source: { ...config.source, loadedAt: new Date(config.source.loadedAt).toISOString() },
});

const tags = ['config'];

export const configRoutes =
  (services: Services, reload: ConfigReloader): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/config',
      { config: { action: 'config.read' }, schema: { tags, summary: 'The configuration in force', response: { 200: ConfigJson, ...errorResponses() } } },
      async () => presentConfig(services.config()),
    );
    app.post(
      '/config/reload',
      {
        config: { action: 'config.manage' },
        schema: {
          tags,
          summary: 'Reload firebreak.yaml; an invalid file is refused and the running configuration stays',
          response: { 200: Type.Object({ changed: Type.Boolean(), source: Source }), ...errorResponses() },
        },
      },
      async (request) => {
        const outcome = await reload();
        if (!outcome.ok) throw outcome.error;
        request.log.info({ changed: outcome.changed, sha256: outcome.config.source.sha256 }, 'configuration reloaded');
        return { changed: outcome.changed, source: presentConfig(outcome.config).source };
      },
    );
  };
