import { useState, type FormEvent } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { TimelineEntry } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { Button, TextArea } from '../ui/controls.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';

const PAGE = 200;
/** The most the timeline route answers at once; it lists oldest first. */
const FETCH = 5000;

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
  const timeline = useQuery(async () => {
    // Oldest first, at most FETCH at a time: read on after the last one until a short page, so the newest are there too.
    const items: TimelineEntry[] = [];
    for (;;) {
      const page = await api.get<{ items: TimelineEntry[] }>(`/incidents/${seg(incidentId)}/timeline`, { limit: FETCH, after: items[items.length - 1]?.id });
      items.push(...page.items);
      if (page.items.length < FETCH) return { items };
    }
  }, [incidentId]);
  const [note, setNote] = useState('');
  const [shown, setShown] = useState(PAGE);
  const add = useAction((text: string) => api.post<TimelineEntry>(`/incidents/${seg(incidentId)}/notes`, { text }));

  const insert = (entry: TimelineEntry) =>
    timeline.setData((current) => {
      const items = current?.items ?? [];
      if (items.some((e) => e.id === entry.id)) return current;
      return { items: [...items, entry].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id)) };
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

  const all = timeline.data?.items ?? [];
  // A long incident has thousands of entries: the newest first, older ones on request.
  const entries = all.slice(Math.max(0, all.length - shown)).reverse();
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
      <ErrorNotice error={add.error ?? timeline.error} />
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
      {all.length > shown && (
        <div className="load-more">
          <Button onClick={() => setShown(shown + PAGE)}>Show {Math.min(PAGE, all.length - shown)} older</Button>
          <span className="muted">
            {shown} of {all.length} shown
          </span>
        </div>
      )}
    </section>
  );
}
