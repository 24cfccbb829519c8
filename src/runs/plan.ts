import { parseDuration } from '../core/duration.ts';
import { invalid, notFound } from '../core/errors.ts';
import type { Config } from '../config/schema.ts';
import { envNameOf, isReservedEnvName, prepareStepCommand, type Runbook, type RunbookStep } from '../runbooks/index.ts';
import type { AlertRecord, IncidentRecord, StepDefinition, StoredApprovalRule } from '../store/index.ts';

/**
 * What a run will do, before anything runs: which steps, with which approval rule,
 * and the environment each command gets. Untrusted values (parameters, alert labels)
 * only ever become environment variables; the command text is the runbook's own.
 */

export const MAX_PARAM_VALUE = 8192;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The steps of a run: every step outside the scenarios, plus the chosen scenario's (or all of them). */
export function stepsOfRun(runbook: Runbook, scenarioId: string | null): RunbookStep[] {
  if (scenarioId === null) return runbook.steps;
  const scenario = runbook.scenarios.find((s) => s.id === scenarioId || s.key?.toLowerCase() === scenarioId.toLowerCase());
  if (!scenario) {
    throw invalid(`Runbook ${runbook.id} has no scenario "${scenarioId}"`, {
      field: 'scenario',
      scenarios: runbook.scenarios.map((s) => ({ id: s.id, title: s.title })),
    });
  }
  return runbook.steps.filter((step) => step.scenario === null || step.scenario === scenario.id);
}

export function scenarioIdOf(runbook: Runbook, scenarioId: string | null): string | null {
  if (scenarioId === null) return null;
  return runbook.scenarios.find((s) => s.id === scenarioId || s.key?.toLowerCase() === scenarioId.toLowerCase())?.id ?? null;
}

export function findRunbook(config: Config, id: string): Runbook {
  const runbook = config.runbooks.get(id);
  if (!runbook) throw notFound('Runbook', id);
  return runbook;
}

/** The approval rule in force: the severity's, over the default of `runbooks.approval`. */
export function approvalRuleFor(config: Config, severity: string | null): StoredApprovalRule {
  const settings = config.runbookSettings;
  const base: StoredApprovalRule = {
    steps: 'marked',
    approverRoles: [...settings.approval.approverRoles],
    approvals: settings.approval.approvals,
    origin: 'runbooks.approval',
    note: null,
  };
  if (severity === null) return base;
  const entry = Object.entries(settings.authorization).find(([id]) => id.toLowerCase() === severity.toLowerCase());
  const level = config.severity(severity);
  if (!entry) return { ...base, note: level?.authorization ?? null };
  const [id, rule] = entry;
  return {
    steps: rule.steps ?? base.steps,
    approverRoles: rule.approverRoles ? [...rule.approverRoles] : base.approverRoles,
    approvals: rule.approvals ?? base.approvals,
    origin: `runbooks.authorization.${id}`,
    note: rule.note ?? level?.authorization ?? null,
  };
}

/** Whether a person runs the step (nothing to execute, or it wants a terminal). */
export const isPersonStep = (definition: Pick<StepDefinition, 'kind' | 'interactive'>): boolean =>
  definition.kind === 'manual' || definition.interactive;

export function definitionOf(runbook: Runbook, step: RunbookStep, rule: StoredApprovalRule, config: Config): StepDefinition {
  const byText = step.approval.required;
  const byRule = rule.steps === 'all' && step.kind !== 'manual';
  const reason = byText
    ? step.approval.reason
    : byRule
      ? `${rule.origin}: every step needs approval${rule.note ? ` (${rule.note})` : ''}`
      : '';
  return {
    title: step.title,
    kind: step.kind,
    section: step.section,
    scenario: step.scenario,
    command: step.renderedCommand,
    original: step.command,
    parameters: step.parameters.map((name) => ({ name, required: runbook.parameters.find((p) => p.name === name)?.required !== false })),
    runner: step.runner,
    timeoutMs: step.timeoutMs ?? parseDuration(config.runbookSettings.defaultTimeout),
    interactive: step.interactive,
    approval: { required: byText || byRule, reason },
    decisions: step.decisions.flatMap((id) => {
      const point = runbook.decisions.find((d) => d.id === id);
      return point ? [{ id, question: point.question, gatesStep: point.gatesStep }] : [];
    }),
    waitSeconds: step.waits.reduce((sum, wait) => sum + wait.seconds, 0),
    expectedOutput: step.expectedOutput,
    line: step.line,
  };
}

