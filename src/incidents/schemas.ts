import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../core/schema.ts';
import { INCIDENT_STATUSES } from './lifecycle.ts';

const Title = Type.String({ minLength: 1, maxLength: 200 });
const Summary = Type.String({ maxLength: 20_000 });
const ServiceId = Type.String({ minLength: 1, maxLength: 63 });
const UserId = Type.String({ minLength: 1, maxLength: 63 });
const Status = StringEnum(INCIDENT_STATUSES);

export const DeclareInput = Type.Object(
  {
    title: Title,
    severity: Type.String({ minLength: 1, maxLength: 32 }),
    services: Type.Optional(Type.Array(ServiceId, { maxItems: 50, uniqueItems: true })),
    summary: Type.Optional(Summary),
    commander: Type.Optional(UserId),
  },
  { additionalProperties: false },
);
export type DeclareInput = Static<typeof DeclareInput>;

export const ChangeInput = Type.Object(
  {
    title: Type.Optional(Title),
    summary: Type.Optional(Summary),
    severity: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    status: Type.Optional(Status),
    services: Type.Optional(Type.Array(ServiceId, { maxItems: 50, uniqueItems: true })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version you read; a stale one is refused with 409' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ChangeInput = Static<typeof ChangeInput>;

export const AcknowledgeInput = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type AcknowledgeInput = Static<typeof AcknowledgeInput>;

export const StakeholderUpdateInput = Type.Object(
  {
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: 'the update as written; or give template' })),
    template: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'a message template (the severity\'s variant when there is one), rendered with the incident' })),
    vars: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), { maxProperties: 100, description: 'values the template reads as vars.NAME' })),
    public: Type.Optional(Type.Boolean({ default: false })),
    channels: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$' }), {
      maxItems: 20,
      uniqueItems: true,
      description: 'channels to send it to instead of those communications names for the severity ([] sends nothing)',
    })),
  },
  { additionalProperties: false },
);
export type StakeholderUpdateInput = Static<typeof StakeholderUpdateInput>;

export const NoteInput = Type.Object({ text: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false });
export type NoteInput = Static<typeof NoteInput>;

export const AssignRoleInput = Type.Object({ assignee: UserId }, { additionalProperties: false });
export type AssignRoleInput = Static<typeof AssignRoleInput>;

export const ReminderInput = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 2000 }),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'when, as ISO-8601' })),
    in: Type.Optional(Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'or after how long, e.g. 15m' })),
  },
  { additionalProperties: false },
);
export type ReminderInput = Static<typeof ReminderInput>;
