/**
 * The runbook linter behind `firebreak runbook check`: what each file holds (runbooks,
 * scenarios, steps, parameters, approval steps, decision points) and what a responder
 * should fix before running it. Errors make the check fail; warnings do not.
 */
import { formatDuration } from '../core/duration.ts';
import type { Diagnostic, DiagnosticSeverity, Runbook, RunbookStep, StepKind, TimeoutSource } from './model.ts';
import { parseRunbookFile } from './parse.ts';

export interface LintIssue {
  severity: DiagnosticSeverity;
  code: string;
  message: string;
  path: string;
  line: number;
  runbook: string | null;
  step: string | null;
}

export interface LintedStep {
  id: string;
  title: string;
  kind: StepKind;
  line: number;
  section: string | null;
  scenario: string | null;
  approval: { required: boolean; reason: string };
  timeoutMs: number | null;
  timeout: string | null;
  timeoutSource: TimeoutSource | null;
  interactive: boolean;
  runner: string | null;
  parameters: string[];
  waits: number[];
  decisions: string[];
}

export interface LintedRunbook {
  id: string;
  title: string;
  path: string;
  line: number;
  alertName: string | null;
  severity: string | null;
  metadata: Record<string, string>;
  sections: Array<{ id: string; title: string; kind: string }>;
  scenarios: Array<{ id: string; title: string; line: number; steps: string[] }>;
  steps: LintedStep[];
  parameters: Array<{ name: string; required: boolean; defaultValue: string | null; usedIn: string[] }>;
  approvalSteps: Array<{ step: string; reason: string }>;
  decisionPoints: Array<{ id: string; step: string; question: string; gatesStep: boolean; line: number }>;
}

export interface LintReport {
  /** No errors (warnings allowed). */
  ok: boolean;
  errors: number;
  warnings: number;
  files: Array<{ path: string; runbooks: string[] }>;
  runbooks: LintedRunbook[];
  issues: LintIssue[];
}

export function lintRunbooks(files: ReadonlyArray<{ path: string; text: string }>): LintReport {
  const report: LintReport = { ok: true, errors: 0, warnings: 0, files: [], runbooks: [], issues: [] };
  const seen = new Map<string, string>();
  for (const file of files) {
    let runbooks: Runbook[] = [];
    try {
      const parsed = parseRunbookFile(file.text, file.path);
      runbooks = parsed.runbooks;
      report.issues.push(...parsed.diagnostics.map((entry) => issueOf(entry, file.path)));
    } catch (error) {
      // The parser is built not to throw; if it ever does, the check must say so, not crash.
      report.issues.push({
        severity: 'error',
        code: 'parser-failure',
        message: `The runbook parser failed on this file: ${(error as Error).message}`,
        path: file.path,
        line: 1,
        runbook: null,
        step: null,
      });
    }
    if (runbooks.length === 0) {
      report.issues.push({
        severity: 'warning',
        code: 'no-runbooks',
        message: 'No runbook found in this file',
        path: file.path,
        line: 1,
        runbook: null,
        step: null,
      });
    }
    report.files.push({ path: file.path, runbooks: runbooks.map((runbook) => runbook.id) });
    for (const runbook of runbooks) {
      const earlier = seen.get(runbook.id);
      if (earlier !== undefined && earlier !== file.path) {
        report.issues.push({
          severity: 'warning',
          code: 'duplicate-runbook-id',
          message: `Runbook id ${runbook.id} is also used in ${earlier}`,
          path: file.path,
          line: runbook.line,
          runbook: runbook.id,
          step: null,
        });
      }
      seen.set(runbook.id, earlier ?? file.path);
      report.runbooks.push(summarise(runbook, file.path));
      for (const step of runbook.steps) report.issues.push(...stepIssues(runbook, step, file.path));
    }
  }
  report.issues.sort((a, b) => (a.path === b.path ? a.line - b.line : a.path < b.path ? -1 : 1));
  report.errors = report.issues.filter((issue) => issue.severity === 'error').length;
  report.warnings = report.issues.length - report.errors;
  report.ok = report.errors === 0;
  return report;
}

function issueOf(entry: Diagnostic, path: string): LintIssue {
  return { severity: entry.severity, code: entry.code, message: entry.message, path, line: entry.line, runbook: entry.runbook, step: entry.step };
}

function stepIssues(runbook: Runbook, step: RunbookStep, path: string): LintIssue[] {
  const issues: LintIssue[] = [];
  if (!step.approval.required) {
    for (const command of step.destructive) {
      issues.push({
        severity: 'warning',
        code: 'destructive-without-approval',
        message: `Destructive command (${command.rule}) has no approval mark: ${command.text} (add "Get approval first" or {"approval":"required"})`,
        path,
        line: command.line,
        runbook: runbook.id,
        step: step.id,
      });
    }
  }
  // An explicit timeout, or an explicit "a person drives this", is an answer; the default limit is not.
  const answered = step.timeoutSource === 'attribute' || step.attributes?.interactive === true || step.attributes?.interactive === 'true';
  if (!answered) {
    for (const command of step.neverEnding) {
      issues.push({
        severity: 'warning',
        code: 'never-ending-without-timeout',
        message: `${command.command} never ends by itself; it will be stopped after the default ${formatDuration(step.timeoutMs ?? 0)} (set {"timeout":"…"} or {"interactive":true})`,
        path,
        line: command.line,
        runbook: runbook.id,
        step: step.id,
      });
    }
  }
  return issues;
}

