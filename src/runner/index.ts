/**
 * The runner agent: runs runbook steps on a machine of the operator's and reports back
 * over the runner protocol (runbooks/protocol.ts). `firebreak runner` runs it against a
 * server over HTTP; the server can run one in process with a transport of its own.
 */
export {
  RunnerAgent,
  RESTARTED_WHILE_RUNNING,
  DEFAULT_CLAIM_WAIT_MS,
  type RunnerAgentOptions,
  type RunnerLogger,
  type AgentStopped,
} from './agent.ts';
export { AssignmentGoneError, RunnerRejectedError, TransportError, type RunnerTransport } from './transport.ts';
export { HttpRunnerTransport, type HttpTransportOptions } from './http-transport.ts';
export {
  executeStep,
  stepEnvironment,
  DEFAULT_SQL_CLIENT,
  DEFAULT_KILL_GRACE_MS,
  type ExecuteOptions,
  type StepExecution,
  type StepOutcome,
  type StopReason,
} from './executor.ts';
export { BindError, bindSql, bindPromql, parseHttpRequest, type BoundSql, type HttpRequestSpec } from './bind.ts';
export { defaultStateDir, StateDirectoryLockedError, type AssignmentRecord } from './state.ts';
export { ASSIGNMENT_ENV } from './processes.ts';
export type { BackoffOptions } from './retry.ts';
