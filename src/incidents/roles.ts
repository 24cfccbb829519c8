import type { Context } from '../core/context.ts';
import type { IncidentRecord } from '../store/index.ts';
import { mutateIncident } from './mutate.ts';
import { appendTimeline } from './timeline.ts';
import { requireRole, requireUser } from './validate.ts';

export async function assignRole(ctx: Context, id: string, roleId: string, assignee: string): Promise<IncidentRecord> {
  const config = ctx.config();
  requireRole(config, roleId);
  requireUser(config, assignee, 'assignee');
  const roleName = config.role(roleId)!.name;
  return mutateIncident(ctx, id, undefined, async (current, tx) => {
    const previous = current.roles[roleId];
    if (previous === assignee) return current;
    const text = previous ? `${assignee} takes over as ${roleName} from ${previous}` : `${assignee} is now ${roleName}`;
    await appendTimeline(ctx, tx, id, 'role.assigned', text, { role: roleId, assignee, previous: previous ?? null });
    return { ...current, roles: { ...current.roles, [roleId]: assignee } };
  });
}

export async function unassignRole(ctx: Context, id: string, roleId: string): Promise<IncidentRecord> {
  const config = ctx.config();
  requireRole(config, roleId);
  return mutateIncident(ctx, id, undefined, async (current, tx) => {
    const previous = current.roles[roleId];
    if (previous === undefined) return current;
    const roles = { ...current.roles };
    delete roles[roleId];
    await appendTimeline(ctx, tx, id, 'role.unassigned', `${previous} is no longer ${config.role(roleId)!.name}`, {
      role: roleId,
      previous,
    });
    return { ...current, roles };
  });
}
