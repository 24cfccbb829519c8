import type { Context } from '../core/context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import type { IncidentRecord, Tx } from '../store/index.ts';

class StaleWrite extends Error {}

const RETRIES = 5;

/**
 * Read-modify-write of one incident in one transaction, guarded by its version.
 * With `expectedVersion` the caller's view must be current (else 409); without
 * it a concurrent writer only causes a retry on fresh data, so no write is lost.
 * `change` returns the next record, or the same object for "nothing to do".
 */
export async function mutateIncident(
  ctx: Context,
  id: string,
  expectedVersion: number | undefined,
  change: (current: IncidentRecord, tx: Tx) => Promise<IncidentRecord>,
): Promise<IncidentRecord> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.store.transaction((tx) => mutateIncidentIn(ctx, tx, id, expectedVersion, change));
    } catch (error) {
      if (!(error instanceof StaleWrite)) throw error;
      if (expectedVersion !== undefined || attempt >= RETRIES) {
        throw new DomainError('conflict', `Incident ${id} was changed by someone else at the same time; read it again`, null);
      }
    }
  }
}

/** The same inside a transaction the caller owns (alert ingest changes incidents in its batch). */
export async function mutateIncidentIn(
  ctx: Context,
  tx: Tx,
  id: string,
  expectedVersion: number | undefined,
  change: (current: IncidentRecord, tx: Tx) => Promise<IncidentRecord>,
): Promise<IncidentRecord> {
  const current = await tx.incidents.getForUpdate(id);
  if (!current) throw notFound('Incident', id);
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw new DomainError('conflict', `Incident ${id} changed since you read it (version ${current.version}, yours ${expectedVersion})`, {
      currentVersion: current.version,
    });
  }
  const next = await change(current, tx);
  if (next === current) return current;
  const written = { ...next, version: current.version + 1, updatedAt: ctx.clock.now() };
  if (!(await tx.incidents.replace(written))) throw new StaleWrite();
  await ctx.events.record(tx, {
    at: written.updatedAt,
    type: 'incident.changed',
    incidentId: id,
    data: { id, version: written.version, status: written.status, severity: written.severity },
  });
  return written;
}
