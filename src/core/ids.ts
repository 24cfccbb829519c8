import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

export type IdGenerator = () => string;

/**
 * Cryptographic randomness drawn a few kilobytes at a time: ULIDs take sixteen
 * random numbers each, and one system call per number showed up in profiles.
 */
function pooledRandom(): () => number {
  const pool = new Uint8Array(4096);
  let next = pool.length;
  return () => {
    if (next >= pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++]! / 256;
  };
}

/** Sortable identifiers (ULID), monotonic within a process even inside one millisecond. */
export function createIdGenerator(clock: { now(): number }): IdGenerator {
  const next = monotonicFactory(pooledRandom());
  return () => next(clock.now());
}
