/**
 * The runbook model: what a Markdown runbook says, kept close to how its author wrote it.
 * Everything here is plain data (JSON-serialisable) so that runs, the API and the linter
 * can share it without re-parsing.
 */

/** What a step runs. `manual` is a step with nothing to execute: a person does it and confirms. */
export type StepKind = 'shell' | 'sql' | 'promql' | 'http' | 'manual';
export const STEP_KINDS: readonly StepKind[] = ['shell', 'sql', 'promql', 'http', 'manual'];

/** Fence languages that become steps. Anything else (json, yaml, text, no language) is a non-executable block. */
export const FENCE_LANGUAGE_KINDS: Readonly<Record<string, StepKind>> = {
  bash: 'shell',
  sh: 'shell',
  shell: 'shell',
  sql: 'sql',
  promql: 'promql',
  http: 'http',
};

/** A command that never ends by itself is stopped after this long unless its fence sets a timeout. */
export const DEFAULT_NEVER_ENDING_TIMEOUT_MS = 5 * 60_000;

export type SectionKind =
  | 'symptoms'
  | 'investigation'
  | 'resolution'
  | 'verification'
  | 'prevention'
  | 'escalation'
  | 'other';

export interface MetadataEntry {
  /** camelCase of the label: `Alert Name` → `alertName`. */
  key: string;
  label: string;
  value: string;
  line: number;
}

export interface RunbookSection {
  id: string;
  title: string;
  kind: SectionKind;
  depth: number;
  parentId: string | null;
  line: number;
  endLine: number;
  /** Plain text of the section's own paragraphs. */
  text: string;
  /** Plain text of the section's list items (symptoms, prevention bullets …). */
  items: string[];
  steps: string[];
}

export interface Scenario {
  id: string;
  /** `A` of `Scenario A: …`, `3a` of `3a. Disk Space Emergency Cleanup`; null when the label has none. */
  key: string | null;
  title: string;
  /** The label as written. */
  label: string;
  section: string | null;
  line: number;
  endLine: number;
  steps: string[];
}

export interface Approval {
  required: boolean;
  /** Why: the sentence that asked for it, or the fence attribute. Empty when nothing asked. */
  reason: string;
}

export interface StepWait {
  seconds: number;
  line: number;
  /** Inside a loop or condition: the real wait may be longer, shorter or none. */
  nested: boolean;
}

export interface NeverEndingCommand {
  command: string;
  line: number;
  /** A full-screen program (watch, top, htop) that wants a terminal rather than a log. */
  terminal: boolean;
}

export interface DestructiveCommand {
  rule: string;
  text: string;
  line: number;
}

export type TimeoutSource = 'attribute' | 'never-ending-default';

export interface RunbookStep {
  /** Unique within its runbook: the fence's `name` attribute, or `<scenario|section>-<number>`. */
  id: string;
  title: string;
  kind: StepKind;
  /** The fence language as written (lower case), null for none. */
  language: string | null;
  /** The number of its `# 1. …` comment, null when the step was not numbered. */
  number: number | null;
  section: string | null;
  scenario: string | null;
  /** The step's text exactly as the runbook has it. */
  command: string;
  /**
   * The text to run: `<placeholder>`s rewritten to quoted variable references
   * (`"${MESSAGE_ID}"`). Values are never spliced in; they reach the command only as
   * environment variables.
   */
  renderedCommand: string;
  parameters: string[];
  approval: Approval;
  timeoutMs: number | null;
  timeoutSource: TimeoutSource | null;
  interactive: boolean;
  runner: string | null;
  waits: StepWait[];
  /** Only waits (and echoes): a runner may show a countdown rather than start a process. */
  waitOnly: boolean;
  neverEnding: NeverEndingCommand[];
  destructive: DestructiveCommand[];
  decisions: string[];
  /** Text of `# Expected output:` comment blocks, for a person to compare. */
  expectedOutput: string | null;
  /** The fence attributes as written (Runme style), null when the fence had none. */
  attributes: Record<string, unknown> | null;
  source: string;
  line: number;
  endLine: number;
  /** Line of the opening fence this step came from. */
  fenceLine: number;
}

export interface DecisionPoint {
  id: string;
  /** What a person answers yes or no to: `Still open after 5 minutes?` */
  question: string;
  /** The comment as written. */
  text: string;
  condition: string;
  /** What to do on yes, when the text says (`check external API status`). */
  action: string | null;
  step: string;
  /** True when the decision is the step's own title: the answer decides whether the step runs. */
  gatesStep: boolean;
  line: number;
}

export interface ParameterUse {
  step: string;
  line: number;
  /** As written: `<message_id>`, `$TOKEN`, `${LIMIT:-10}`. */
  placeholder: string;
}

export interface RunbookParameter {
  /** The environment variable that carries the value. */
  name: string;
  required: boolean;
  defaultValue: string | null;
  usedIn: ParameterUse[];
}

/** A fenced block that is not a step: expected output, templates, JSON, YAML, text. */
export interface RunbookBlock {
  language: string | null;
  text: string;
  /** The prose just before it (`Incident Declaration Template:`), or null. */
  caption: string | null;
  reason: 'output' | 'not-a-step-language';
  section: string | null;
  line: number;
  endLine: number;
}

export type DiagnosticSeverity = 'error' | 'warning';

export interface Diagnostic {
  severity: DiagnosticSeverity;
  code: string;
  message: string;
  source: string;
  line: number;
  runbook: string | null;
  step: string | null;
}

export interface Runbook {
  id: string;
  title: string;
  source: string;
  line: number;
  endLine: number;
  alertName: string | null;
  severity: string | null;
  metadata: MetadataEntry[];
  /** Prose between the title and the first section, without the metadata lines. */
  description: string;
  sections: RunbookSection[];
  scenarios: Scenario[];
  steps: RunbookStep[];
  blocks: RunbookBlock[];
  parameters: RunbookParameter[];
  decisions: DecisionPoint[];
  /** Problems found while reading this runbook (malformed attributes, unclosed fences …). */
  diagnostics: Diagnostic[];
}

export interface RunbookFile {
  source: string;
  runbooks: Runbook[];
  /** Every diagnostic of the file, including those outside any runbook. */
  diagnostics: Diagnostic[];
}
