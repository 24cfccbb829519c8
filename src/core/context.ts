import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Events } from '../events/index.ts';
import type { IncidentRecord, Store, TimelineEntry, Tx } from '../store/index.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import type { IdGenerator } from './ids.ts';

/**
 * What other domains do when an incident changes, inside the same transaction
 * (paging starts and stops escalations here). Incidents know these moments,
 * not who listens to them.
 */
export interface IncidentHooks {
  declared?(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<void>;
  acknowledged?(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<void>;
  resolved?(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<void>;
  reopened?(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<void>;
  slaBreached?(ctx: Context, tx: Tx, incidentId: string, clock: { kind: string; dueAt: number }): Promise<void>;
  /** The next stakeholder update is due soon and none has come. */
  updateDueSoon?(ctx: Context, tx: Tx, incident: IncidentRecord, due: { clockId: string; dueAt: number; text: string }): Promise<void>;
  /** A stakeholder update marked public was posted (the status page shows it). */
  publicUpdate?(ctx: Context, tx: Tx, incident: IncidentRecord, entry: TimelineEntry): Promise<void>;
}

/**
 * Several domains listen to the same moments (paging stops on resolution, the
 * post-incident checklist starts): their hooks run in the order given.
 */
export function combineHooks(...all: IncidentHooks[]): IncidentHooks {
  const combined: IncidentHooks = {};
  const names = new Set(all.flatMap((hooks) => Object.keys(hooks) as Array<keyof IncidentHooks>));
  for (const name of names) {
    const handlers = all.map((hooks) => hooks[name]).filter((handler) => handler !== undefined) as Array<(...args: unknown[]) => Promise<void>>;
    (combined as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      for (const handler of handlers) await handler(...args);
    };
  }
  return combined;
}

/** What every domain verb may use; built once at start and passed in, never imported. */
export interface Services {
  store: Store;
  clock: Clock;
  newId: IdGenerator;
  /** The configuration in force now; a reload swaps what this returns. */
  config(): Config;
  events: Events;
  logger: Logger;
  hooks: IncidentHooks;
  /** Nudges background workers after a commit that gave them work, rather than waiting for their next poll. */
  wake: { outbox(): void; timers(): void };
}

/** A domain verb's first argument: the services and who is acting. */
export interface Context extends Services {
  actor: Actor;
}

export function withActor(services: Services, actor: Actor): Context {
  return { ...services, actor };
}
