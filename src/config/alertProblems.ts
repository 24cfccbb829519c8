import { parseMatcher } from '../alerts/matchers/index.ts';
import { createTemplateEngine } from '../alerts/rules.ts';
import { asItem, idsOf, itemsOf, referenceChecker, severityIds, type Item, type Path } from './documentWalk.ts';
import type { SchemaProblem } from './schemaProblems.ts';

/**
 * The alerts section refers to severities, services and teams by id, and holds
 * matchers and Liquid templates: each must resolve or parse before the file is used.
 */
export function alertProblems(root: Item): SchemaProblem[] {
  const alerts = asItem(root.alerts);
  if (!alerts) return [];
  const problems: SchemaProblem[] = [];
  const severities = severityIds(root);
  const services = idsOf(root.services);
  const teams = idsOf(root.teams);
  const liquid = createTemplateEngine();

  const reference = referenceChecker(problems);
  const matchers = (value: unknown, at: Path) => {
    if (!Array.isArray(value)) return;
    value.forEach((text, i) => {
      if (typeof text !== 'string') return;
      try {
        parseMatcher(text);
      } catch (error) {
        problems.push({ at: [...at, i], message: `is not a matcher: ${(error as Error).message}`, fix: 'write name="value", name!="value", name=~"regex" or name!~"regex"' });
      }
    });
  };
  const template = (value: unknown, at: Path) => {
    if (typeof value !== 'string') return;
    try {
      liquid.parse(value);
    } catch (error) {
      problems.push({ at, message: `is not a valid Liquid template: ${(error as Error).message}`, fix: 'check that every {{ and {% is closed; variables are labels.x, annotations.x, summary' });
    }
  };

  reference(alerts.defaultSeverity, severities, 'severity', 'severities', ['alerts', 'defaultSeverity'], true);
  reference(alerts.defaultService, services, 'service', 'services', ['alerts', 'defaultService']);
  for (const [word, severity] of Object.entries(asItem(alerts.severityLabels) ?? {})) {
    reference(severity, severities, 'severity', 'severities', ['alerts', 'severityLabels', word], true);
  }
  for (const { index, item } of itemsOf(alerts.catalog)) {
    const at: Path = ['alerts', 'catalog', index];
    if (item.alert === undefined && (!Array.isArray(item.matchers) || item.matchers.length === 0)) {
      problems.push({ at, message: 'matches every alert', fix: 'give the entry an alert: name or at least one matcher' });
    }
    reference(item.severity, severities, 'severity', 'severities', [...at, 'severity'], true);
    reference(item.service, services, 'service', 'services', [...at, 'service']);
    matchers(item.matchers, [...at, 'matchers']);
    template(item.title, [...at, 'title']);
    template(item.summary, [...at, 'summary']);
  }
  for (const { index, item } of itemsOf(alerts.routes)) {
    const at: Path = ['alerts', 'routes', index];
    reference(item.severity, severities, 'severity', 'severities', [...at, 'severity'], true);
    reference(item.service, services, 'service', 'services', [...at, 'service']);
    reference(item.team, teams, 'team', 'teams', [...at, 'team']);
    matchers(item.matchers, [...at, 'matchers']);
  }
  for (const { index, item } of itemsOf(alerts.inhibitRules)) {
    const at: Path = ['alerts', 'inhibitRules', index];
    matchers(item.sourceMatchers, [...at, 'sourceMatchers']);
    matchers(item.targetMatchers, [...at, 'targetMatchers']);
    for (const key of ['sourceMatchers', 'targetMatchers'] as const) {
      if (Array.isArray(item[key]) && (item[key] as unknown[]).length === 0) {
        problems.push({ at: [...at, key], message: 'is empty, so the rule would apply to every alert', fix: 'add at least one matcher' });
      }
    }
  }
  return problems;
}
