import type { DryRunView as DryRun, RunbookSummary } from '../runs/index.ts';
import { formatTable, indent, printable, truncate } from './output.ts';

/** The API's shapes of runbooks and dry runs are the domain's own; runs are read as far as the CLI shows them. */
export type { DryRun, RunbookSummary };

/** Command text as it reads, one line per line, with control characters made visible. */
const commandText = (text: string, prefix: string): string => indent(text.split('\n').map(printable).join('\n'), prefix);


export interface RunbookDetail {
  id: string;
  title: string;
  source: string;
  alertName: string | null;
  severity: string | null;
  scenarios: Array<{ id: string; title: string; steps: string[] }>;
  steps: Array<{ id: string; title: string; kind: string; scenario: string | null; renderedCommand: string; approval: { required: boolean; reason: string }; parameters: string[] }>;
  parameters: Array<{ name: string; required: boolean; defaultValue: string | null }>;
}

export interface RunStep {
  id: string;
  title: string;
  kind: string;
  command: string;
  state: string;
  attempt: number;
  byPerson: boolean;
  approval: { required: boolean; reason: string; needed: number; requestedBy: string | null; decisions: Array<{ decision: string; by: string; comment: string | null; attempt: number }> };
  decisions: Array<{ id: string; question: string; gatesStep: boolean; answer: string | null }>;
  exitCode: number | null;
  timedOut: boolean;
  ranOn: { name: string } | null;
  output: { text: string; truncated: boolean };
}

export interface Run {
  id: string;
  runbook: { id: string; title: string };
  scenario: string | null;
  incidentId: string | null;
  state: string;
  approvalRule: { steps: string; approverRoles: string[]; approvals: number; origin: string; note: string | null };
  steps: RunStep[];
}


export function renderRunbookList(items: readonly RunbookSummary[]): string {
  if (items.length === 0) return 'No runbooks. Add Markdown files to runbooks.paths in the config.';
  return formatTable(
    ['ID', 'ALERT', 'SEV', 'STEPS', 'APPROVAL', 'SCENARIOS'],
    items.map((r) => [
      r.id,
      r.alertName ?? '-',
      r.severity ?? '-',
      String(r.steps),
      String(r.approvalSteps.length),
      truncate(r.scenarios.map((s) => s.key ?? s.id).join(' ') || '-', 40),
    ]),
  );
}

export function renderRunbook(runbook: RunbookDetail): string {
  const lines = [`${runbook.title} (${runbook.id})`, `  source: ${runbook.source}`];
  if (runbook.alertName) lines.push(`  alert: ${runbook.alertName}${runbook.severity ? `, ${runbook.severity}` : ''}`);
  if (runbook.parameters.length > 0) {
    lines.push(`  parameters: ${runbook.parameters.map((p) => (p.required ? p.name : `${p.name}=${p.defaultValue ?? ''}`)).join(', ')}`);
  }
  if (runbook.scenarios.length > 0) lines.push(`  scenarios: ${runbook.scenarios.map((s) => `${s.id} (${s.title})`).join('; ')}`);
  for (const step of runbook.steps) {
    const approval = step.approval.required ? '  [approval]' : '';
    lines.push('', `${step.id}  ${printable(step.title)}  (${step.kind}${step.scenario ? `, ${step.scenario}` : ''})${approval}`);
    if (step.renderedCommand.trim() !== '') lines.push(commandText(step.renderedCommand, '    '));
  }
  return lines.join('\n');
}

export function renderDryRun(plan: DryRun): string {
  const lines = [`Dry run of ${plan.runbook.title}${plan.scenario ? ` (${plan.scenario})` : ''}: nothing runs.`, `Approval: ${ruleText(plan.approvalRule)}`];
  for (const step of plan.steps) {
    const where = step.byPerson ? 'by hand' : `runner ${step.runner ?? 'any'}, time limit ${Math.round(step.timeoutMs / 1000)}s`;
    lines.push('', `${step.id}  ${printable(step.title)}  (${where})${step.approval.required ? `  [needs ${step.approval.needed} approval: ${printable(step.approval.reason)}]` : ''}`);
    if (step.command.trim() !== '') lines.push(commandText(step.command, '    $ '));
    const env = Object.entries(step.env).filter(([name]) => !name.startsWith('FIREBREAK_'));
    for (const [name, value] of env) lines.push(`    env ${name}=${JSON.stringify(value)}`);
    if (step.missingParameters.length > 0) lines.push(`    missing: ${step.missingParameters.join(', ')} (give with --param NAME=VALUE)`);
  }
  return lines.join('\n');
}

const ruleText = (rule: Run['approvalRule']): string =>
  `${rule.steps === 'all' ? 'every step' : 'marked steps'}, ${rule.approvals} × ${rule.approverRoles.join('/')} (${rule.origin}${rule.note ? `: ${rule.note}` : ''})`;

export function renderRun(run: Run, focus?: string): string {
  const lines = [
    `Run ${run.id}: ${run.runbook.title}${run.scenario ? ` (${run.scenario})` : ''} — ${run.state}${run.incidentId ? `, incident ${run.incidentId}` : ''}`,
    `Approval: ${ruleText(run.approvalRule)}`,
    '',
    formatTable(
      ['STEP', 'STATE', 'TRY', 'TITLE'],
      run.steps.map((s) => [s.id, s.state + (s.exitCode !== null ? ` (${s.exitCode})` : ''), String(s.attempt), truncate(printable(s.title), 60)]),
    ),
  ];
  const shown = run.steps.find((s) => s.id === focus);
  if (shown) {
    lines.push('', `${shown.id}: ${shown.state}${shown.ranOn ? ` on ${shown.ranOn.name}` : ''}`);
    if (shown.state === 'awaiting-approval') lines.push(`  waiting for approval (asked by ${shown.approval.requestedBy}): ${printable(shown.approval.reason)}`);
    for (const d of shown.decisions) lines.push(`  decision ${d.id}: ${printable(d.question)} → ${d.answer ?? 'not answered'}`);
    if (shown.output.text !== '') lines.push(commandText(shown.output.text.trimEnd(), '  | '));
  }
  return lines.join('\n');
}
