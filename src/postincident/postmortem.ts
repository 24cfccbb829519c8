import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { formatDuration } from '../core/duration.ts';
import { conflict, invalid, notFound } from '../core/errors.ts';
import { CLOCK_LABELS } from '../incidents/clocks.ts';
import { appendTimeline } from '../incidents/timeline.ts';
import type { IncidentRecord, PostmortemRecord, TimelineEntry, Tx } from '../store/index.ts';

export const MAX_POSTMORTEM_CHARS = 512 * 1024;

/** Timeline kinds that tell the story at a glance; the full timeline follows them. */
const KEY_KINDS = new Set([
  'declared',
  'acknowledged',
  'status',
  'severity',
  'update',
  'sla.breached',
  'escalated',
  'run.started',
  'run.step.succeeded',
  'run.step.failed',
  'run.step.unknown',
  'run.completed',
  'resolved',
  'reopened',
]);

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** Timeline text is whatever people and alerts wrote: one line, Markdown's own characters kept literal. */
const line = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/([\\`*_[\]<>|#])/g, '\\$1');

/**
 * The first draft, written when the incident resolves: what happened, from the
 * record. Root cause, contributing factors and lessons are left for people.
 */
export async function draftPostmortem(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<string> {
  const config = ctx.config();
  const [timeline, clocks, alerts, runs, actionItems] = await Promise.all([
    allTimeline(tx, incident.id),
    tx.clocks.forIncident(incident.id),
    tx.alerts.list({ incidentId: incident.id, limit: 500 }),
    tx.runs.list({ incidentId: incident.id, limit: 100 }),
    tx.postIncident.actionItems({ incidentId: incident.id, limit: 500 }),
  ]);
  const resolvedAt = incident.resolvedAt ?? ctx.clock.now();
  const severity = config.severity(incident.severity);
  const services = incident.services.map((id) => config.service(id)?.name ?? id);
  const out: string[] = [];
  out.push(`# Post-mortem: ${line(incident.title)}`, '');
  out.push(`*Draft written by Firebreak when the incident resolved. Edit freely; every save keeps a version.*`, '');
  out.push('## Summary', '', incident.summary.trim() === '' ? '_What happened, in two or three sentences._' : line(incident.summary), '');
  out.push('## Impact', '');
  out.push(`- **Severity:** ${incident.severity}${severity ? ` (${severity.name})` : ''}`);
  out.push(`- **Duration:** ${formatDuration(resolvedAt - incident.declaredAt)} (declared ${iso(incident.declaredAt)}, resolved ${iso(resolvedAt)})`);
  if (incident.acknowledgedAt !== null) out.push(`- **Time to acknowledge:** ${formatDuration(incident.acknowledgedAt - incident.declaredAt)}`);
  out.push(`- **Services:** ${services.length > 0 ? services.map(line).join(', ') : 'none recorded'}`);
  const alertNames = [...new Set(alerts.map((alert) => alert.name))];
  out.push(`- **Alerts:** ${alerts.length === 0 ? 'none' : `${alerts.length} (${alertNames.slice(0, 10).map(line).join(', ')}${alertNames.length > 10 ? ', …' : ''})`}`);
  out.push('');
  if (clocks.length > 0) {
    out.push('### SLA clocks', '', '| clock | due | outcome |', '| --- | --- | --- |');
    for (const clock of clocks) {
      const name = CLOCK_LABELS[clock.kind as keyof typeof CLOCK_LABELS] ?? clock.kind;
      const label = name.charAt(0).toUpperCase() + name.slice(1);
      const outcome =
        clock.state === 'met'
          ? `met ${clock.metAt !== null && clock.metAt > clock.dueAt ? 'late' : 'in time'}${clock.metAt !== null ? ` (${iso(clock.metAt)})` : ''}`
          : clock.state === 'breached'
            ? `**breached** (${iso(clock.breachedAt ?? clock.dueAt)})`
            : clock.state === 'cancelled'
              ? 'stopped (no longer applied)'
              : clock.state;
      out.push(`| ${label} | ${iso(clock.dueAt)} | ${outcome} |`);
    }
    out.push('');
  }
  out.push('## Timeline', '', '### Key events', '');
  const key = timeline.filter((entry) => KEY_KINDS.has(entry.kind));
  for (const entry of key) out.push(`- ${iso(entry.at)} — ${line(entry.text)}`);
  if (key.length === 0) out.push('- _none_');
  out.push('', '### Every entry', '');
  for (const entry of timeline) out.push(`- ${iso(entry.at)} · ${entry.kind} · ${line(entry.actor)} — ${line(entry.text)}`);
  out.push('');
  out.push('## Runbook runs', '');
  if (runs.length === 0) out.push('_No runbook was run from this incident._');
  for (const run of runs.slice().reverse()) {
    const steps = await tx.runs.steps(run.id);
    const counts = new Map<string, number>();
    for (const step of steps) counts.set(step.state, (counts.get(step.state) ?? 0) + 1);
    out.push(`- **${line(run.runbookTitle)}**${run.scenario ? ` (${run.scenario})` : ''}, started by ${line(run.createdBy)} at ${iso(run.createdAt)}: ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')}`);
    for (const step of steps.filter((s) => s.state !== 'pending')) {
      out.push(`  - ${step.stepId}: ${step.state}${step.exitCode !== null ? ` (exit ${step.exitCode})` : ''}`);
    }
  }
  out.push('');
  out.push('## Root cause', '', '_Why did it happen? Keep asking why until the answer is a decision or a missing safeguard._', '');
  out.push('## Contributing factors', '', '_What made it worse, slower to notice or slower to fix?_', '');
  out.push('## Lessons learned', '', '### What went well', '', '-', '', '### What did not', '', '-', '');
  out.push('## Action items', '');
  if (actionItems.length === 0) out.push('_Add them with POST /api/v1/incidents/{id}/action-items; they are tracked with an owner and a due date._');
  for (const item of actionItems) out.push(`- [${item.status === 'done' ? 'x' : ' '}] ${line(item.title)}${item.owner ? ` — ${item.owner}` : ''}${item.dueAt !== null ? `, due ${iso(item.dueAt)}` : ''}${item.trackerUrl ? ` (${item.trackerUrl})` : ''}`);
  out.push('');
  return out.join('\n');
}

async function allTimeline(tx: Tx, incidentId: string): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  for (;;) {
    const page = await tx.timeline.list(incidentId, { afterId: entries.at(-1)?.id, limit: 1000 });
    entries.push(...page);
    if (page.length < 1000) return entries;
  }
}

