import type { Actor } from '../core/actor.ts';
import type { Clock } from '../core/clock.ts';
import { conflict, invalid, notFound } from '../core/errors.ts';
import { createIdGenerator } from '../core/ids.ts';
import type { AccountChanges, AccountRecord, Store } from '../store/index.ts';
import { hashPassword } from './passwords.ts';
import { ACCOUNT_ROLES, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN, type AccountRole } from './schema.ts';

/** What account verbs need: the store and the clock (the CLI has no running server). */
export interface AccountDeps {
  store: Store;
  clock: Clock;
}

/** An account as anyone may see it: never the password digest. */
export type AccountSummary = Omit<AccountRecord, 'passwordHash' | 'role'> & { role: AccountRole };

export const summarizeAccount = ({ passwordHash: _digest, ...rest }: AccountRecord): AccountSummary => ({ ...rest, role: rest.role as AccountRole });

export const isAccountRole = (value: string): value is AccountRole => (ACCOUNT_ROLES as readonly string[]).includes(value);

const USERNAME = new RegExp(USERNAME_PATTERN);

/** The actor an account acts as: `user:<username>`, the same label the configuration's people act under. */
export const accountActor = (account: Pick<AccountRecord, 'username' | 'role'>): Actor => ({
  kind: 'user',
  id: account.username,
  name: account.username,
  role: account.role as AccountRole,
});

/** Length in characters (code points), as people count them and as every check here measures it. */
const passwordLength = (password: string) => (password.length > MAX_PASSWORD_LENGTH * 2 ? password.length : [...password].length);

export const passwordTooLong = (password: string) => passwordLength(password) > MAX_PASSWORD_LENGTH;

export function checkPassword(password: string, username: string, field = 'password'): void {
  const length = passwordLength(password);
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw invalid(`A password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, { field, min: MIN_PASSWORD_LENGTH });
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    throw invalid('A password must not contain the username', { field });
  }
}

function checkRole(role: string): AccountRole {
  if (!isAccountRole(role)) throw invalid(`Unknown role "${role}"; people are one of ${ACCOUNT_ROLES.join(', ')}`, { field: 'role', allowed: ACCOUNT_ROLES });
  return role;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || [...trimmed].length > 100) throw invalid('A name needs 1 to 100 characters', { field: 'name' });
  return trimmed;
}

export interface CreateAccountInput {
  username: string;
  password: string;
  role: string;
  /** Defaults to the name of the configuration's person with this id, else the username. */
  name?: string;
  createdBy: string;
}

export async function createAccount(deps: AccountDeps, input: CreateAccountInput, people: ReadonlyArray<{ id: string; name: string }> = []): Promise<AccountSummary> {
  const username = input.username.trim();
  if (!USERNAME.test(username)) {
    throw invalid('A username is 1 to 63 lower-case letters, digits, "-", "_" or "." and starts with a letter or digit (use the person\'s id from users: in the configuration)', { field: 'username' });
  }
  const role = checkRole(input.role);
  checkPassword(input.password, username);
  const name = checkName(input.name ?? people.find((person) => person.id === username)?.name ?? username);
  const now = deps.clock.now();
  const record: AccountRecord = {
    id: createIdGenerator(deps.clock)(),
    username,
    name,
    role,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
    createdBy: input.createdBy,
    updatedAt: now,
    passwordChangedAt: now,
    disabledAt: null,
    lastLoginAt: null,
  };
  if (!(await deps.store.repos.accounts.insert(record))) throw conflict(`An account named "${username}" exists already`, { field: 'username' });
  return summarizeAccount(record);
}

export async function listAccounts(deps: AccountDeps): Promise<AccountSummary[]> {
  return (await deps.store.repos.accounts.list()).map(summarizeAccount);
}

/** By id or by username: people type usernames, the API hands out ids. */
export async function findAccount(deps: AccountDeps, idOrUsername: string): Promise<AccountRecord> {
  const repo = deps.store.repos.accounts;
  const found = (await repo.get(idOrUsername)) ?? (await repo.findByUsername(idOrUsername));
  if (!found) throw notFound('Account', idOrUsername);
  return found;
}

export interface ChangeAccountInput {
  name?: string;
  role?: string;
  disabled?: boolean;
  password?: string;
}

/**
 * An administrator changes an account. A new password or disabling ends every
 * session of the account at once. Nobody locks themselves out by accident: an
 * administrator cannot disable or demote their own account, nor set their own
 * password here (that asks for the current one, under Settings → Account), and
 * the last enabled administrator account stays one.
 */
export async function changeAccount(deps: AccountDeps, idOrUsername: string, input: ChangeAccountInput, by: { accountId: string | null } = { accountId: null }): Promise<AccountSummary> {
  const found = await findAccount(deps, idOrUsername);
  const self = by.accountId === found.id;
  const changes: AccountChanges = {};
  const now = deps.clock.now();
  if (input.name !== undefined) changes.name = checkName(input.name);
  if (input.role !== undefined) {
    changes.role = checkRole(input.role);
    if (self && changes.role !== found.role) throw conflict('You cannot change your own role; ask another administrator', { field: 'role' });
  }
  if (input.disabled !== undefined) {
    if (self && input.disabled) throw conflict('You cannot disable your own account', { field: 'disabled' });
    changes.disabledAt = input.disabled ? (found.disabledAt ?? now) : null;
  }
  if (input.password !== undefined) {
    if (self) throw conflict('Change your own password under Settings → Account: it asks for the current one', { field: 'password' });
    checkPassword(input.password, found.username);
    changes.passwordHash = await hashPassword(input.password);
    changes.passwordChangedAt = now;
  }
  return deps.store.transaction(async (tx) => {
    // Two administrators demoting each other at once must not leave none: one waits for the other.
    await tx.lock('accounts:administrators');
    const account = (await tx.accounts.get(found.id)) ?? found;
    const staysAdmin = (changes.role ?? account.role) === 'admin' && (changes.disabledAt === undefined ? account.disabledAt : changes.disabledAt) === null;
    if (account.role === 'admin' && account.disabledAt === null && !staysAdmin) {
      const others = (await tx.accounts.list()).filter((other) => other.id !== account.id && other.role === 'admin' && other.disabledAt === null);
      if (others.length === 0) throw conflict(`${account.username} is the last administrator; make another one first`, { field: changes.role !== undefined ? 'role' : 'disabled' });
    }
    const updated = await tx.accounts.update(account.id, changes, now);
    if (changes.passwordHash !== undefined || (changes.disabledAt !== undefined && changes.disabledAt !== null)) {
      await tx.accounts.revokeSessionsOf(account.id, now);
    }
    return summarizeAccount(updated ?? account);
  });
}
