import type { Context } from '../core/context.ts';
import { notFound } from '../core/errors.ts';
import type { Runbook } from '../runbooks/index.ts';

/** What a list of runbooks shows of each; the whole runbook is one GET away. */
export interface RunbookSummary {
  id: string;
  title: string;
  source: string;
  alertName: string | null;
  severity: string | null;
  scenarios: Array<{ id: string; key: string | null; title: string; steps: number }>;
  steps: number;
  approvalSteps: string[];
  parameters: string[];
  problems: number;
}

export function summarizeRunbook(runbook: Runbook): RunbookSummary {
  return {
    id: runbook.id,
    title: runbook.title,
    source: runbook.source,
    alertName: runbook.alertName,
    severity: runbook.severity,
    scenarios: runbook.scenarios.map((s) => ({ id: s.id, key: s.key, title: s.title, steps: s.steps.length })),
    steps: runbook.steps.length,
    approvalSteps: runbook.steps.filter((step) => step.approval.required).map((step) => step.id),
    parameters: runbook.parameters.map((p) => p.name),
    problems: runbook.diagnostics.length,
  };
}

export function listRunbooks(ctx: Context): RunbookSummary[] {
  return ctx.config().runbooks.runbooks.map(summarizeRunbook);
}

export function getRunbook(ctx: Context, id: string): Runbook {
  const runbook = ctx.config().runbooks.get(id);
  if (!runbook) throw notFound('Runbook', id);
  return runbook;
}

/**
 * The runbooks an incident calls for: those its alerts were routed to by the alert
 * catalog, and those whose `Alert Name` is one of its alerts' names. Most recent alert first.
 */
export async function runbooksForIncident(ctx: Context, incidentId: string): Promise<Array<RunbookSummary & { alerts: string[] }>> {
  const incident = await ctx.store.repos.incidents.get(incidentId);
  if (!incident) throw notFound('Incident', incidentId);
  const alerts = await ctx.store.repos.alerts.list({ incidentId, limit: 500 });
  const library = ctx.config().runbooks;
  const found = new Map<string, { runbook: Runbook; alerts: Set<string> }>();
  const add = (runbook: Runbook | undefined, alert: string) => {
    if (!runbook) return;
    const entry = found.get(runbook.id) ?? { runbook, alerts: new Set<string>() };
    entry.alerts.add(alert);
    found.set(runbook.id, entry);
  };
  for (const alert of alerts) {
    if (alert.runbook !== null) add(library.get(alert.runbook), alert.name);
    for (const runbook of library.runbooks) if (runbook.alertName !== null && runbook.alertName === alert.name) add(runbook, alert.name);
  }
  return [...found.values()].map(({ runbook, alerts: names }) => ({ ...summarizeRunbook(runbook), alerts: [...names] }));
}
