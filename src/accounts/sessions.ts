import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../core/actor.ts';
import { forbidden, notFound, rateLimited, unauthenticated } from '../core/errors.ts';
import { createIdGenerator } from '../core/ids.ts';
import type { AccountRecord, SessionRecord } from '../store/index.ts';
import { accountActor, checkPassword, summarizeAccount, type AccountDeps, type AccountSummary } from './accounts.ts';
import { hashPassword, refuseAfterEqualWork, verifyPassword } from './passwords.ts';
import { MAX_PASSWORD_LENGTH } from './schema.ts';

export interface SessionSettings {
  idleTimeoutMs: number;
  maxAgeMs: number;
}

/**
 * Failed sign-ins are counted per account name and client address together, per
 * address and per account name, each in a 15-minute window shared by all
 * instances. The pair is tight (guessing one person's password from one place);
 * the other two catch guessing many names from one place and one name from many.
 */
export const SIGN_IN_LIMITS = [
  { scope: 'pair', failures: 10 },
  { scope: 'address', failures: 50 },
  { scope: 'account', failures: 100 },
] as const;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
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

const limitKeys = (username: string, address: string) => {
  const name = username.trim().toLowerCase().slice(0, 200);
  return { pair: `pair:${name}|${address}`, address: `address:${address}`, account: `account:${name}` };
};

async function refuseWhenThrottled(deps: AccountDeps, keys: ReturnType<typeof limitKeys>, now: number): Promise<void> {
  const counted = await deps.store.repos.accounts.failures(Object.values(keys), now - SIGN_IN_WINDOW_MS);
  for (const limit of SIGN_IN_LIMITS) {
    const entry = counted.get(keys[limit.scope]);
    if (entry && entry.failures >= limit.failures) {
      const retryAfterSeconds = Math.max(1, Math.ceil((entry.windowStartedAt + SIGN_IN_WINDOW_MS - now) / 1000));
      throw rateLimited(`Too many failed sign-ins; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`, retryAfterSeconds);
    }
  }
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
  const keys = limitKeys(input.username, input.address);
  await refuseWhenThrottled(deps, keys, now);
  const repo = deps.store.repos.accounts;
  const account = input.password.length > MAX_PASSWORD_LENGTH ? undefined : await repo.findByUsername(input.username.trim());
  const ok = account ? await verifyPassword(input.password, account.passwordHash) : await refuseAfterEqualWork(input.password.slice(0, MAX_PASSWORD_LENGTH));
  if (!account || !ok || account.disabledAt !== null) {
    await repo.recordFailure(Object.values(keys), now, now - SIGN_IN_WINDOW_MS);
    throw unauthenticated('The username or the password is wrong');
  }
  await repo.clearFailures([keys.pair]);
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
  who: { accountId: string; sessionId: string | null },
  input: { current: string; password: string },
): Promise<AccountSummary> {
  const repo = deps.store.repos.accounts;
  const account: AccountRecord | undefined = await repo.get(who.accountId);
  if (!account) throw notFound('Account', who.accountId);
  if (input.current.length > MAX_PASSWORD_LENGTH || !(await verifyPassword(input.current, account.passwordHash))) {
    throw forbidden('The current password is wrong', { field: 'current' });
  }
  checkPassword(input.password, account.username);
  const now = deps.clock.now();
  const updated = await repo.update(account.id, { passwordHash: await hashPassword(input.password), passwordChangedAt: now }, now);
  await repo.revokeSessionsOf(account.id, now, who.sessionId ?? undefined);
  return summarizeAccount(updated ?? account);
}
