import type { IncidentStatus } from '../api/types.ts';
import { useApp } from '../app/context.tsx';

/** Colour by rank in the configured scheme (most severe first), so any scheme reads the same way. */
export function SeverityBadge({ severity }: { severity: string }) {
  const { config } = useApp();
  const index = config.severities.findIndex((level) => level.id.toLowerCase() === severity.toLowerCase());
  const level = config.severities[index];
  const rank = index < 0 ? 'x' : String(Math.min(index, 3));
  return (
    <span className={`badge sev sev-${rank}`} title={level ? `${level.id}: ${level.name}` : severity}>
      {level?.id ?? severity}
    </span>
  );
}

const STATUS_NAMES: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  mitigating: 'Mitigating',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  closed: 'Closed',
};

export const statusName = (status: string) => STATUS_NAMES[status as IncidentStatus] ?? status;

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status status-${status}`}>{statusName(status)}</span>;
}

/** Any other state word (alert, step, run, silence): a neutral badge with a colour for the few that matter. */
export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state state-${state.replace(/[^a-z-]/g, '')}`}>{state.replace(/[-_]/g, ' ')}</span>;
}
