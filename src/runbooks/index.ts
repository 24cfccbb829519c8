/**
 * Runbooks: Markdown runbooks read into steps, scenarios, parameters, approvals and
 * decision points, and the linter behind `firebreak runbook check`. Pure domain code:
 * nothing here executes a command.
 */
export { parseRunbooks, parseRunbookFile, slugify, sectionKindOf } from './parse.ts';
export {
  lintRunbooks,
  formatLintText,
  formatLintJson,
  type LintReport,
  type LintIssue,
  type LintedRunbook,
  type LintedStep,
} from './lint.ts';
export { createMasker, secretForms, MASK, type Masker } from './mask.ts';
export * from './protocol.ts';
export { prepareStepCommand, envNameOf, isReservedEnvName, type PreparedCommand } from './parameters.ts';
export {
  STEP_KINDS,
  FENCE_LANGUAGE_KINDS,
  DEFAULT_NEVER_ENDING_TIMEOUT_MS,
  type StepKind,
  type Runbook,
  type RunbookFile,
  type RunbookStep,
  type RunbookSection,
  type SectionKind,
  type Scenario,
  type DecisionPoint,
  type RunbookParameter,
  type ParameterUse,
  type RunbookBlock,
  type Approval,
  type StepWait,
  type NeverEndingCommand,
  type DestructiveCommand,
  type TimeoutSource,
  type MetadataEntry,
  type Diagnostic,
  type DiagnosticSeverity,
} from './model.ts';
