import { systemActor } from '../core/actor.ts';
import { withActor, type Context, type Services } from '../core/context.ts';
import { isDomainError } from '../core/errors.ts';
import type { AbandonReport, Assignment, ClaimRequest, ControlReply, FinishReport, OutputReport } from '../runbooks/protocol.ts';
import { AssignmentGoneError, type RunnerTransport } from '../runner/index.ts';
import { abandonStep, finishStep, heartbeat, reportOutput } from './dispatch.ts';
import type { RunnerHub } from './hub.ts';

/**
 * The embedded runner's way to the runs service: the same protocol as a remote
 * runner's, called in process instead of over HTTP.
 */
export class LocalTransport implements RunnerTransport {
  private readonly ctx: Context;

  constructor(services: Services, private readonly hub: RunnerHub) {
    this.ctx = withActor(services, systemActor('local-runner'));
  }

  claim(request: ClaimRequest, signal: AbortSignal): Promise<Assignment | null> {
    return this.hub.claim(this.ctx, request, signal);
  }

  output(assignmentId: string, report: OutputReport): Promise<ControlReply> {
    return gone(() => reportOutput(this.ctx, assignmentId, report));
  }

  heartbeat(assignmentId: string): Promise<ControlReply> {
    return gone(() => heartbeat(this.ctx, assignmentId));
  }

  finish(assignmentId: string, report: FinishReport): Promise<ControlReply> {
    return gone(() => finishStep(this.ctx, assignmentId, report));
  }

  abandon(assignmentId: string, report: AbandonReport): Promise<ControlReply> {
    return gone(() => abandonStep(this.ctx, assignmentId, report));
  }
}

async function gone<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isDomainError(error) && (error.code === 'assignment_gone' || error.code === 'not_found')) throw new AssignmentGoneError(error.message);
    throw error;
  }
}
