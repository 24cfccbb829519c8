import { vi } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Assignment } from '../../src/runbooks/protocol.ts';
import { executeStep, type ExecuteOptions, type StepExecution, type StepOutcome } from '../../src/runner/index.ts';

let counter = 0;

export function assignment(fields: Partial<Assignment> = {}): Assignment {
  counter += 1;
  return {
    id: `asg_${process.pid}_${counter}`,
    runId: 'run_1',
    stepId: `step-${counter}`,
    attempt: 1,
    title: 'A step',
    kind: 'shell',
    command: 'true',
    env: {},
    timeoutMs: 60_000,
    secretEnv: [],
    secretValues: [],
    leaseMs: 60_000,
    heartbeatMs: 10_000,
    ...fields,
  };
}

/** The environment a step starts from in tests: enough to find programs, nothing else. */
export const BASE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };

export interface Ran {
  outcome: StepOutcome;
  stdout: string;
  stderr: string;
}

export function start(
  fields: Partial<Assignment>,
  options: Partial<Omit<ExecuteOptions, 'assignment' | 'output'>> & { workdir: string },
): { execution: StepExecution; result: Promise<Ran>; stdout: () => string } {
  const text = { stdout: '', stderr: '' };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const execution = executeStep({
    baseEnv: BASE_ENV,
    killGraceMs: 500,
    ...options,
    assignment: assignment(fields),
    output: (stream, data) => {
      text[stream] += typeof data === 'string' ? data : decoders[stream].decode(data, { stream: true });
    },
  });
  const result = execution.outcome.then((outcome) => ({ outcome, ...text }));
  return { execution, result, stdout: () => text.stdout };
}

export function run(fields: Partial<Assignment>, options: Partial<Omit<ExecuteOptions, 'assignment' | 'output'>> & { workdir: string }): Promise<Ran> {
  return start(fields, options).result;
}

/** Running, as opposed to gone or a zombie nobody reaped yet. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits for a condition that depends on processes and timers; generous, since the machine may be busy. */
export function eventually<T>(check: () => T): Promise<T> {
  return vi.waitFor(check, { timeout: 20_000, interval: 20 });
}
