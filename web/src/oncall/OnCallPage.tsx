import { useEffect, useMemo, useRef, useState, type PointerEvent } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { EscalationPolicy, Override, ScheduleSummary, Shift } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { setQuery, useLocation, useTitle } from '../app/router.tsx';
import { Button, Field, Select, TextInput } from '../ui/controls.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { formatLocal, formatUtc, Time, toLocalInput } from '../ui/time.tsx';
import { PersonOptions } from '../ui/options.tsx';

const HOUR = 3_600_000;
/** "On call now" is read again this often, so a page left open does not show the last shift. */
const NOW_REFRESH_MS = 60_000;
const SNAP = HOUR / 2;
const PALETTE = 8;

/** The same person has the same colour in every row and on every visit. */
function colourOf(userId: string | null): number {
  if (userId === null) return -1;
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return Math.abs(hash) % PALETTE;
}

/** Local midnights from today on: a day is 23 or 25 hours long when the clocks change. */
function localDays(count: number): Array<{ start: number; end: number }> {
  const today = new Date();
  return Array.from({ length: count }, (_, i) => ({
    start: new Date(today.getFullYear(), today.getMonth(), today.getDate() + i).getTime(),
    end: new Date(today.getFullYear(), today.getMonth(), today.getDate() + i + 1).getTime(),
  }));
}

