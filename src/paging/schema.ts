import { Type, type Static } from '@sinclair/typebox';

/**
 * Escalation policies and people's notification rules, as firebreak.yaml writes
 * them. A policy pages its levels in turn, each level's targets at once, moving
 * on when nobody acknowledges within the level's timeout; `repeat` runs the
 * whole policy again that many times.
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$', description: 'lower-case letters, digits, - _ .' });
const Duration = Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'a duration such as 30s, 5m, 1h' });

export const EscalationTarget = Type.Union([
  Type.Object({ user: Id }, { additionalProperties: false }),
  Type.Object(
    {
      schedule: Id,
      next: Type.Optional(Type.Boolean({ description: 'page whoever is on call next, not now' })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ team: Id }, { additionalProperties: false, description: 'every member of the team' }),
]);

export const EscalationLevel = Type.Object(
  {
    targets: Type.Array(EscalationTarget, { minItems: 1 }),
    timeout: Duration,
  },
  { additionalProperties: false },
);

export const EscalationPolicy = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    levels: Type.Array(EscalationLevel, { minItems: 1 }),
    repeat: Type.Integer({ minimum: 0, maximum: 10, default: 0, description: 'run the levels again this many times' }),
    ackTimeout: Type.Optional(Type.String({
      pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$',
      description: 'an acknowledgement lapses after this long (the incident is unacknowledged again and escalation resumes)',
    })),
    ackReminder: Type.Optional(Type.String({
      pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$',
      description: 'remind the acknowledger this long before the acknowledgement lapses',
    })),
  },
  { additionalProperties: false },
);

/** "Chat at once, email after 5 minutes": each step sends on one channel, `after` the page. */
export const NotificationRule = Type.Object(
  {
    channel: Id,
    after: Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', default: '0m' }),
  },
  { additionalProperties: false },
);

/** Where a severity's incidents are announced (declared, updates, resolved). */
export const IncidentNotifications = Type.Object(
  {
    channels: Type.Array(Id, { default: [] }),
    bySeverity: Type.Optional(Type.Record(Type.String(), Type.Array(Id))),
  },
  { additionalProperties: false },
);

export type EscalationTarget = Static<typeof EscalationTarget>;
export type EscalationLevel = Static<typeof EscalationLevel>;
export type EscalationPolicy = Static<typeof EscalationPolicy>;
export type NotificationRule = Static<typeof NotificationRule>;
export type IncidentNotifications = Static<typeof IncidentNotifications>;
