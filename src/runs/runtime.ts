import type { Services } from '../core/context.ts';
import { systemActor } from '../core/actor.ts';
import { withActor } from '../core/context.ts';
import { sweepLapsedSteps, leaseMsOf } from './dispatch.ts';
import { RunnerHub } from './hub.ts';

/**
 * The moving parts of runs in one server process: the hub that long-poll claims wait
 * in, and the sweep that turns steps of silent runners into `unknown`.
 */
export class RunsRuntime {
  readonly hub: RunnerHub;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(private readonly services: Services) {
    this.hub = new RunnerHub(services.events);
  }

  start(): void {
    // Every instance sweeps; each change is a compare-and-set, so they never clash.
    const every = Math.max(500, Math.min(5000, Math.floor(leaseMsOf(withActor(this.services, systemActor())) / 3)));
    this.sweeper = setInterval(() => {
      this.sweeping = this.sweep().catch((error: unknown) => this.services.logger.error({ err: error }, 'runner lease sweep failed'));
    }, every);
    this.sweeper.unref();
  }

  /** Marks the steps of runners silent past their lease `unknown`; returns how many. */
  sweep(): Promise<number> {
    return sweepLapsedSteps(withActor(this.services, systemActor('runner-lease')));
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.hub.stop();
    await this.sweeping;
  }
}
