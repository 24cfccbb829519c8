import { useState, type FormEvent } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { TimelineEntry } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { Button, TextArea } from '../ui/controls.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';

const PAGE = 200;

/** Entry kinds as a responder would name them, and the colour of their marker. */
const KINDS: Record<string, { label: string; tone: string }> = {
  declared: { label: 'Declared', tone: 'red' },
  note: { label: 'Note', tone: 'plain' },
  update: { label: 'Update', tone: 'blue' },
  acknowledged: { label: 'Acknowledged', tone: 'green' },
  status: { label: 'Status', tone: 'violet' },
  severity: { label: 'Severity', tone: 'red' },
  paged: { label: 'Paged', tone: 'amber' },
  'sla.breached': { label: 'SLA breached', tone: 'red' },
  'sla.met': { label: 'SLA met', tone: 'green' },
  'alert.attached': { label: 'Alert', tone: 'amber' },
  'alert.resolved': { label: 'Alert resolved', tone: 'green' },
  'alerts.resolved': { label: 'Alerts resolved', tone: 'green' },
  delivery: { label: 'Delivery', tone: 'plain' },
};

const kindOf = (kind: string) => KINDS[kind] ?? { label: kind.replace(/[._-]/g, ' '), tone: kind.startsWith('run.') || kind.startsWith('step') ? 'violet' : 'plain' };

/** Live events carry the stored entry, whose time is in milliseconds; the API's list speaks ISO. */
function fromEvent(entry: Record<string, unknown>): TimelineEntry | null {
  if (typeof entry.id !== 'string' || typeof entry.text !== 'string') return null;
  const at = typeof entry.at === 'number' ? new Date(entry.at).toISOString() : String(entry.at);
  return { id: entry.id, at, actor: String(entry.actor ?? ''), kind: String(entry.kind ?? ''), text: entry.text, data: (entry.data as Record<string, unknown>) ?? {} };
}

/** Newest first; entries arriving live are inserted in place (the browser keeps the reader's scroll position). */
export function Timeline({ incidentId, writable }: { incidentId: string; writable: boolean }) {
  const { api, personName } = useApp();
  // Newest first, as shown: the newest PAGE entries, then older ones a page at a time (an alert storm can leave tens of thousands).
  const page = (before?: string) => api.get<{ items: TimelineEntry[] }>(`/incidents/${seg(incidentId)}/timeline`, { order: 'newest', limit: PAGE, before });
  const timeline = useQuery(async () => {
    const { items } = await page();
    return { items, older: items.length === PAGE };
  }, [incidentId]);
  const older = useAction(async () => {
    const oldest = timeline.data?.items.at(-1);
    if (!oldest) return;
    const { items } = await page(oldest.id);
    timeline.setData((current) => current && { items: [...current.items, ...items], older: items.length === PAGE });
  });
  const [note, setNote] = useState('');
  const add = useAction((text: string) => api.post<TimelineEntry>(`/incidents/${seg(incidentId)}/notes`, { text }));

  const insert = (entry: TimelineEntry) =>
    timeline.setData((current) => {
      const items = current?.items ?? [];
      if (items.some((e) => e.id === entry.id)) return current;
      return { items: [entry, ...items].sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id)), older: current?.older ?? false };
    });

  useLive((event) => {
    if (event.type !== 'timeline.appended' || event.incidentId !== incidentId) return;
    const entry = fromEvent((event.data.entry as Record<string, unknown>) ?? {});
    if (entry) insert(entry);
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const text = note.trim();
    if (!text) return;
    const entry = await add.run(text);
    if (entry) {
      insert(entry);
      setNote('');
    }
  };

  const entries = timeline.data?.items ?? [];
  return (
    <section className="panel timeline-panel" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {writable && (
        <form className="note-form" onSubmit={submit}>
          <label htmlFor="note" className="visually-hidden">
            Add a note to the timeline
          </label>
          <TextArea
            id="note"
            rows={2}
            placeholder="Add a note: what you saw, what you tried"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit(e);
            }}
          />
          <Button type="submit" busy={add.busy} disabled={note.trim() === ''}>
            Add note
          </Button>
        </form>
      )}
      <ErrorNotice error={add.error ?? timeline.error ?? older.error} />
      {timeline.loading && !timeline.data ? (
        <Skeleton rows={5} />
      ) : entries.length === 0 ? (
        <Empty>Nothing on the timeline yet.</Empty>
      ) : (
        <ol className="timeline" aria-label="Timeline entries, newest first">
          {entries.map((entry) => {
            const kind = kindOf(entry.kind);
            return (
              <li key={entry.id} className={`entry entry-${kind.tone}`} data-kind={entry.kind}>
                <div className="entry-head">
                  <span className="entry-kind">{kind.label}</span>
                  {entry.kind === 'update' && entry.data.public === true && <span className="badge state state-public">public</span>}
                  <span className="entry-actor">{personName(entry.actor)}</span>
                  <span className="entry-time">
                    <Time at={entry.at} clock />
                  </span>
                </div>
                <div className="entry-text">{entry.text}</div>
              </li>
            );
          })}
        </ol>
      )}
      {timeline.data?.older && (
        <div className="load-more">
          <Button onClick={() => void older.run()} busy={older.busy}>
            Show {PAGE} older
          </Button>
          <span className="muted">{entries.length} newest shown</span>
        </div>
      )}
    </section>
  );
}
