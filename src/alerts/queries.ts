import type { Context } from '../core/context.ts';
import { invalid, notFound } from '../core/errors.ts';
import type { AlertHistoryEntry, AlertRecord } from '../store/index.ts';
import { repeatsWritten } from './pipeline.ts';

export interface AlertQuery {
  statuses?: string[];
  service?: string;
  incidentId?: string;
  integrationId?: string;
  labels?: string[];
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

const encodeCursor = (alert: AlertRecord) => Buffer.from(`${alert.lastSeenAt}:${alert.id}`).toString('base64url');

function decodeCursor(cursor: string): { lastSeenAt: number; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (!id || !Number.isSafeInteger(Number(at)) || !/^[0-9A-Z]{26}$/.test(id)) throw invalid('The cursor is not one this server gave out', { field: 'cursor' });
  return { lastSeenAt: Number(at), id };
}

/** `label=value` pairs, as `?label=queue=dlq` in the API and `--label` in the CLI. */
function parseLabelFilters(pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw invalid(`"${pair}" is not name=value`, { field: 'label' });
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** Most recently seen first. */
export async function listAlerts(ctx: Context, query: AlertQuery): Promise<{ items: AlertRecord[]; nextCursor: string | null }> {
  const limit = Math.min(query.limit ?? 50, 500);
  // Repeats answered from memory are written a moment later; a read right after the answer must count them.
  await repeatsWritten(ctx.store);
  const rows = await ctx.store.repos.alerts.list({
    statuses: query.statuses,
    service: query.service,
    incidentId: query.incidentId,
    integrationId: query.integrationId,
    labels: parseLabelFilters(query.labels ?? []),
    seenFrom: query.from,
    seenTo: query.to,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: limit + 1,
  });
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(items.at(-1)!) : null };
}

export async function getAlert(ctx: Context, id: string): Promise<{ alert: AlertRecord; history: AlertHistoryEntry[] }> {
  await repeatsWritten(ctx.store);
  const alert = await ctx.store.repos.alerts.get(id);
  if (!alert) throw notFound('Alert', id);
  return { alert, history: await ctx.store.repos.alerts.history(id, 1000) };
}
