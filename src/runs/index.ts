/**
 * Runs: a runbook carried out step by step — approvals by a second person, steps
 * claimed by runner agents, output stored and streamed with secrets masked, and every
 * change on the incident's timeline. Nothing here executes a command; runners do.
 */
export { createRun, getRun, listRuns, actOnStep, cancelRun, type CreateRunInput, type StepAction, type DryRunView } from './actions.ts';
export { claimStep, reportOutput, heartbeat, finishStep, abandonStep, sweepLapsedSteps, leaseMsOf } from './dispatch.ts';
export { RunnerHub } from './hub.ts';
export { listRunbooks, getRunbook, runbooksForIncident, summarizeRunbook, type RunbookSummary } from './catalog.ts';
export { matchesSelector } from './selector.ts';
export { runView, stepView, maskerFor, secretValuesOf, type RunView, type StepView } from './view.ts';
