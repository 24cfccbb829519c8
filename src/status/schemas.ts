import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../core/schema.ts';
import { COMPONENT_STATUSES } from './model.ts';

export const SetComponentInput = Type.Object(
  {
    status: Type.Union([StringEnum(COMPONENT_STATUSES), Type.Null()], {
      description: 'the status to show whatever the incidents say, or null to derive it from open public incidents again',
    }),
  },
  { additionalProperties: false },
);
export type SetComponentInput = Static<typeof SetComponentInput>;

export const ScheduleMaintenanceInput = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    body: Type.Optional(Type.String({ maxLength: 20_000, description: 'what will happen and what people will notice; public' })),
    components: Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
      maxItems: 100,
      uniqueItems: true,
      description: 'service ids shown as under maintenance while it is in progress',
    }),
    scheduledFor: Type.String({ format: 'date-time' }),
    scheduledUntil: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type ScheduleMaintenanceInput = Static<typeof ScheduleMaintenanceInput>;