function summarise(runbook: Runbook, path: string): LintedRunbook {
  return {
    id: runbook.id,
    title: runbook.title,
    path,
    line: runbook.line,
    alertName: runbook.alertName,
    severity: runbook.severity,
    metadata: Object.fromEntries(runbook.metadata.map((entry) => [entry.key, entry.value])),
    sections: runbook.sections.map((section) => ({ id: section.id, title: section.title, kind: section.kind })),
    scenarios: runbook.scenarios.map((scenario) => ({ id: scenario.id, title: scenario.title, line: scenario.line, steps: scenario.steps })),
    steps: runbook.steps.map((step) => ({
      id: step.id,
      title: step.title,
      kind: step.kind,
      line: step.line,
      section: step.section,
      scenario: step.scenario,
      approval: step.approval,
      timeoutMs: step.timeoutMs,
      timeout: step.timeoutMs === null ? null : formatDuration(step.timeoutMs),
      timeoutSource: step.timeoutSource,
      interactive: step.interactive,
      runner: step.runner,
      parameters: step.parameters,
      waits: step.waits.map((wait) => wait.seconds),
      decisions: step.decisions,
    })),
    parameters: runbook.parameters.map((parameter) => ({
      name: parameter.name,
      required: parameter.required,
      defaultValue: parameter.defaultValue,
      usedIn: [...new Set(parameter.usedIn.map((use) => use.step))],
    })),
    approvalSteps: runbook.steps
      .filter((step) => step.approval.required)
      .map((step) => ({ step: step.id, reason: step.approval.reason })),
    decisionPoints: runbook.decisions.map((decision) => ({
      id: decision.id,
      step: decision.step,
      question: decision.question,
      gatesStep: decision.gatesStep,
      line: decision.line,
    })),
  };
}

/** The report as JSON text, for `--json`. */
export function formatLintJson(report: LintReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The report for a person at a terminal. */
export function formatLintText(report: LintReport): string {
  const out: string[] = [];
  for (const file of report.files) {
    out.push(`${file.path}: ${plural(file.runbooks.length, 'runbook')}`);
    for (const runbook of report.runbooks.filter((candidate) => candidate.path === file.path)) {
      const facts = [runbook.alertName && `alert ${runbook.alertName}`, runbook.severity && `severity ${runbook.severity}`]
        .filter(Boolean)
        .join(', ');
      out.push(`  ${runbook.id}  "${runbook.title}"${facts ? `  (${facts})` : ''}  line ${runbook.line}`);
      if (runbook.scenarios.length > 0) {
        out.push(`    scenarios: ${runbook.scenarios.map((scenario) => `${scenario.id} "${scenario.title}" (${plural(scenario.steps.length, 'step')})`).join('; ')}`);
      }
      out.push(`    steps: ${runbook.steps.length}`);
      for (const step of runbook.steps) {
        const notes = [
          step.approval.required ? 'needs approval' : null,
          step.timeout !== null ? `timeout ${step.timeout}${step.timeoutSource === 'never-ending-default' ? ' (default)' : ''}` : null,
          step.interactive ? 'interactive' : null,
          step.waits.length > 0 ? `waits ${step.waits.map((seconds) => formatDuration(seconds * 1000)).join(', ')}` : null,
          step.runner !== null ? `runner ${step.runner}` : null,
          step.parameters.length > 0 ? `params ${step.parameters.join(', ')}` : null,
        ].filter((note): note is string => note !== null);
        out.push(`      ${step.id.padEnd(28)} ${step.kind.padEnd(6)} ${step.title}${notes.length > 0 ? `  [${notes.join('; ')}]` : ''}`);
      }
      if (runbook.parameters.length > 0) {
        out.push(`    parameters: ${runbook.parameters.map((parameter) => `${parameter.name}${parameter.required ? '' : ` (default ${JSON.stringify(parameter.defaultValue ?? '')})`}`).join(', ')}`);
      }
      for (const approval of runbook.approvalSteps) out.push(`    approval: ${approval.step} — ${approval.reason}`);
      for (const decision of runbook.decisionPoints) {
        out.push(`    decision: ${decision.step} — ${decision.question}${decision.gatesStep ? ' (decides whether the step runs)' : ''}`);
      }
    }
  }
  if (report.issues.length > 0) out.push('');
  for (const issue of report.issues) {
    const where = [issue.runbook, issue.step].filter(Boolean).join('/');
    out.push(`${issue.path}:${issue.line}: ${issue.severity} [${issue.code}] ${issue.message}${where ? ` (${where})` : ''}`);
  }
  const steps = report.runbooks.reduce((sum, runbook) => sum + runbook.steps.length, 0);
  out.push('');
  out.push(
    `${plural(report.runbooks.length, 'runbook')}, ${plural(steps, 'step')}, ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`,
  );
  return `${out.join('\n')}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
