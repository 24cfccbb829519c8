import type { Context } from '../core/context.ts';
import { invalid, notFound } from '../core/errors.ts';
import type { IncidentRecord, SlaClockRecord, TimelineEntry } from '../store/index.ts';
import { allowedTransitions, type IncidentStatus } from './lifecycle.ts';

export interface IncidentView extends IncidentRecord {
  clocks: SlaClockRecord[];
  allowedTransitions: IncidentStatus[];
}

export interface IncidentQuery {
  statuses?: string[];
  severities?: string[];
  service?: string;
  /** Words that must all appear in the title or summary, in any case. */
  text?: string;
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

export const MAX_PAGE = 500;

const encodeCursor = (incident: IncidentRecord) =>
  Buffer.from(`${incident.declaredAt}:${incident.id}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): { declaredAt: number; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const declaredAt = Number(at);
  if (!id || !Number.isSafeInteger(declaredAt) || !/^[0-9A-Z]{26}$/.test(id)) {
    throw invalid('The cursor is not one this server gave out', { field: 'cursor' });
  }
  return { declaredAt, id };
}

async function withClocks(ctx: Context, incidents: IncidentRecord[]): Promise<IncidentView[]> {
  const clocks = await ctx.store.repos.clocks.forIncidents(incidents.map((i) => i.id));
  return incidents.map((incident) => ({
    ...incident,
    clocks: clocks.get(incident.id) ?? [],
    allowedTransitions: allowedTransitions(incident.status),
  }));
}

export async function getIncident(ctx: Context, id: string): Promise<IncidentView> {
  const incident = await ctx.store.repos.incidents.get(id);
  if (!incident) throw notFound('Incident', id);
  const [view] = await withClocks(ctx, [incident]);
  return view!;
}

export async function viewOf(ctx: Context, incident: IncidentRecord): Promise<IncidentView> {
  const [view] = await withClocks(ctx, [incident]);
  return view!;
}

/** Newest first, a page at a time; `nextCursor` is null on the last page. */
export async function listIncidents(ctx: Context, query: IncidentQuery): Promise<{ items: IncidentView[]; nextCursor: string | null }> {
  const limit = Math.min(query.limit ?? 50, MAX_PAGE);
  const rows = await ctx.store.repos.incidents.list({
    statuses: query.statuses,
    severities: query.severities,
    service: query.service,
    text: query.text,
    declaredFrom: query.from,
    declaredTo: query.to,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    items: await withClocks(ctx, page),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
  };
}

export async function incidentTimeline(
  ctx: Context,
  id: string,
  options: { after?: string; before?: string; limit?: number; order?: 'oldest' | 'newest' },
): Promise<TimelineEntry[]> {
  if (!(await ctx.store.repos.incidents.get(id))) throw notFound('Incident', id);
  return ctx.store.repos.timeline.list(id, {
    afterId: options.after,
    beforeId: options.before,
    limit: Math.min(options.limit ?? 1000, 5000),
    newestFirst: options.order === 'newest',
  });
}
