import { COMPONENT_LABELS } from './model.ts';
import type { IncidentJson, MaintenanceJson, StatusSnapshot } from './snapshot.ts';
import { escapeMarkup as x, readableTime } from './text.ts';

const UPDATE_WORDS: Record<string, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
};
const IMPACT_WORDS: Record<string, string> = { none: 'No impact', minor: 'Minor', major: 'Major', critical: 'Critical', maintenance: 'Maintenance' };
/** Past incidents shown on the page; the JSON API and the feed carry more. */
const PAST_ON_PAGE = 20;

// Every colour pair below has a contrast of at least 4.5:1, and every status is
// also written out in words: colour only repeats what the text says.
const STYLE = `
:root{color-scheme:light;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;background:#fff}
body{margin:0 auto;max-width:46rem;padding:1rem}
a{color:#1d4ed8}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.25rem;margin:2rem 0 .75rem}h3{font-size:1.05rem;margin:0 0 .25rem}
.banner{color:#fff;padding:1rem;border-radius:.5rem;margin:0;font-size:1.2rem}
.i-none{background:#166534}.i-minor{background:#854d0e}.i-major{background:#9a3412}.i-critical{background:#991b1b}.i-maintenance{background:#1e40af}
ul.components{list-style:none;padding:0;margin:0;border:1px solid #d1d5db;border-radius:.5rem}
ul.components li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;padding:.75rem 1rem;border-top:1px solid #e5e7eb}
ul.components li:first-child{border-top:0}
.st{font-weight:600}
.operational{color:#166534}.degraded_performance{color:#854d0e}.partial_outage{color:#9a3412}.major_outage{color:#991b1b}.under_maintenance{color:#1e40af}
article{border-left:.3rem solid #6b7280;padding:.25rem 0 .25rem 1rem;margin:0 0 1.5rem}
article.critical{border-color:#991b1b}article.major{border-color:#9a3412}article.minor{border-color:#854d0e}article.maintenance{border-color:#1e40af}
.meta,time{color:#4b5563;font-size:.9rem}
ol.updates{list-style:none;padding:0;margin:.5rem 0 0}ol.updates li{margin:0 0 .75rem}
.body{white-space:pre-line;overflow-wrap:anywhere}
footer{margin-top:3rem;border-top:1px solid #e5e7eb;padding-top:1rem;font-size:.9rem}
form.subscribe{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
input[type=email]{font:inherit;padding:.4rem .5rem;border:1px solid #6b7280;border-radius:.25rem;min-width:16rem}
button{font:inherit;padding:.4rem .9rem;border:0;border-radius:.25rem;background:#1d4ed8;color:#fff;cursor:pointer}
`.trim();

const time = (iso: string) => `<time datetime="${iso}">${readableTime(iso)}</time>`;

function article(kind: 'incident' | 'maintenance', item: IncidentJson | MaintenanceJson, level: 'h3'): string {
  const id = `${kind}-${item.id}`;
  const affected = item.components.length > 0 ? ` · Affects: ${item.components.map((c) => x(c.name)).join(', ')}` : '';
  const when =
    'scheduled_for' in item
      ? `<p class="meta">Scheduled from ${time(item.scheduled_for)} to ${time(item.scheduled_until)}${affected}</p>`
      : `<p class="meta">Impact: ${IMPACT_WORDS[item.impact] ?? item.impact}${affected}</p>`;
  const updates = item.incident_updates
    .map(
      (u) =>
        `<li><p class="body"><strong>${UPDATE_WORDS[u.status] ?? x(u.status)}</strong> — ${x(u.body)}</p>${time(u.display_at)}</li>`,
    )
    .join('');
  return `<article id="${x(id)}" class="${x(item.impact)}" aria-labelledby="${x(id)}-title"><${level} id="${x(id)}-title">${x(item.name)}</${level}>${when}<ol class="updates">${updates}</ol></article>`;
}

/** The status page itself: plain HTML and a little CSS, readable without JavaScript, on a phone, by a screen reader. */
export function renderHtml(snapshot: StatusSnapshot): string {
  const { page, status, components, incidents, maintenances, base } = snapshot;
  const unresolved = incidents.filter((i) => i.status !== 'resolved');
  const past = incidents.filter((i) => i.status === 'resolved').slice(0, PAST_ON_PAGE);
  const current = maintenances.filter((m) => m.status !== 'completed');
  const sections: string[] = [];
  sections.push(
    `<section aria-labelledby="overall"><h2 id="overall" class="banner i-${status.indicator}">${x(status.description)}</h2><p class="meta">Last change ${time(page.updated_at)}</p></section>`,
  );
  if (unresolved.length > 0) {
    sections.push(`<section aria-labelledby="current"><h2 id="current">Current incidents</h2>${unresolved.map((i) => article('incident', i, 'h3')).join('')}</section>`);
  }
  if (current.length > 0) {
    sections.push(`<section aria-labelledby="maintenance"><h2 id="maintenance">Scheduled maintenance</h2>${current.map((m) => article('maintenance', m, 'h3')).join('')}</section>`);
  }
  const rows = components
    .map((c) => `<li><span>${x(c.name)}</span><span class="st ${c.status}">${COMPONENT_LABELS[c.status]}</span></li>`)
    .join('');
  sections.push(
    `<section aria-labelledby="components"><h2 id="components">Components</h2>${rows ? `<ul class="components">${rows}</ul>` : '<p>No components are configured.</p>'}</section>`,
  );
  sections.push(
    `<section aria-labelledby="history"><h2 id="history">Past incidents</h2>${past.length > 0 ? past.map((i) => article('incident', i, 'h3')).join('') : '<p>No incidents reported.</p>'}</section>`,
  );
  if (snapshot.subscriptions) {
    // A plain form: works without JavaScript, and the answer is a page of its own.
    sections.push(
      `<section aria-labelledby="subscribe"><h2 id="subscribe">Get updates by email</h2><form class="subscribe" method="post" action="${x(base)}/status/subscribe"><label for="subscribe-email">Email address</label><input id="subscribe-email" type="email" name="email" required maxlength="254" autocomplete="email"><button type="submit">Subscribe</button></form><p class="meta">We send a link to confirm first. Every mail has a link to unsubscribe.</p></section>`,
    );
  }
  const name = x(page.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} status</title>
<meta name="description" content="${x(`${page.name}: ${status.description}`)}">
<link rel="alternate" type="application/atom+xml" title="${name} incident history" href="${x(base)}/status/history.atom">
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><h1>${name} status</h1></header>
<main id="main">
${sections.join('\n')}
</main>
<footer><p>Follow this page: <a href="${x(base)}/status/history.atom">Atom feed</a> · <a href="${x(base)}/status/api/v2/summary.json">JSON (Statuspage v2 API)</a></p></footer>
</body>
</html>
`;
}

/** A small page of its own (subscribe, confirm, unsubscribe), in the status page's look; with a form when there is something to press. */
export function renderNotice(notice: { pageName: string; home: string; title: string; message: string; form?: { action: string; button: string } }): string {
  const form = notice.form
    ? `<form method="post" action="${x(notice.form.action)}"><input type="hidden" name="confirm" value="yes"><button type="submit">${x(notice.form.button)}</button></form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${x(notice.title)} · ${x(notice.pageName)} status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${x(notice.pageName)} status</h1></header>
<main id="main"><h2>${x(notice.title)}</h2><p>${x(notice.message)}</p>${form}<p><a href="${x(notice.home)}">Back to the status page</a></p></main>
</body>
</html>
`;
}
