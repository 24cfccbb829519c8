import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withActor, type Services } from '../../core/context.ts';
import { StringEnum } from '../../core/schema.ts';
import { listTemplates, previewTemplate, TEMPLATE_FORMATS } from '../../templates/index.ts';
import { errorResponses } from '../schemas.ts';

const tags = ['templates'];

const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }) });

const TemplateListJson = Type.Object({
  folder: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(
    Type.Object({
      name: Type.String(),
      general: Type.Boolean({ description: 'there is a NAME.liquid for every severity without its own variant' }),
      severities: Type.Array(Type.String(), { description: 'severities with their own NAME.SEVERITY.liquid' }),
    }),
  ),
});

const PreviewInput = Type.Object(
  {
    incident: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{1,64}$', description: 'render with this incident; without it, a made-up one' })),
    vars: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), { maxProperties: 100, description: 'values the template reads as vars.NAME' })),
    severity: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "pick this severity's variant (default: the incident's)" })),
    format: Type.Optional(StringEnum(TEMPLATE_FORMATS, { description: 'how variables are escaped: plain, html (email), slack (chat mrkdwn)' })),
    source: Type.Optional(Type.String({ maxLength: 100_000, description: 'Liquid text to try instead of the file (nothing is saved)' })),
  },
  { additionalProperties: false },
);

const PreviewJson = Type.Object({
  name: Type.String(),
  variant: Type.Union([Type.String(), Type.Null()], { description: 'the severity of the variant used; null for the general template' }),
  format: Type.String(),
  text: Type.String(),
});

export const templateRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/templates',
      { config: { action: 'config.read' }, schema: { tags, summary: 'The message templates of the configuration', response: { 200: TemplateListJson, ...errorResponses() } } },
      async () => {
        const config = services.config();
        return { folder: config.templates.folder, items: listTemplates(config) };
      },
    );
    app.post(
      '/templates/:name/preview',
      {
        config: { action: 'incidents.read' },
        schema: {
          tags,
          summary: 'Render a template with an incident, sending nothing',
          description: 'A template that does not parse or render is a 400 with its line and column.',
          params: NameParams,
          body: PreviewInput,
          response: { 200: PreviewJson, ...errorResponses(404) },
        },
      },
      async (request) => previewTemplate(withActor(services, request.actor), request.params.name, request.body),
    );
  };
