/** Who acts. Every timeline entry and audit record names one. */
export type Role = 'admin' | 'responder' | 'viewer' | 'runner';

export type Actor =
  | { kind: 'token'; id: string; name: string; role: Role }
  | { kind: 'user'; id: string; name: string; role: Role }
  | { kind: 'integration'; id: string; name: string; role: 'responder' }
  | { kind: 'system'; id: 'system'; name: string; role: 'admin' };

export const systemActor = (name = 'firebreak'): Actor => ({ kind: 'system', id: 'system', name, role: 'admin' });

/** How an actor appears on a timeline: stable and readable. */
export function actorLabel(actor: Actor): string {
  return actor.kind === 'system' ? `system:${actor.name}` : `${actor.kind}:${actor.name}`;
}
