import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password digests: scrypt with a random salt, parameters stored beside the digest
 * (`scrypt$N$r$p$salt$digest`) so they can be raised later without invalidating
 * what is stored. N=2^15, r=8, p=3 is one of OWASP's recommended scrypt settings
 * (32 MiB, about a tenth of a second here); it runs on libuv's thread pool, so
 * the event loop keeps serving while a sign-in is checked.
 */
const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 3;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
/** Digests with costs above this are refused rather than computed: a tampered row must not exhaust memory. */
const MAX_COST = 2 ** 20;

function derive(password: string, salt: Buffer, options: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const N = options.N ?? COST;
    const r = options.r ?? BLOCK_SIZE;
    scrypt(password.normalize('NFC'), salt, length, { ...options, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const digest = await derive(password, salt, { N: COST, r: BLOCK_SIZE, p: PARALLELISM }, KEY_LENGTH);
  return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), digest.toString('base64url')].join('$');
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  digest: Buffer;
}

function parse(encoded: string): Parsed | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every(Number.isSafeInteger) || N < 2 || N > MAX_COST || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const digest = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || digest.length < 16) return null;
  return { N, r, p, salt, digest };
}

/** True when `password` is the one `encoded` was made from; constant time in the digest comparison. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, { N: parsed.N, r: parsed.r, p: parsed.p }, parsed.digest.length);
  return timingSafeEqual(candidate, parsed.digest);
}

/** Does the work of a verification and fails: unknown usernames take as long to refuse as wrong passwords. */
export async function refuseAfterEqualWork(password: string): Promise<false> {
  await derive(password, randomBytes(SALT_BYTES), { N: COST, r: BLOCK_SIZE, p: PARALLELISM }, KEY_LENGTH);
  return false;
}