export default function OnCallPage() {
  const { api } = useApp();
  const schedules = useQuery(() => api.get<{ items: ScheduleSummary[] }>('/schedules'), []);
  const policies = useQuery(() => api.get<{ items: EscalationPolicy[] }>('/escalation-policies'), []);
  const { query } = useLocation();
  useTitle('On call');
  const chosen = query.get('schedule') ?? schedules.data?.items[0]?.id ?? null;
  const reloadSchedules = schedules.reload;
  useEffect(() => {
    const timer = setInterval(() => void reloadSchedules(), NOW_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadSchedules]);

  return (
    <section className="page" aria-labelledby="oncall-title">
      <div className="page-header">
        <h1 id="oncall-title">On call</h1>
      </div>
      <ErrorNotice error={schedules.error} />
      {schedules.loading && !schedules.data ? (
        <Skeleton rows={3} />
      ) : schedules.data?.items.length === 0 ? (
        <Empty>No schedules in the configuration.</Empty>
      ) : (
        <>
          <NowOnCall schedules={schedules.data?.items ?? []} chosen={chosen} />
          {chosen && (
            // An override can change who is on call now: the cards are read again after one.
            <ScheduleCalendar key={chosen} scheduleId={chosen} schedule={schedules.data?.items.find((s) => s.id === chosen)} onChanged={() => void reloadSchedules()} />
          )}
        </>
      )}
      <Policies policies={policies.data?.items ?? []} />
    </section>
  );
}

function NowOnCall({ schedules, chosen }: { schedules: ScheduleSummary[]; chosen: string | null }) {
  const { personName } = useApp();
  return (
    <ul className="cards plain" aria-label="On call now">
      {schedules.map((schedule) => (
        <li key={schedule.id}>
          <button
            type="button"
            className={`card oncall-card${schedule.id === chosen ? ' card-selected' : ''}`}
            aria-pressed={schedule.id === chosen}
            onClick={() => setQuery({ schedule: schedule.id })}
          >
            <span className="muted small">{schedule.name}</span>
            <strong className={`person person-${colourOf(schedule.onCall)}`}>{schedule.onCall ? personName(schedule.onCall) : 'Nobody'}</strong>
            <span className="muted small">on call now · {schedule.timezone}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function ScheduleCalendar({ scheduleId, schedule, onChanged }: { scheduleId: string; schedule: ScheduleSummary | undefined; onChanged(): void }) {
  const { api, can, personName, toast } = useApp();
  const [days, setDays] = useState(7);
  const rows = useMemo(() => localDays(days), [days]);
  const from = rows[0]!.start;
  const to = rows[rows.length - 1]!.end;
  const shifts = useQuery(() => api.get<{ items: Shift[] }>(`/schedules/${seg(scheduleId)}/shifts`, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }), [scheduleId, days]);
  const overrides = useQuery(() => api.get<{ items: Override[] }>(`/schedules/${seg(scheduleId)}/overrides`), [scheduleId]);
  const [picking, setPicking] = useState<{ day: number; a: number; b: number } | null>(null);
  const [creating, setCreating] = useState<{ start: number; end: number } | null>(null);
  const remove = useAction(async (override: Override) => {
    await api.delete(`/schedules/${seg(scheduleId)}/overrides/${seg(override.id)}`);
    toast('Override removed');
    onChanged();
    await Promise.all([overrides.reload(), shifts.reload()]);
  });

  const writable = can('incidents.write');
  const fraction = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  };
  const snap = (day: { start: number; end: number }, f: number) => day.start + Math.round((f * (day.end - day.start)) / SNAP) * SNAP;
  const bar = useRef<HTMLDivElement | null>(null);

  return (
    <section className="panel" aria-labelledby="calendar-title">
      <div className="panel-header">
        <h2 id="calendar-title">{schedule?.name ?? scheduleId}: shifts</h2>
        <div className="actions">
          <Select aria-label="Days shown" value={String(days)} onChange={(e) => setDays(Number(e.target.value))}>
            <option value="7">7 days</option>
            <option value="14">14 days</option>
            <option value="28">28 days</option>
          </Select>
          {writable && (
            <Button onClick={() => setCreating({ start: Math.ceil(Date.now() / SNAP) * SNAP, end: Math.ceil(Date.now() / SNAP) * SNAP + 8 * HOUR })}>
              Add override
            </Button>
          )}
        </div>
      </div>
      {writable && <p className="muted small">Drag across a day to cover that time with an override.</p>}
      <ErrorNotice error={shifts.error ?? remove.error} />
      <div className="calendar" ref={bar}>
        <div className="calendar-hours" aria-hidden="true">
          {[0, 6, 12, 18].map((h) => (
            <span key={h} style={{ left: `${(h / 24) * 100}%` }}>
              {String(h).padStart(2, '0')}:00
            </span>
          ))}
        </div>
        {rows.map((day) => {
          const length = day.end - day.start;
          const at = (ms: number) => `${((ms - day.start) / length) * 100}%`;
          const inDay = (shifts.data?.items ?? []).filter((s) => new Date(s.end).getTime() > day.start && new Date(s.start).getTime() < day.end);
          const label = new Date(day.start).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
          const selection = picking && picking.day === day.start ? [Math.min(picking.a, picking.b), Math.max(picking.a, picking.b)] : null;
          return (
            <div key={day.start} className="calendar-row">
              <div className="calendar-day">{label}</div>
              <div
                className={`calendar-track${writable ? ' pickable' : ''}`}
                role="group"
                aria-label={`Shifts on ${label}`}
                onPointerDown={(event) => {
                  if (!writable || event.button !== 0) return;
                  event.currentTarget.setPointerCapture(event.pointerId);
                  const moment = snap(day, fraction(event));
                  setPicking({ day: day.start, a: moment, b: moment });
                }}
                onPointerMove={(event) => {
                  if (!picking || picking.day !== day.start) return;
                  setPicking({ ...picking, b: snap(day, fraction(event)) });
                }}
                onPointerUp={() => {
                  if (!picking) return;
                  const start = Math.min(picking.a, picking.b);
                  const end = Math.max(picking.a, picking.b);
                  setPicking(null);
                  if (end - start >= SNAP) setCreating({ start, end });
                }}
              >
                {inDay.map((shift) => {
                  const start = Math.max(day.start, new Date(shift.start).getTime());
                  const end = Math.min(day.end, new Date(shift.end).getTime());
                  const isOverride = shift.source?.kind === 'override';
                  return (
                    <div
                      key={`${shift.start}${shift.userId}`}
                      className={`shift person-${colourOf(shift.userId)}${isOverride ? ' shift-override' : ''}`}
                      style={{ left: at(start), width: `${((end - start) / length) * 100}%` }}
                      title={`${personName(shift.userId ?? 'nobody')}: ${formatLocal(shift.start)} – ${formatLocal(shift.end)} · ${formatUtc(shift.start)} – ${formatUtc(shift.end)}${isOverride ? ' (override)' : ''}`}
                    >
                      <span>{shift.userId ? personName(shift.userId) : 'nobody'}</span>
                    </div>
                  );
                })}
                {selection && <div className="shift-picking" style={{ left: at(selection[0]!), width: `${((selection[1]! - selection[0]!) / length) * 100}%` }} />}
              </div>
            </div>
          );
        })}
        {shifts.loading && !shifts.data && <Skeleton rows={days} height={2} />}
      </div>
      <h3>Overrides</h3>
      {overrides.data?.items.length === 0 ? (
        <Empty>No overrides.</Empty>
      ) : (
        <ul className="list">
          {overrides.data?.items.map((override) => (
            <li key={override.id} className="list-line">
              <span>
                <strong>{personName(override.userId)}</strong>
                {override.replaces && <> instead of {personName(override.replaces)}</>}
              </span>
              <span className="muted small">
                <Time at={override.start} /> – <Time at={override.end} />
              </span>
              {writable && (
                <Button variant="ghost" onClick={() => void remove.run(override)} busy={remove.busy}>
                  Remove
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {creating && (
        <OverrideDialog
          scheduleId={scheduleId}
          range={creating}
          onClose={() => setCreating(null)}
          onCreated={() => {
            setCreating(null);
            onChanged();
            void overrides.reload();
            void shifts.reload();
          }}
        />
      )}
    </section>
  );
}

function OverrideDialog({ scheduleId, range, onClose, onCreated }: { scheduleId: string; range: { start: number; end: number }; onClose(): void; onCreated(): void }) {
  const { api, config, me, toast } = useApp();
  const [user, setUser] = useState(config.users.some((u) => u.id === me.account?.username) ? me.account!.username : (config.users[0]?.id ?? ''));
  const [replaces, setReplaces] = useState('');
  const [start, setStart] = useState(toLocalInput(range.start));
  const [end, setEnd] = useState(toLocalInput(range.end));
  const create = useAction(() =>
    api.post<Override>(`/schedules/${seg(scheduleId)}/overrides`, {
      user,
      ...(replaces && { replaces }),
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    }),
  );
  return (
    <Dialog
      open
      title="Cover the schedule"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            busy={create.busy}
            onClick={async () => {
              if (await create.run()) {
                toast('Override added');
                onCreated();
              }
            }}
          >
            Add override
          </Button>
        </>
      }
    >
      <div className="form">
        <ErrorNotice error={create.error} />
        <Field label="Who covers">
          {(props) => (
            <Select {...props} value={user} onChange={(e) => setUser(e.target.value)}>
              <PersonOptions />
            </Select>
          )}
        </Field>
        <Field label="Instead of" hint="Optional: only this person's shifts are covered">
          {(props) => (
            <Select {...props} value={replaces} onChange={(e) => setReplaces(e.target.value)}>
              <option value="">Whoever is on call</option>
              <PersonOptions />
            </Select>
          )}
        </Field>
        <div className="two">
          <Field label="From (your time)">{(props) => <TextInput {...props} type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />}</Field>
          <Field label="Until (your time)">{(props) => <TextInput {...props} type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />}</Field>
        </div>
      </div>
    </Dialog>
  );
}

function Policies({ policies }: { policies: EscalationPolicy[] }) {
  const { personName } = useApp();
  if (policies.length === 0) return null;
  const target = (t: EscalationPolicy['levels'][number]['targets'][number]) =>
    t.user ? personName(t.user) : t.team ? `team ${t.team}` : t.schedule ? (t.next ? `whoever is on call next in ${t.schedule}` : `on call in ${t.schedule}`) : '?';
  return (
    <section className="panel" aria-labelledby="policies-title">
      <h2 id="policies-title">Escalation policies</h2>
      <div className="cards">
        {policies.map((policy) => (
          <article key={policy.id} className="card">
            <h3>{policy.name}</h3>
            <ol className="levels">
              {policy.levels.map((level, index) => (
                <li key={index}>
                  <span>{level.targets.map(target).join(', ')}</span>
                  <span className="muted small"> · {level.timeout} to acknowledge</span>
                </li>
              ))}
            </ol>
            <p className="muted small">
              {policy.repeat ? `Repeats ${policy.repeat}×. ` : ''}
              {policy.ackTimeout ? `An acknowledgement lapses after ${policy.ackTimeout}.` : ''}
            </p>
          </article>
        ))}
      </div>
    </section>
  );
}
