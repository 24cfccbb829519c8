import { DomainError } from '../core/errors.ts';

export const INCIDENT_STATUSES = ['investigating', 'identified', 'mitigating', 'monitoring', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const OPEN_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'mitigating', 'monitoring'];

export function isIncidentStatus(value: string): value is IncidentStatus {
  return (INCIDENT_STATUSES as readonly string[]).includes(value);
}

export const isOpen = (status: string): boolean => (OPEN_STATUSES as readonly string[]).includes(status);

/** Position in the lifecycle; a later stage implies the earlier ones happened. */
export const stage = (status: string): number => INCIDENT_STATUSES.indexOf(status as IncidentStatus);

/**
 * Open states move forward, skipping stages if need be, and any of them may
 * resolve. A resolved incident either closes or reopens; closed is final.
 */
export function allowedTransitions(from: string): IncidentStatus[] {
  if (from === 'resolved') return ['closed', 'investigating'];
  if (from === 'closed') return [];
  const at = stage(from);
  if (at < 0) return [];
  return OPEN_STATUSES.filter((status) => stage(status) > at).concat('resolved');
}

export function assertTransition(from: string, to: string): void {
  const allowed = allowedTransitions(from);
  if (!allowed.includes(to as IncidentStatus)) {
    throw new DomainError('invalid_transition', `An incident cannot go from ${from} to ${to}`, {
      from,
      to,
      allowed,
    });
  }
}
