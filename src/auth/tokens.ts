import { createHash, randomBytes } from 'node:crypto';
import type { Actor, Role } from '../core/actor.ts';
import type { Clock } from '../core/clock.ts';
import { invalid, notFound } from '../core/errors.ts';
import { createIdGenerator } from '../core/ids.ts';
import type { ApiTokenRecord, Store } from '../store/index.ts';

export const ROLES: readonly Role[] = ['admin', 'responder', 'viewer', 'runner'];
const TOKEN_PREFIX = 'fbk_';

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Tokens carry 256 random bits, so a plain SHA-256 is a safe, fast lookup key. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface TokenSummary {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const summary = ({ tokenHash: _hash, ...rest }: ApiTokenRecord): TokenSummary => rest;

export interface CreateTokenInput {
  name: string;
  role: string;
  /** Use this secret instead of a random one (the bootstrap token from the environment). */
  secret?: string;
  createdBy?: string;
  /** With a given secret: succeed quietly if that token already exists. */
  ifAbsent?: boolean;
}

/** Creates a token; the secret is returned here once and never stored. */
export async function createApiToken(
  store: Store,
  input: CreateTokenInput,
  clock: Clock,
): Promise<{ token: string; record: TokenSummary }> {
  const name = input.name.trim();
  if (name === '' || [...name].length > 100) throw invalid('A token needs a name of 1 to 100 characters', { field: 'name' });
  if (!isRole(input.role)) throw invalid(`Unknown role "${input.role}"`, { field: 'role', allowed: ROLES });
  if (input.secret !== undefined && input.secret.length < 16) {
    throw invalid('A token must be at least 16 characters long', { field: 'token' });
  }
  const token = input.secret ?? TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record: ApiTokenRecord = {
    id: createIdGenerator(clock)(),
    name,
    role: input.role,
    tokenHash: hashToken(token),
    // A made-up token's first characters tell it apart and give nothing away; a secret someone chose shows none of itself.
    prefix: input.secret === undefined ? token.slice(0, TOKEN_PREFIX.length + 6) : '',
    createdAt: clock.now(),
    createdBy: input.createdBy ?? 'cli',
    lastUsedAt: null,
    revokedAt: null,
  };
  if (input.ifAbsent) await store.repos.tokens.insertUnlessPresent(record);
  else await store.repos.tokens.insert(record);
  return { token, record: summary(record) };
}

/**
 * Makes sure an admin token exists: the one FIREBREAK_BOOTSTRAP_TOKEN names,
 * or, on a database without any token, a new random one. Returns the secret
 * when it created one the operator has not seen.
 */
export async function ensureAdminToken(store: Store, clock: Clock, bootstrapSecret: string | undefined): Promise<string | null> {
  if (bootstrapSecret !== undefined && bootstrapSecret !== '') {
    // Several instances may start at once on one database: the first insert wins, the others find it there.
    await createApiToken(store, { name: 'bootstrap', role: 'admin', secret: bootstrapSecret, createdBy: 'bootstrap', ifAbsent: true }, clock);
    return null;
  }
  const tokens = await store.repos.tokens.list();
  if (tokens.some((t) => t.revokedAt === null)) return null;
  const { token } = await createApiToken(store, { name: 'admin', role: 'admin', createdBy: 'first start' }, clock);
  return token;
}

export async function authenticate(store: Store, clock: Clock, token: string): Promise<Actor | null> {
  const record = await store.repos.tokens.findByHash(hashToken(token));
  if (!record || record.revokedAt !== null || !isRole(record.role)) return null;
  const now = clock.now();
  // Recording every use would turn each read into a write; a minute's precision is enough.
  if (record.lastUsedAt === null || now - record.lastUsedAt > 60_000) await store.repos.tokens.touch(record.id, now);
  return { kind: 'token', id: record.id, name: record.name, role: record.role };
}

export async function listApiTokens(store: Store): Promise<TokenSummary[]> {
  return (await store.repos.tokens.list()).map(summary);
}

export async function revokeApiToken(store: Store, clock: Clock, id: string): Promise<TokenSummary> {
  const record = await store.repos.tokens.get(id);
  if (!record) throw notFound('Token', id);
  await store.repos.tokens.revoke(id, clock.now());
  return summary({ ...record, revokedAt: record.revokedAt ?? clock.now() });
}
