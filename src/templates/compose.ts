import type { Config } from '../config/schema.ts';
import type { Context } from '../core/context.ts';
import { DomainError, invalid, notFound } from '../core/errors.ts';
import type { IncidentRecord, Tx } from '../store/index.ts';
import { TemplateError, type TemplateFormat } from './engine.ts';
import type { MessageTemplate } from './library.ts';
import { sampleFacts, templateScope, type IncidentFacts } from './scope.ts';

type Reader = Pick<Tx, 'incidents' | 'clocks' | 'alerts' | 'timeline'>;

/** Enough of the timeline to find the latest actions of any incident people still write updates for. */
const TIMELINE_WINDOW = 2000;

export async function incidentFacts(config: Config, repos: Reader, incident: IncidentRecord): Promise<IncidentFacts> {
  const [clocks, alerts, timeline] = await Promise.all([
    repos.clocks.forIncident(incident.id),
    repos.alerts.forIncident(incident.id),
    repos.timeline.list(incident.id, { limit: TIMELINE_WINDOW }),
  ]);
  return { incident, clocks, alerts, timeline, url: config.publicUrl === null ? null : `${config.publicUrl}/incidents/${incident.id}` };
}

/** The template a name stands for at a severity; unknown names are 404. */
export function findTemplate(config: Config, name: string, severity?: string | null): MessageTemplate {
  const template = config.templates.pick(name, severity);
  if (!template) {
    const known = [...new Set(config.templates.templates.map((t) => t.name))];
    throw new DomainError('not_found', `Template ${name} does not exist${known.length ? ` (known: ${known.join(', ')})` : ''}`, { id: name, known });
  }
  return template;
}

/** Renders a template of the library (or `source`, text being tried out) as a 400 with line and column when it fails. */
export function renderMessage(
  config: Config,
  what: { name: string; template?: MessageTemplate; source?: string },
  facts: IncidentFacts,
  vars: Record<string, unknown>,
  now: number,
  format: TemplateFormat = 'plain',
): string {
  try {
    const parsed = what.source !== undefined ? config.templates.parse(what.source) : what.template!.parsed;
    // Files end with a newline and often start with a comment: neither is part of the message.
    return config.templates.render(parsed, templateScope(config, facts, vars, now), format).trim();
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const where = error.line === null ? '' : ` at line ${error.line}, column ${error.column}`;
    throw invalid(`Template ${what.name}${where}: ${error.message}`, {
      template: what.name,
      file: what.source === undefined ? (what.template?.file ?? null) : null,
      line: error.line,
      column: error.column,
    });
  }
}

export interface PreviewInput {
  incident?: string;
  vars?: Record<string, unknown>;
  severity?: string;
  format?: TemplateFormat;
  source?: string;
}

export interface Preview {
  name: string;
  /** The severity variant used, null for the general template (or `source`). */
  variant: string | null;
  format: TemplateFormat;
  text: string;
}

/** Renders a template with an incident (or a made-up one) without sending or storing anything. */
export async function previewTemplate(ctx: Context, name: string, input: PreviewInput): Promise<Preview> {
  const config = ctx.config();
  const now = ctx.clock.now();
  if (input.severity !== undefined && !config.severity(input.severity)) {
    throw invalid(`Severity ${input.severity} does not exist`, { field: 'severity', known: config.severities.map((s) => s.id) });
  }
  let facts: IncidentFacts;
  if (input.incident !== undefined) {
    const incident = await ctx.store.repos.incidents.get(input.incident);
    if (!incident) throw notFound('Incident', input.incident);
    facts = await incidentFacts(config, ctx.store.repos, incident);
  } else {
    facts = sampleFacts(config, input.severity, now);
  }
  const severity = input.severity ?? facts.incident.severity;
  const template = input.source === undefined ? findTemplate(config, name, severity) : undefined;
  const format = input.format ?? 'plain';
  const text = renderMessage(config, { name, template, source: input.source }, facts, input.vars ?? {}, now, format);
  return { name, variant: template?.severity ?? null, format, text };
}

/** The templates of the folder, by name, with the severities that have their own variant. */
export function listTemplates(config: Config): Array<{ name: string; general: boolean; severities: string[] }> {
  const byName = new Map<string, { name: string; general: boolean; severities: string[] }>();
  for (const template of config.templates.templates) {
    const entry = byName.get(template.name) ?? { name: template.name, general: false, severities: [] };
    if (template.severity === null) entry.general = true;
    else entry.severities.push(template.severity);
    byName.set(template.name, entry);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
