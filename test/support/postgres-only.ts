import { describe } from 'vitest';
import { postgresReachable } from './database.ts';

/**
 * For behaviour that exists only with PostgreSQL (several instances on one
 * database). Under CI a missing server is a failure, never a silent skip.
 */
export async function describePostgres(name: string, body: () => void): Promise<void> {
  const reachable = await postgresReachable();
  if (!reachable && process.env.CI === 'true') {
    describe(name, () => {
      throw new Error('PostgreSQL at 127.0.0.1:5432 is not reachable, and CI requires it');
    });
    return;
  }
  if (!reachable) {
    console.warn(`SKIPPED "${name}": PostgreSQL at 127.0.0.1:5432 is not reachable`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}
