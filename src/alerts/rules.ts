import { Liquid, type Template } from 'liquidjs';
import { noFiles } from '../templates/engine.ts';
import type { AlertCatalogEntry, Config, SeverityLevel } from '../config/schema.ts';
import { parseDuration } from '../core/duration.ts';
import type { IntegrationRecord } from '../store/index.ts';
import { matches, parseMatchers, type Matcher } from './matchers/index.ts';
import type { IncomingAlert } from './model.ts';

/** What the configuration makes of one incoming alert. */
export interface Classification {
  name: string;
  severity: string;
  service: string | null;
  team: string | null;
  groupKey: string;
  title: string;
  summary: string;
  runbook: string | null;
  dropped: boolean;
}

interface CompiledCatalogEntry {
  entry: AlertCatalogEntry;
  matchers: Matcher[];
  title: Template[] | null;
  summary: Template[] | null;
}

interface CompiledRoute {
  matchers: Matcher[];
  service?: string;
  team?: string;
  severity?: string;
  drop: boolean;
  continue: boolean;
}

export interface CompiledInhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

/**
 * Templates are the operator's text, rendered with alert data that is not:
 * the engine gets no file system, bounded time and memory, and only the
 * variables handed to it.
 */
export function createTemplateEngine(): Liquid {
  return new Liquid({
    ownPropertyOnly: true,
    strictFilters: true,
    relativeReference: false,
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    parseLimit: 100_000,
    renderLimit: 200,
    memoryLimit: 10_000_000,
  });
}

/** Alert title templates read no files either. */
const NO_FILES = noFiles((file) => `templates cannot read files (${file})`);

const DEFAULT_SEVERITY_WORDS = ['critical', 'error', 'warning', 'info'] as const;

/** The alert catalog, routes and inhibition rules of one configuration, compiled once. */
export class AlertRules {
  private readonly liquid = createTemplateEngine();
  private readonly catalog: CompiledCatalogEntry[];
  private readonly routes: CompiledRoute[];
  readonly inhibitRules: CompiledInhibitRule[];
  readonly reopenWindowMs: number;
  private readonly severityWords: Map<string, string>;

  constructor(private readonly config: Config) {
    const settings = config.alerts;
    this.catalog = settings.catalog.map((entry) => ({
      entry,
      matchers: parseMatchers(entry.matchers ?? []),
      title: entry.title ? this.liquid.parse(entry.title) : null,
      summary: entry.summary ? this.liquid.parse(entry.summary) : null,
    }));
    this.routes = settings.routes.map((route) => ({
      matchers: parseMatchers(route.matchers),
      service: route.service,
      team: route.team,
      severity: route.severity,
      drop: route.drop ?? false,
      continue: route.continue ?? false,
    }));
    this.inhibitRules = settings.inhibitRules.map((rule) => ({
      source: parseMatchers(rule.sourceMatchers),
      target: parseMatchers(rule.targetMatchers),
      equal: rule.equal ?? [],
    }));
    this.reopenWindowMs = parseDuration(settings.reopenWindow);
    this.severityWords = new Map(Object.entries(settings.severityLabels ?? defaultSeverityWords(config.severities)).map(([k, v]) => [k.toLowerCase(), v]));
  }

  classify(alert: IncomingAlert, integration: IntegrationRecord): Classification {
    const name = alert.labels.alertname ?? alert.summary ?? alert.dedupKey;
    const found = this.catalog.find(
      (c) => (c.entry.alert === undefined || c.entry.alert === name) && matches(c.matchers, alert.labels),
    );
    const entry = found?.entry;
    let severity = entry?.severity ?? this.severityOf(alert);
    let service = entry?.service ?? integration.service ?? this.knownService(alert.labels.service) ?? this.config.alerts.defaultService ?? null;
    let team: string | null = null;
    let dropped = false;
    for (const route of this.routes) {
      if (!matches(route.matchers, alert.labels)) continue;
      if (route.drop) dropped = true;
      severity = route.severity ?? severity;
      service = route.service ?? service;
      team = route.team ?? team;
      if (!route.continue) break;
    }
    const scope = { labels: alert.labels, annotations: alert.annotations, summary: alert.summary ?? name, name, severity, service };
    const groupBy = entry?.groupBy ?? this.config.alerts.groupBy;
    return {
      name,
      severity,
      service,
      team,
      groupKey: groupBy ? groupBy.map((label) => `${label}=${alert.labels[label] ?? ''}`).join(',') : (alert.groupKey ?? name),
      title: truncate(found?.title ? this.render(found.title, scope) : (alert.summary ?? name), 200),
      summary: found?.summary ? this.render(found.summary, scope) : (alert.annotations.description ?? alert.summary ?? ''),
      runbook: entry?.runbook ?? null,
      dropped,
    };
  }

  private severityOf(alert: IncomingAlert): string {
    const word = (alert.labels.severity ?? alert.sourceSeverity ?? '').toLowerCase();
    const direct = this.config.severity(word);
    if (direct) return direct.id;
    return this.severityWords.get(word) ?? this.config.alerts.defaultSeverity ?? this.config.severities.at(-1)!.id;
  }

  private knownService(id: string | undefined): string | undefined {
    return id !== undefined && this.config.service(id) ? id : undefined;
  }

  private render(template: Template[], scope: Record<string, unknown>): string {
    try {
      return this.liquid.renderSync(template, scope) as string;
    } catch (error) {
      // A template that fails on odd data must not lose the alert; say what happened instead.
      return `(template error: ${(error as Error).message.slice(0, 200)})`;
    }
  }
}

function defaultSeverityWords(levels: readonly SeverityLevel[]): Record<string, string> {
  const last = levels.length - 1;
  const pick = (i: number) => levels[Math.min(i, last)]!.id;
  return { [DEFAULT_SEVERITY_WORDS[0]]: pick(0), [DEFAULT_SEVERITY_WORDS[1]]: pick(1), [DEFAULT_SEVERITY_WORDS[2]]: pick(Math.max(0, last - 1)), [DEFAULT_SEVERITY_WORDS[3]]: pick(last) };
}

/** Cut to `max` characters (code points, as the API counts them), never inside one. */
function truncate(text: string, max: number): string {
  // Code points never outnumber UTF-16 units: a short text needs no counting.
  if (text.length > 0 && text.length <= max) return text;
  const characters = Array.from(text);
  if (characters.length === 0) return '(untitled alert)';
  return characters.length > max ? `${characters.slice(0, max - 1).join('')}…` : text;
}

/** One compiled rule set per configuration object; a reload brings a new one. */
export class AlertRulesCache {
  private current: { config: Config; rules: AlertRules } | null = null;
  rulesFor(config: Config): AlertRules {
    if (this.current?.config !== config) this.current = { config, rules: new AlertRules(config) };
    return this.current.rules;
  }
}
