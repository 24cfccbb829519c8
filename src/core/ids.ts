import { monotonicFactory } from 'ulid';

export type IdGenerator = () => string;

/** Sortable identifiers (ULID), monotonic within a process even inside one millisecond. */
export function createIdGenerator(clock: { now(): number }): IdGenerator {
  const next = monotonicFactory();
  return () => next(clock.now());
}
