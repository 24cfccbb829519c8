import { seg } from '../api/client.ts';
import { useAction } from '../api/hooks.ts';
import type { Incident } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { Select } from '../ui/controls.tsx';
import { ErrorNotice } from '../ui/feedback.tsx';
import { PersonOptions } from '../ui/options.tsx';

/** The incident's roles (commander, communications lead …) and who holds each. */
export function RolesPanel({ incident, onChanged }: { incident: Incident; onChanged(next: Incident): void }) {
  const { api, config, can, personName, toast } = useApp();
  const change = useAction(async (role: string, assignee: string) => {
    const path = `/incidents/${seg(incident.id)}/roles/${seg(role)}`;
    const next = assignee ? await api.put<Incident>(path, { assignee }) : await api.delete<Incident>(path);
    onChanged(next);
    toast(assignee ? `${config.roles.find((r) => r.id === role)?.name ?? role}: ${personName(assignee)}` : 'Role unassigned');
  });
  if (config.roles.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="roles-title">
      <h2 id="roles-title">Roles</h2>
      <ErrorNotice error={change.error} onDismiss={change.clearError} />
      <dl className="roles">
        {config.roles.map((role) => {
          const holder = incident.roles[role.id] ?? '';
          return (
            <div key={role.id} className="role">
              <dt>
                <label htmlFor={`role-${role.id}`}>{role.name}</label>
              </dt>
              <dd>
                {can('incidents.write') ? (
                  <Select id={`role-${role.id}`} value={holder} disabled={change.busy} onChange={(e) => void change.run(role.id, e.target.value)}>
                    <option value="">Unassigned</option>
                    <PersonOptions />
                    {holder && !config.users.some((u) => u.id === holder) && <option value={holder}>{holder}</option>}
                  </Select>
                ) : (
                  <span id={`role-${role.id}`}>{holder ? personName(holder) : 'Unassigned'}</span>
                )}
              </dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}
