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
  | 'status.manage';

/** Who may do what, in one table: viewers read, responders act, admins manage, runners only run steps. */
const GRANTS: Record<Role, readonly Action[]> = {
  viewer: ['incidents.read', 'events.read', 'config.read', 'runs.read'],
  responder: ['incidents.read', 'incidents.write', 'events.read', 'config.read', 'runs.read', 'runs.write', 'status.manage'],
  admin: ['incidents.read', 'incidents.write', 'events.read', 'config.read', 'config.manage', 'tokens.manage', 'runs.read', 'runs.write', 'status.manage'],
  runner: ['runner.work'],
};

export function can(actor: Actor, action: Action): boolean {
  return GRANTS[actor.role].includes(action);
}

export function authorize(actor: Actor, action: Action): void {
  if (!can(actor, action)) {
    throw forbidden(`The ${actor.role} role may not do this (${action})`, { role: actor.role, action });
  }
}
