import type { IncidentJson, MaintenanceJson, StatusSnapshot } from './snapshot.ts';
import { escapeMarkup as x, readableTime, urnFor } from './text.ts';

const STATUS_WORDS: Record<string, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
};

/** The entry's content: its public updates, newest first, as HTML (escaped once more by the feed). */
function entryHtml(item: IncidentJson | MaintenanceJson): string {
  const parts = item.incident_updates.map(
    (u) => `<p><strong>${x(STATUS_WORDS[u.status] ?? u.status)}</strong> (${x(readableTime(u.display_at))}): ${x(u.body)}</p>`,
  );
  if (item.components.length > 0) parts.push(`<p>Affected: ${item.components.map((c) => x(c.name)).join(', ')}</p>`);
  if ('scheduled_for' in item) {
    parts.unshift(`<p>Scheduled for ${x(readableTime(item.scheduled_for))} until ${x(readableTime(item.scheduled_until))}</p>`);
  }
  return parts.join('');
}

/** Atom 1.0 (RFC 4287): the recent public incidents and maintenances, most recently updated first. */
export function renderAtom(snapshot: StatusSnapshot): string {
  const { page, base } = snapshot;
  const items: Array<{ kind: string; item: IncidentJson | MaintenanceJson }> = [
    ...snapshot.incidents.map((item) => ({ kind: 'incident', item })),
    ...snapshot.maintenances.map((item) => ({ kind: 'maintenance', item })),
  ].sort((a, b) => (a.item.updated_at < b.item.updated_at ? 1 : a.item.updated_at > b.item.updated_at ? -1 : 0));
  const entries = items.map(
    ({ kind, item }) => `<entry>
<id>${urnFor(`firebreak-status:${page.id}:${kind}:${item.id}`)}</id>
<title>${x(item.name)}</title>
<published>${item.created_at}</published>
<updated>${item.updated_at}</updated>
<link rel="alternate" type="text/html" href="${x(item.shortlink)}"/>
<content type="html">${x(entryHtml(item))}</content>
</entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>${urnFor(`firebreak-status:${page.id}`)}</id>
<title>${x(page.name)} status: incident history</title>
<updated>${page.updated_at}</updated>
<author><name>${x(page.name)}</name></author>
<link rel="self" type="application/atom+xml" href="${x(`${base}/status/history.atom`)}"/>
<link rel="alternate" type="text/html" href="${x(`${base}/status`)}"/>
${entries.join('\n')}
</feed>
`;
}
