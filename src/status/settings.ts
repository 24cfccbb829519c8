import { Type, type Static } from '@sinclair/typebox';

/** `statusPage:` in the configuration. Without `subscriptions`, nobody can subscribe and the page shows no form. */
export const StatusPageSettings = Type.Object(
  {
    subscriptions: Type.Optional(
      Type.Object(
        {
          channel: Type.String({
            pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$',
            description: 'the email channel that writes to subscribers (only its SMTP settings and from address are used, never its "to")',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type StatusPageSettings = Static<typeof StatusPageSettings>;
