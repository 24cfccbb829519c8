import { Type, type Static } from '@sinclair/typebox';

export const TemplateSettings = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'the folder of *.liquid message templates, relative to this file; NAME.SEVERITY.liquid is the variant for one severity' }),
  },
  { additionalProperties: false },
);
export type TemplateSettings = Static<typeof TemplateSettings>;

const ChannelRef = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$' });
const UserRef = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$' });

export const SeverityCommunications = Type.Object(
  {
    channels: Type.Array(ChannelRef, { uniqueItems: true, description: 'channels every stakeholder update of this severity goes to' }),
    recipients: Type.Optional(Type.Array(UserRef, {
      uniqueItems: true,
      description: 'people an email channel writes to (their email address), besides the channel\'s own "to"',
    })),
  },
  { additionalProperties: false },
);
export type SeverityCommunications = Static<typeof SeverityCommunications>;

export const CommunicationsSettings = Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$' }), SeverityCommunications, {
  description: 'severity id → where its stakeholder updates go',
});
export type CommunicationsSettings = Static<typeof CommunicationsSettings>;