/** On resolution: a draft for the severities that get one, unless the incident has a post-mortem already. */
export async function createDraft(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<void> {
  const wanted = ctx.config().file.postIncident?.postmortemSeverities;
  if (wanted && !wanted.some((s) => s.toLowerCase() === incident.severity.toLowerCase())) return;
  if (await tx.postIncident.postmortem(incident.id)) return;
  const markdown = await draftPostmortem(ctx, tx, incident);
  await tx.postIncident.savePostmortem(incident.id, 0, markdown, ctx.clock.now(), 'system:firebreak');
  await appendTimeline(ctx, tx, incident.id, 'postmortem.drafted', 'Post-mortem draft written from the timeline', { version: 1 });
}

export interface PostmortemView {
  incidentId: string;
  version: number;
  markdown: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  versions: Array<{ version: number; at: string; by: string }>;
}

const view = (record: PostmortemRecord, versions: Array<{ version: number; at: number; by: string }>): PostmortemView => ({
  incidentId: record.incidentId,
  version: record.version,
  markdown: record.markdown,
  createdAt: iso(record.createdAt),
  updatedAt: iso(record.updatedAt),
  updatedBy: record.updatedBy,
  versions: versions.map((v) => ({ version: v.version, at: iso(v.at), by: v.by })),
});

export async function getPostmortem(ctx: Context, incidentId: string, version?: number): Promise<PostmortemView> {
  const repo = ctx.store.repos.postIncident;
  if (!(await ctx.store.repos.incidents.get(incidentId))) throw notFound('Incident', incidentId);
  const record = await repo.postmortem(incidentId);
  if (!record) throw notFound('Post-mortem of incident', incidentId);
  const versions = await repo.postmortemVersions(incidentId);
  if (version === undefined) return view(record, versions);
  const old = versions.find((v) => v.version === version);
  if (!old) throw notFound(`Version ${version} of the post-mortem of incident`, incidentId);
  return { ...view(record, versions), version: old.version, markdown: old.markdown, updatedAt: iso(old.at), updatedBy: old.by };
}

/**
 * Saves a new version. `version` is the one the editor started from: when someone
 * saved since, the answer is 409 with the current version, and nothing is lost.
 * Without a post-mortem yet, version 0 starts one (or a draft is written first).
 */
export async function savePostmortem(ctx: Context, incidentId: string, input: { markdown: string; version: number }): Promise<PostmortemView> {
  if (input.markdown.length > MAX_POSTMORTEM_CHARS) throw invalid(`A post-mortem is at most ${MAX_POSTMORTEM_CHARS} characters`, { field: 'markdown' });
  await ctx.store.transaction(async (tx) => {
    if (!(await tx.incidents.get(incidentId))) throw notFound('Incident', incidentId);
    const current = await tx.postIncident.postmortem(incidentId);
    const currentVersion = current?.version ?? 0;
    const saved = input.version === currentVersion && (await tx.postIncident.savePostmortem(incidentId, input.version, input.markdown, ctx.clock.now(), actorLabel(ctx.actor)));
    if (!saved) {
      throw conflict(`The post-mortem is at version ${currentVersion}, not ${input.version}: someone saved in between; reload, merge and save again`, {
        version: currentVersion,
        updatedBy: current?.updatedBy ?? null,
      });
    }
    await appendTimeline(ctx, tx, incidentId, 'postmortem.saved', `Post-mortem saved (version ${input.version + 1})`, { version: input.version + 1 });
  });
  return getPostmortem(ctx, incidentId);
}

/** A fresh draft from the record as it is now, for an incident without one (or to compare). */
export async function previewDraft(ctx: Context, incidentId: string): Promise<string> {
  return ctx.store.transaction(async (tx) => {
    const incident = await tx.incidents.get(incidentId);
    if (!incident) throw notFound('Incident', incidentId);
    return draftPostmortem(ctx, tx, incident);
  });
}