/** Parameter values as given: names are environment variable names, values plain text. */
export function checkParams(params: Readonly<Record<string, unknown>>, runbook: Runbook): Record<string, string> {
  const declared = new Set(runbook.parameters.map((p) => p.name));
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!ENV_NAME.test(name) || isReservedEnvName(name) || name.startsWith('FIREBREAK_')) {
      throw invalid(`"${name}" cannot be a parameter name`, { field: `params.${name}`, fix: 'use the names the runbook declares', declared: [...declared] });
    }
    if (!declared.has(name)) {
      throw invalid(`Runbook ${runbook.id} has no parameter ${name}`, { field: `params.${name}`, declared: [...declared] });
    }
    if (typeof value !== 'string') throw invalid(`Parameter ${name} must be text`, { field: `params.${name}` });
    if (value.includes('\0')) throw invalid(`Parameter ${name} must not contain a NUL byte`, { field: `params.${name}` });
    if (value.length > MAX_PARAM_VALUE) throw invalid(`Parameter ${name} is longer than ${MAX_PARAM_VALUE} characters`, { field: `params.${name}` });
    checked[name] = value;
  }
  return checked;
}

export interface RunContext {
  runId: string;
  runbookId: string;
  incident: IncidentRecord | null;
  /** The incident's alerts, most recent first: the first one's labels fill parameters of the same name. */
  alerts: readonly AlertRecord[];
  params: Readonly<Record<string, string>>;
}

/** Parameter values: those given, then the labels of the incident's latest alert under the same name. */
export function parameterValues(context: RunContext): Record<string, string> {
  const values: Record<string, string> = {};
  const alert = context.alerts[0];
  if (alert) {
    for (const [label, value] of Object.entries(alert.labels)) values[envNameOf(label)] = value;
  }
  return { ...values, ...context.params };
}

/**
 * The environment of one step: its parameters, the run's context and the labels and
 * annotations of the latest alert (`FIREBREAK_ALERT_<LABEL>`, `FIREBREAK_ANNOTATION_<NAME>`).
 */
export function stepEnvironment(
  step: { stepId: string; definition: StepDefinition },
  context: RunContext,
  secretNames: readonly string[] = [],
): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {
    FIREBREAK_RUN_ID: context.runId,
    FIREBREAK_RUNBOOK: context.runbookId,
    FIREBREAK_STEP_ID: step.stepId,
  };
  if (context.incident) {
    env.FIREBREAK_INCIDENT_ID = context.incident.id;
    env.FIREBREAK_SEVERITY = context.incident.severity;
  }
  const alert = context.alerts[0];
  if (alert) {
    env.FIREBREAK_ALERT_NAME = alert.name;
    for (const [label, value] of Object.entries(alert.labels)) env[`FIREBREAK_ALERT_${envNameOf(label).replace(/^PARAM_/, '')}`] = value;
    for (const [name, value] of Object.entries(alert.annotations)) env[`FIREBREAK_ANNOTATION_${envNameOf(name).replace(/^PARAM_/, '')}`] = value;
  }
  for (const [name, value] of Object.entries(env)) if (value.includes('\0')) env[name] = value.replaceAll('\0', '');
  const prepared = prepareStepCommand(
    { parameters: step.definition.parameters.map((p) => p.name), renderedCommand: step.definition.command } as RunbookStep,
    step.definition.parameters,
    { ...env, ...parameterValues(context) },
  );
  // Run context (FIREBREAK_…) may simply be absent, and secrets come from the runner's own environment.
  const missing = prepared.missing.filter((name) => !name.startsWith('FIREBREAK_') && !secretNames.includes(name));
  return { env: { ...env, ...prepared.env }, missing };
}
