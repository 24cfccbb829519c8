import type { Actor, Role } from '../core/actor.ts';
import { forbidden } from '../core/errors.ts';

export type Action =
  | 'incidents.read'
  | 'incidents.write'
  | 'events.read'
  | 'config.read'
  | 'config.manage'
  | 'tokens.manage'
  | 'runs.read'
  | 'runs.write'
  | 'runner.work'
  | 'status.manage'
  /** A person's own sign-in: who am I, my sessions, my password. */
  | 'session.own'
  | 'users.manage';

/** Who may do what, in one table: viewers read, responders act, admins manage, runners only run steps. */
const GRANTS: Record<Role, readonly Action[]> = {
  viewer: ['incidents.read', 'events.read', 'config.read', 'runs.read', 'session.own'],
  responder: ['incidents.read', 'incidents.write', 'events.read', 'config.read', 'runs.read', 'runs.write', 'status.manage', 'session.own'],
  admin: [
    'incidents.read',
    'incidents.write',
    'events.read',
    'config.read',
    'config.manage',
    'tokens.manage',
    'runs.read',
    'runs.write',
    'status.manage',
    'session.own',
    'users.manage',
  ],
  runner: ['runner.work'],
};

/** Everything a role may do, for clients that show only what the person can use. */
export const actionsOf = (role: Role): readonly Action[] => GRANTS[role];

export function can(actor: Actor, action: Action): boolean {
  return GRANTS[actor.role].includes(action);
}

export function authorize(actor: Actor, action: Action): void {
  if (!can(actor, action)) {
    throw forbidden(`The ${actor.role} role may not do this (${action})`, { role: actor.role, action });
  }
}
