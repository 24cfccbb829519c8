import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../core/actor.ts';
import { forbidden, notFound, unauthenticated } from '../core/errors.ts';
import { createIdGenerator } from '../core/ids.ts';
import type { AccountRecord, SessionRecord } from '../store/index.ts';
import { accountActor, checkPassword, passwordTooLong, summarizeAccount, type AccountDeps, type AccountSummary } from './accounts.ts';
import { hashPassword, refuseAfterEqualWork, verifyPassword } from './passwords.ts';
import { MAX_PASSWORD_LENGTH } from './schema.ts';
import { countPasswordAttempt } from './throttle.ts';

export interface SessionSettings {
  idleTimeoutMs: number;
  maxAgeMs: number;
}

/** Recording every request as a write would make each read a write; a minute is precise enough. */
const TOUCH_EVERY_MS = 60_000;
/** Ended sessions are kept this long for the record, then forgotten. */
const KEEP_ENDED_MS = 30 * 86_400_000;

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The CSRF token of a session, derived from its secret: nothing more to store, and useless without the cookie. */
export const csrfTokenOf = (sessionToken: string): string => createHash('sha256').update(`csrf\0${sessionToken}`, 'utf8').digest('base64url');

export function csrfTokenMatches(sessionToken: string, given: string): boolean {
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A session as its owner (or an administrator) sees it: never the secret. */
export interface SessionSummary {
  id: string;
  accountId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string;
  address: string;
}

export const summarizeSession = ({ tokenHash: _hash, revokedAt: _revoked, ...rest }: SessionRecord): SessionSummary => rest;

export interface SignInInput {
  username: string;
  password: string;
  userAgent: string;
  address: string;
}

export interface SignedIn {
  /** The cookie's value; shown to this caller only. */
  token: string;
  csrfToken: string;
  session: SessionSummary;
  account: AccountSummary;
  actor: Actor;
}

const expiryOf = (session: Pick<SessionRecord, 'createdAt'>, lastSeenAt: number, settings: SessionSettings) =>
  Math.min(lastSeenAt + settings.idleTimeoutMs, session.createdAt + settings.maxAgeMs);

/**
 * Checks a username and password and opens a session. Every refusal says the
 * same thing (the name or the password is wrong) and takes as long, so nobody
 * learns which names exist; a disabled account is refused the same way.
 */
export async function signIn(deps: AccountDeps, settings: SessionSettings, input: SignInInput): Promise<SignedIn> {
  const now = deps.clock.now();
  const repo = deps.store.repos.accounts;
  const username = input.username.trim();
  const tooLong = passwordTooLong(input.password);
  const account = tooLong ? undefined : await repo.findByUsername(username);
  const attempt = await countPasswordAttempt(deps, username, input.address, async () => account !== undefined && (await repo.hasSignedInFrom(account.id, input.address)));
  const ok = account ? await verifyPassword(input.password, account.passwordHash) : await refuseAfterEqualWork(input.password.slice(0, MAX_PASSWORD_LENGTH));
  if (!account || !ok || account.disabledAt !== null) throw unauthenticated('The username or the password is wrong');
  await attempt.succeeded();
  const token = `fbs_${randomBytes(32).toString('base64url')}`;
  const session: SessionRecord = {
    id: createIdGenerator(deps.clock)(),
    tokenHash: digest(token),
    accountId: account.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: 0,
    revokedAt: null,
    userAgent: input.userAgent.slice(0, 300),
    address: input.address.slice(0, 100),
  };
  session.expiresAt = expiryOf(session, now, settings);
  await repo.insertSession(session);
  const updated = await repo.update(account.id, { lastLoginAt: now }, account.updatedAt);
  await repo.forgetSessionsBefore(now - KEEP_ENDED_MS);
  const summary = summarizeAccount(updated ?? account);
  return { token, csrfToken: csrfTokenOf(token), session: summarizeSession(session), account: summary, actor: accountActor(account) };
}

export interface ActiveSession {
  actor: Actor;
  account: AccountSummary;
  session: SessionSummary;
}

/**
 * The session a cookie carries, if it is still good: not revoked, not expired,
 * its account enabled. A request renews an idle session; `renew: false` only
 * looks (a live stream checking on its caller is not the person at work).
 */
export async function sessionOf(deps: AccountDeps, settings: SessionSettings, token: string, { renew = true } = {}): Promise<ActiveSession | null> {
  if (!token.startsWith('fbs_') || token.length > 200) return null;
  const found = await deps.store.repos.accounts.sessionByHash(digest(token));
  if (!found) return null;
  const { session, account } = found;
  const now = deps.clock.now();
  // Settings may have been shortened since the session began: the stricter answer wins.
  const expiresAt = Math.min(session.expiresAt, expiryOf(session, session.lastSeenAt, settings));
  if (session.revokedAt !== null || expiresAt <= now || account.disabledAt !== null) return null;
  if (renew && now - session.lastSeenAt > TOUCH_EVERY_MS) {
    session.lastSeenAt = now;
    session.expiresAt = expiryOf(session, now, settings);
    await deps.store.repos.accounts.touchSession(session.id, now, session.expiresAt);
  }
  return { actor: accountActor(account), account: summarizeAccount(account), session: summarizeSession(session) };
}

export async function signOut(deps: AccountDeps, sessionId: string): Promise<void> {
  await deps.store.repos.accounts.revokeSession(sessionId, deps.clock.now());
}

/** Live sessions: one account's, or (for administrators) everyone's. */
export async function listSessions(deps: AccountDeps, accountId?: string): Promise<SessionSummary[]> {
  return (await deps.store.repos.accounts.liveSessions(deps.clock.now(), accountId)).map(summarizeSession);
}

/** Ends a session: one's own, or anyone's for an administrator. */
export async function revokeSession(deps: AccountDeps, sessionId: string, by: { accountId: string | null; mayManage: boolean }): Promise<SessionSummary> {
  const session = await deps.store.repos.accounts.getSession(sessionId);
  // Someone else's session is "not found" to those who may not manage it: ids are not to be probed.
  if (!session || (!by.mayManage && session.accountId !== by.accountId)) throw notFound('Session', sessionId);
  await deps.store.repos.accounts.revokeSession(sessionId, deps.clock.now());
  return summarizeSession(session);
}

/** A person changes their own password; their other sessions end, this one stays. */
export async function changeOwnPassword(
  deps: AccountDeps,
  who: { accountId: string; sessionId: string | null; address: string },
  input: { current: string; password: string },
): Promise<AccountSummary> {
  const repo = deps.store.repos.accounts;
  const account: AccountRecord | undefined = await repo.get(who.accountId);
  if (!account) throw notFound('Account', who.accountId);
  // A stolen session must not become a way to guess the password at full speed: the same limits as signing in.
  const attempt = await countPasswordAttempt(deps, account.username, who.address, () => repo.hasSignedInFrom(account.id, who.address));
  if (passwordTooLong(input.current) || !(await verifyPassword(input.current, account.passwordHash))) {
    throw forbidden('The current password is wrong', { field: 'current' });
  }
  await attempt.succeeded();
  checkPassword(input.password, account.username);
  const now = deps.clock.now();
  const updated = await repo.update(account.id, { passwordHash: await hashPassword(input.password), passwordChangedAt: now }, now);
  await repo.revokeSessionsOf(account.id, now, who.sessionId ?? undefined);
  return summarizeAccount(updated ?? account);
}
