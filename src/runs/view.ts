import type { Config } from '../config/schema.ts';
import { createMasker, type Masker } from '../runbooks/mask.ts';
import type { ApprovalRecord, OutputRecord, RunRecord, RunStepRecord, StepDefinition } from '../store/index.ts';

/**
 * What the API, the event stream and the timeline show of a run. Everything that
 * could carry a secret (parameter values, environment, output) passes the masker:
 * the values of `runbooks.secrets` and common token shapes never leave the server.
 */

/** The values of the environment variables `runbooks.secrets` names, as this process sees them. */
export function secretValuesOf(config: Config, env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return config.runbookSettings.secrets.flatMap((name) => {
    const value = env[name];
    return value !== undefined && value.length >= 4 ? [value] : [];
  });
}

export const maskerFor = (config: Config): Masker => createMasker(secretValuesOf(config));

export const maskValues = (values: Readonly<Record<string, string>>, masker: Masker): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, masker.mask(value)]));

export interface StepView {
  id: string;
  position: number;
  title: string;
  kind: StepDefinition['kind'];
  section: string | null;
  scenario: string | null;
  command: string;
  original: string;
  parameters: StepDefinition['parameters'];
  runner: string | null;
  timeoutMs: number;
  interactive: boolean;
  /** A person carries it out and says how it went (manual or terminal steps). */
  byPerson: boolean;
  waitSeconds: number;
  expectedOutput: string | null;
  line: number;
  state: RunStepRecord['state'];
  attempt: number;
  approval: {
    required: boolean;
    reason: string;
    needed: number;
    approverRoles: string[];
    requestedBy: string | null;
    requestedAt: string | null;
    decisions: Array<{ decision: 'approved' | 'rejected' | 'withdrawn'; by: string; role: string; at: string; comment: string | null; attempt: number }>;
  };
  decisions: Array<{ id: string; question: string; gatesStep: boolean; answer: 'yes' | 'no' | null; by: string | null; at: string | null }>;
  env: Record<string, string>;
  ranOn: { id: string; name: string } | null;
  cancelRequested: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string | null;
  /** `lastSeq`: the seq of the last chunk in `text` (0: none), so that a live run.output chunk after it is known to be new. */
  output: { text: string; bytes: number; truncated: boolean; lastSeq: number };
}

export interface RunView {
  id: string;
  runbook: { id: string; title: string; source: string };
  scenario: string | null;
  incidentId: string | null;
  severity: string | null;
  state: RunRecord['state'];
  params: Record<string, string>;
  approvalRule: RunRecord['approvalRule'];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  counts: Record<string, number>;
  steps: StepView[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function stepView(step: RunStepRecord, approvals: readonly ApprovalRecord[], output: readonly OutputRecord[], run: RunRecord, masker: Masker): StepView {
  const d = step.definition;
  const current = output.filter((chunk) => chunk.stepId === step.stepId && chunk.attempt === step.attempt);
  return {
    id: step.stepId,
    position: step.position,
    title: d.title,
    kind: d.kind,
    section: d.section,
    scenario: d.scenario,
    command: d.command,
    original: d.original,
    parameters: d.parameters,
    runner: d.runner,
    timeoutMs: d.timeoutMs,
    interactive: d.interactive,
    byPerson: d.kind === 'manual' || d.interactive,
    waitSeconds: d.waitSeconds,
    expectedOutput: d.expectedOutput,
    line: d.line,
    state: step.state,
    attempt: step.attempt,
    approval: {
      required: d.approval.required,
      reason: d.approval.reason,
      needed: d.approval.required ? run.approvalRule.approvals : 0,
      approverRoles: run.approvalRule.approverRoles,
      requestedBy: step.requestedBy,
      requestedAt: iso(step.requestedAt),
      decisions: approvals
        .filter((a) => a.stepId === step.stepId)
        .map((a) => ({ decision: a.decision, by: a.actor, role: a.actorRole, at: iso(a.at)!, comment: a.comment === null ? null : masker.mask(a.comment), attempt: a.attempt })),
    },
    decisions: d.decisions.map((point) => {
      const answer = step.decisions[point.id];
      return { ...point, answer: answer?.answer ?? null, by: answer?.by ?? null, at: iso(answer?.at ?? null) };
    }),
    env: maskValues(step.env, masker),
    ranOn: step.runnerId === null ? null : { id: step.runnerId, name: step.runnerName ?? step.runnerId },
    cancelRequested: step.cancelRequested,
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
    durationMs: step.startedAt !== null && step.finishedAt !== null ? step.finishedAt - step.startedAt : null,
    exitCode: step.exitCode,
    signal: step.signal,
    timedOut: step.timedOut,
    error: step.error === null ? null : masker.mask(step.error),
    // Stored output was masked on arrival; masking again catches secrets configured since.
    output: {
      text: masker.mask(current.map((chunk) => chunk.text).join('')),
      bytes: step.outputBytes,
      truncated: step.outputDropped > 0,
      // From the chunks read, not the step's own count, so it always matches the text.
      lastSeq: current.reduce((last, chunk) => Math.max(last, chunk.seq), 0),
    },
  };
}

export function runView(
  run: RunRecord,
  steps: readonly RunStepRecord[],
  approvals: readonly ApprovalRecord[],
  output: readonly OutputRecord[],
  masker: Masker,
): RunView {
  const counts: Record<string, number> = {};
  for (const step of steps) counts[step.state] = (counts[step.state] ?? 0) + 1;
  return {
    id: run.id,
    runbook: { id: run.runbookId, title: run.runbookTitle, source: run.source },
    scenario: run.scenario,
    incidentId: run.incidentId,
    severity: run.severity,
    state: run.state,
    params: maskValues(run.params, masker),
    approvalRule: run.approvalRule,
    createdBy: run.createdBy,
    createdAt: iso(run.createdAt)!,
    updatedAt: iso(run.updatedAt)!,
    counts,
    steps: steps.map((step) => stepView(step, approvals, output, run, masker)),
  };
}

/** The last lines of output, for a timeline entry: enough to see what happened, bounded. */
export function outputTail(text: string, maxChars = 2000): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(-maxChars);
  const newline = cut.indexOf('\n');
  return `…${newline >= 0 && newline < 200 ? cut.slice(newline) : cut}`;
}
