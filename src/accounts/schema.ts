import { Type, type Static } from '@sinclair/typebox';

const Duration = Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'a duration such as 12h, 7d or 30d' });

/** `signIn:` in the configuration: how long a web UI session lasts. */
export const SignInSettings = Type.Object(
  {
    sessionIdleTimeout: Type.String({ ...Duration, default: '7d', description: 'a session not used for this long ends (each use extends it)' }),
    sessionMaxAge: Type.String({ ...Duration, default: '30d', description: 'a session ends this long after sign-in, used or not' }),
  },
  { additionalProperties: false },
);
export type SignInSettings = Static<typeof SignInSettings>;

/** People sign in; runners are machines and use tokens. */
export const ACCOUNT_ROLES = ['admin', 'responder', 'viewer'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,62}$';
export const MIN_PASSWORD_LENGTH = 10;
/** Long enough for any passphrase; short enough that hashing it costs nothing extra. */
export const MAX_PASSWORD_LENGTH = 1024;
