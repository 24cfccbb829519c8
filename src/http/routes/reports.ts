import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withActor, type Services } from '../../core/context.ts';
import { StringEnum } from '../../core/schema.ts';
import { buildReport, reportCsv, REPORT_TABLES } from '../../reports/index.ts';
import { errorResponses } from '../schemas.ts';
import { parseTimeField } from '../time.ts';

const DAY = 86_400_000;

const ReportQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'default: 30 days before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    severity: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    format: Type.Optional(StringEnum(['json', 'csv'] as const)),
    table: Type.Optional(StringEnum(REPORT_TABLES, { description: 'with format=csv: which table (default incidents)' })),
  },
  { additionalProperties: false },
);

/** The report as JSON, or the CSV text of one of its tables. */
const AnyObject = Type.Unsafe<object>({ type: 'object', additionalProperties: true });

export const reportRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/reports',
      {
        config: { action: 'incidents.read' },
        schema: {
          tags: ['reports'],
          summary: 'Incidents, MTTA/MTTR, SLA compliance, alert noise and on-call load over a period; JSON or CSV',
          querystring: ReportQuery,
          response: { 200: Type.Union([AnyObject, Type.String()]), ...errorResponses() },
        },
      },
      async (request, reply) => {
        const ctx = withActor(services, request.actor);
        const to = parseTimeField(request.query.to, 'to', ctx.clock.now());
        const from = parseTimeField(request.query.from, 'from', to - 30 * DAY);
        const report = await buildReport(ctx, { from, to, service: request.query.service, severity: request.query.severity });
        if (request.query.format !== 'csv') return report;
        const table = request.query.table ?? 'incidents';
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="firebreak-${table}-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv"`)
          .send(reportCsv(report, table));
      },
    );
  };
