import { isIPv4, isIPv6 } from 'node:net';
import { rateLimited } from '../core/errors.ts';
import type { AccountDeps } from './accounts.ts';

/**
 * Password attempts (signing in, and the current password when changing it)
 * are counted per account name and client address together, per address and
 * per account name, each in a 15-minute window shared by all instances. The
 * pair is tight (guessing one person's password from one place); the other two
 * catch guessing many names from one place and one name from many.
 */
export const SIGN_IN_LIMITS = [
  { scope: 'pair', failures: 10 },
  { scope: 'address', failures: 50 },
  { scope: 'account', failures: 100 },
] as const;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

type Scope = (typeof SIGN_IN_LIMITS)[number]['scope'];

/**
 * The address as the limits count it: IPv6 by its /64, which is what one
 * network or one customer is given (counting each /128 would let it try as many
 * addresses as it likes); an IPv4-mapped IPv6 address as the IPv4 it is.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const plain = address.split('%')[0]!;
  if (!isIPv6(plain)) return address;
  const [head, tail] = plain.includes('::') ? plain.split('::') : [plain, undefined];
  const groups = (text: string | undefined) => (text ? text.split(':') : []);
  const front = groups(head);
  const back = groups(tail);
  // An IPv4 tail (::ffff:0:192.0.2.1, 64:ff9b::192.0.2.1) takes two groups' room.
  const width = (parts: string[]) => parts.reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0);
  const zeros = Array<string>(Math.max(0, 8 - width(front) - width(back))).fill('0');
  const network = [...front, ...zeros, ...back].slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${network.join(':')}::/64`;
}

const keysOf = (username: string, address: string): Record<Scope, string> => {
  const name = username.trim().toLowerCase().slice(0, 200);
  const from = addressKey(address);
  return { pair: `pair:${name}|${from}`, address: `address:${from}`, account: `account:${name}` };
};

export interface Attempt {
  /** The password was right: the attempt is taken back and the pair's count starts again. */
  succeeded(): Promise<void>;
}

/**
 * Counts a password attempt before the password is checked, and refuses it
 * (429 with Retry-After) when a limit is passed, even if the password would be
 * right. The one exception: past only the account's own limit (somebody
 * guessing it from many places), an address the account has signed in from
 * before is let through, so guessing cannot lock a person out of where they work.
 */
export async function countPasswordAttempt(
  deps: AccountDeps,
  username: string,
  address: string,
  signedInFromBefore: () => Promise<boolean>,
): Promise<Attempt> {
  const repo = deps.store.repos.accounts;
  const now = deps.clock.now();
  const keys = keysOf(username, address);
  const counted = await repo.countAttempt(Object.values(keys), now, now - SIGN_IN_WINDOW_MS);
  const passed = SIGN_IN_LIMITS.filter((limit) => (counted.get(keys[limit.scope])?.failures ?? 0) > limit.failures);
  const refused = passed.length > 0 && !(passed.every((limit) => limit.scope === 'account') && (await signedInFromBefore()));
  if (refused) {
    const until = Math.max(...passed.map((limit) => counted.get(keys[limit.scope])!.windowStartedAt + SIGN_IN_WINDOW_MS));
    const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
    throw rateLimited(`Too many failed attempts; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`, retryAfterSeconds);
  }
  return {
    succeeded: async () => {
      await repo.clearFailures([keys.pair]);
      await repo.releaseAttempt([keys.address, keys.account]);
    },
  };
}
