import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Events } from '../events/index.ts';
import type { Store } from '../store/index.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import type { IdGenerator } from './ids.ts';

/** What every domain verb may use; built once at start and passed in, never imported. */
export interface Services {
  store: Store;
  clock: Clock;
  newId: IdGenerator;
  /** The configuration in force now; a reload swaps what this returns. */
  config(): Config;
  events: Events;
  logger: Logger;
}

/** A domain verb's first argument: the services and who is acting. */
export interface Context extends Services {
  actor: Actor;
}

export function withActor(services: Services, actor: Actor): Context {
  return { ...services, actor };
}
