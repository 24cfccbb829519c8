import { Type, type TSchema } from '@sinclair/typebox';
import { StringEnum } from '../core/schema.ts';
import { INCIDENT_STATUSES } from '../incidents/index.ts';

/** Response shapes: they document the API and, through serialization, decide what leaves the server. */
const Time = Type.String({ format: 'date-time' });
/**
 * Objects with any keys. Type.Record would serialise only keys matching
 * ^(.*)$, silently dropping label names that contain a line break.
 */
const StringMap = Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } });
const AnyMap = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });
const NullableTime = Type.Union([Time, Type.Null()]);

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Unknown(),
    }),
  },
  { $id: 'Error' },
);

export const ClockJson = Type.Object({
  kind: Type.String(),
  seq: Type.Integer(),
  startedAt: Time,
  dueAt: Time,
  state: Type.Union([Type.Literal('pending'), Type.Literal('met'), Type.Literal('breached'), Type.Literal('cancelled')]),
  metAt: NullableTime,
  breachedAt: NullableTime,
});

export const IncidentJson = Type.Object({
  id: Type.String(),
  title: Type.String(),
  summary: Type.String(),
  severity: Type.String(),
  status: StringEnum(INCIDENT_STATUSES),
  services: Type.Array(Type.String()),
  roles: StringMap,
  declaredAt: Time,
  declaredBy: Type.String(),
  acknowledgedAt: NullableTime,
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  identifiedAt: NullableTime,
  mitigatedAt: NullableTime,
  resolvedAt: NullableTime,
  closedAt: NullableTime,
  lastUpdateAt: NullableTime,
  updatedAt: Time,
  version: Type.Integer(),
  clocks: Type.Array(ClockJson),
  allowedTransitions: Type.Array(Type.String()),
});

export const TimelineEntryJson = Type.Object({
  id: Type.String(),
  at: Time,
  actor: Type.String(),
  kind: Type.String(),
  text: Type.String(),
  data: AnyMap,
});

export const TokenJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  prefix: Type.String(),
  createdAt: Time,
  createdBy: Type.String(),
  lastUsedAt: NullableTime,
  revokedAt: NullableTime,
});

export const ReminderJson = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  dueAt: Time,
  message: Type.String(),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** The error statuses a route may answer, documented once. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const responses: Record<number, TSchema> = {};
  for (const status of [400, 401, 403, ...statuses]) responses[status] = Type.Ref(ErrorEnvelope);
  return responses;
}

export const IntegrationJson = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  service: Type.Union([Type.String(), Type.Null()]),
  keyPrefix: Type.String({ description: 'the first characters of the key, to tell keys apart' }),
  mapping: Type.Union([AnyMap, Type.Null()]),
  createdAt: Time,
  createdBy: Type.String(),
  deletedAt: NullableTime,
});

export const AlertJson = Type.Object({
  id: Type.String(),
  integrationId: Type.String(),
  dedupKey: Type.String(),
  name: Type.String(),
  status: Type.String(),
  severity: Type.String(),
  service: Type.Union([Type.String(), Type.Null()]),
  summary: Type.String(),
  labels: StringMap,
  annotations: StringMap,
  details: AnyMap,
  groupKey: Type.String(),
  runbook: Type.Union([Type.String(), Type.Null()]),
  generatorUrl: Type.Union([Type.String(), Type.Null()]),
  startsAt: NullableTime,
  endsAt: NullableTime,
  firstSeenAt: Time,
  lastSeenAt: Time,
  count: Type.Integer(),
  suppressedBy: Type.Union([Type.String(), Type.Null()]),
  incidentId: Type.Union([Type.String(), Type.Null()]),
});

export const AlertHistoryJson = Type.Object({ id: Type.String(), at: Time, kind: Type.String(), text: Type.String() });

const MatcherJson = Type.Object({ name: Type.String(), op: Type.String(), value: Type.String() });

export const SilenceJson = Type.Object({
  id: Type.String(),
  matchers: Type.Array(MatcherJson),
  startsAt: Time,
  endsAt: Time,
  state: Type.String({ description: 'pending, active or expired' }),
  createdBy: Type.String(),
  comment: Type.String(),
  createdAt: Time,
  expiredAt: NullableTime,
});

export const MaintenanceWindowJson = Type.Object({
  id: Type.String(),
  service: Type.String(),
  startsAt: Time,
  endsAt: Time,
  createdBy: Type.String(),
  comment: Type.String(),
  createdAt: Time,
  cancelledAt: NullableTime,
});

export const AccountJson = Type.Object({
  id: Type.String(),
  username: Type.String(),
  name: Type.String(),
  role: Type.String(),
  /** True when the username is a person of the configuration (on-call, paging, incident roles). */
  person: Type.Boolean(),
  createdAt: Time,
  createdBy: Type.String(),
  updatedAt: Time,
  passwordChangedAt: Time,
  disabledAt: NullableTime,
  lastLoginAt: NullableTime,
});

export const SessionJson = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  createdAt: Time,
  lastSeenAt: Time,
  expiresAt: Time,
  userAgent: Type.String(),
  address: Type.String(),
  current: Type.Boolean({ description: 'the session this request came with' }),
});
