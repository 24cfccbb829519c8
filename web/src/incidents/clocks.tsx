import type { Clock } from '../api/types.ts';
import { formatDuration, formatLocal, formatUtc, useNow } from '../ui/time.tsx';

export const CLOCK_LABELS: Record<string, string> = {
  initialResponse: 'Initial response',
  stakeholderNotification: 'Stakeholder notification',
  investigationStarted: 'Investigation started',
  mitigationStarted: 'Mitigation started',
  updateCadence: 'Next update',
};

const label = (kind: string) => CLOCK_LABELS[kind] ?? kind;

type Tone = 'ok' | 'warn' | 'late' | 'done' | 'off';

function describe(clock: Clock, now: number): { text: string; tone: Tone } {
  const due = new Date(clock.dueAt).getTime();
  if (clock.state === 'met') return { text: clock.metAt && new Date(clock.metAt).getTime() > due ? 'met late' : 'met', tone: 'done' };
  if (clock.state === 'cancelled') return { text: 'not needed', tone: 'off' };
  if (clock.state === 'breached' || due <= now) return { text: `breached ${formatDuration(now - due)} ago`, tone: 'late' };
  const left = due - now;
  return { text: `${formatDuration(left)} left`, tone: left < 5 * 60_000 ? 'warn' : 'ok' };
}

/** The clocks of an incident, counting down each second; red once breached. */
export function ClockList({ clocks }: { clocks: Clock[] }) {
  const now = useNow(1000);
  // A clock restarts (update cadence): show each kind's latest.
  const latest = new Map<string, Clock>();
  for (const clock of clocks) {
    const seen = latest.get(clock.kind);
    if (!seen || clock.seq > seen.seq) latest.set(clock.kind, clock);
  }
  if (latest.size === 0) return <p className="muted">No SLA targets for this severity.</p>;
  return (
    <ul className="clocks">
      {[...latest.values()].map((clock) => {
        const { text, tone } = describe(clock, now);
        return (
          <li key={clock.kind} className={`clock clock-${tone}`} data-clock={clock.kind} data-state={tone}>
            <span className="clock-label">{label(clock.kind)}</span>
            <span className="clock-value" title={`due ${formatLocal(clock.dueAt)} · ${formatUtc(clock.dueAt)}`}>
              {text}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** The most pressing clock, for a row of the list. */
export function NextClock({ clocks }: { clocks: Clock[] }) {
  const now = useNow(15_000);
  const breached = clocks.filter((c) => c.state === 'breached');
  if (breached.length > 0) return <span className="clock-inline clock-late">{label(breached[0]!.kind)} breached</span>;
  const pending = clocks.filter((c) => c.state === 'pending').sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
  if (!pending) return <span className="muted">—</span>;
  const { text, tone } = describe(pending, now);
  return (
    <span className={`clock-inline clock-${tone}`} title={label(pending.kind)}>
      {label(pending.kind)}: {text}
    </span>
  );
}
