import { createHash } from 'node:crypto';
import { constants, gzipSync } from 'node:zlib';
import { renderAtom } from './atom.ts';
import { renderHtml } from './html.ts';
import type { StatusSnapshot } from './snapshot.ts';

/** Every public document of the status page, by name. */
export const STATUS_DOCUMENTS = [
  'html',
  'atom',
  'summary',
  'status',
  'components',
  'incidents',
  'incidents-unresolved',
  'maintenances',
  'maintenances-upcoming',
  'maintenances-active',
] as const;
export type StatusDocumentName = (typeof STATUS_DOCUMENTS)[number];

export interface RenderedDocument {
  body: Buffer;
  /** Strong: a digest of exactly these bytes. */
  etag: string;
  /** The same document gzipped once here, for the many readers that accept it; its own strong ETag. */
  gzip: Buffer;
  gzipEtag: string;
  contentType: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function rendered(text: string, contentType: string): RenderedDocument {
  const body = Buffer.from(text, 'utf8');
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  const gzip = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
  return { body, etag: `"${digest}"`, gzip, gzipEtag: `"${digest}-gz"`, contentType };
}

/** All documents at once: the snapshot is read once per change and every request after that is a lookup. */
export function renderDocuments(snapshot: StatusSnapshot): Map<StatusDocumentName, RenderedDocument> {
  const { page, status, components, incidents, maintenances } = snapshot;
  const unresolved = incidents.filter((i) => i.status !== 'resolved');
  const upcoming = maintenances.filter((m) => m.status === 'scheduled');
  const active = maintenances.filter((m) => m.status === 'in_progress');
  const json = (value: unknown) => rendered(JSON.stringify(value), JSON_TYPE);
  return new Map<StatusDocumentName, RenderedDocument>([
    ['html', rendered(renderHtml(snapshot), 'text/html; charset=utf-8')],
    ['atom', rendered(renderAtom(snapshot), 'application/atom+xml; charset=utf-8')],
    ['summary', json({ page, components, incidents: unresolved, scheduled_maintenances: [...active, ...upcoming], status })],
    ['status', json({ page, status })],
    ['components', json({ page, components })],
    ['incidents', json({ page, incidents })],
    ['incidents-unresolved', json({ page, incidents: unresolved })],
    ['maintenances', json({ page, scheduled_maintenances: maintenances })],
    ['maintenances-upcoming', json({ page, scheduled_maintenances: upcoming })],
    ['maintenances-active', json({ page, scheduled_maintenances: active })],
  ]);
}
