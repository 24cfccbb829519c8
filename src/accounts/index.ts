/**
 * accounts/ — people who sign in to the web UI: local accounts with scrypt
 * password digests, sign-in sessions (a cookie's secret, stored as a digest, with
 * an idle and an absolute lifetime), CSRF tokens derived from them, and sign-in
 * throttling shared by every instance. Machines keep using API tokens (auth/).
 */
export {
  accountActor,
  changeAccount,
  createAccount,
  findAccount,
  isAccountRole,
  listAccounts,
  summarizeAccount,
  type AccountDeps,
  type AccountSummary,
  type ChangeAccountInput,
  type CreateAccountInput,
} from './accounts.ts';
export { SIGN_IN_LIMITS, SIGN_IN_WINDOW_MS, addressKey } from './throttle.ts';
export {
  changeOwnPassword,
  csrfTokenMatches,
  csrfTokenOf,
  listSessions,
  revokeSession,
  sessionOf,
  signIn,
  signOut,
  type ActiveSession,
  type SessionSettings,
  type SessionSummary,
  type SignedIn,
} from './sessions.ts';
export { ACCOUNT_ROLES, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, SignInSettings, USERNAME_PATTERN, type AccountRole } from './schema.ts';
