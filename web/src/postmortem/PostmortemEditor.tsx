import { useEffect, useState } from 'react';
import { ApiError, seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { ActionItem, Incident, Postmortem } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { Link, useTitle } from '../app/router.tsx';
import { SeverityBadge, StateBadge } from '../ui/badges.tsx';
import { Button, Field, Select, TextArea, TextInput } from '../ui/controls.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';
import { Markdown } from './Markdown.tsx';
import { PersonOptions } from '../ui/options.tsx';

interface Loaded {
  postmortem: Postmortem | null;
  /** What the editor starts from: the saved text, or a fresh draft from the record. */
  markdown: string;
}

/**
 * The post-mortem: Markdown beside its preview, saved as numbered versions. A save
 * names the version it started from, so two people editing at once never
 * overwrite each other: the second save is refused and keeps its text.
 */
export default function PostmortemEditor({ incidentId }: { incidentId: string }) {
  const { api, can, toast, personName } = useApp();
  const incident = useQuery(() => api.get<Incident>(`/incidents/${seg(incidentId)}`), [incidentId]);
  const loaded = useQuery<Loaded>(async () => {
    try {
      const postmortem = await api.get<Postmortem>(`/incidents/${seg(incidentId)}/postmortem`);
      return { postmortem, markdown: postmortem.markdown };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      return { postmortem: null, markdown: await api.text(`/incidents/${seg(incidentId)}/postmortem/draft`) };
    }
  }, [incidentId]);
  useTitle(incident.data ? `Post-mortem: ${incident.data.title}` : 'Post-mortem');
  const [text, setText] = useState<string | null>(null);
  const [view, setView] = useState<'write' | 'preview'>('write');
  const [viewing, setViewing] = useState<Postmortem | null>(null);
  useEffect(() => {
    if (loaded.data && text === null) setText(loaded.data.markdown);
  }, [loaded.data, text]);

  const base = loaded.data?.postmortem ?? null;
  const save = useAction(async () => {
    const saved = await api.put<Postmortem>(`/incidents/${seg(incidentId)}/postmortem`, { markdown: text ?? '', version: base?.version ?? 0 });
    loaded.setData(() => ({ postmortem: saved, markdown: saved.markdown }));
    toast(`Saved as version ${saved.version}`);
  });
  const showVersion = useAction(async (version: number) => setViewing(await api.get<Postmortem>(`/incidents/${seg(incidentId)}/postmortem`, { version })));

  const dirty = text !== null && loaded.data !== undefined && text !== loaded.data.markdown;
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  const writable = can('incidents.write');
  return (
    <section className="page" aria-labelledby="pm-title">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/incidents">Incidents</Link> <span aria-hidden="true">›</span> <Link to={`/incidents/${incidentId}`}>{incident.data?.title ?? incidentId}</Link>{' '}
        <span aria-hidden="true">›</span> <span>Post-mortem</span>
      </nav>
      <div className="page-header">
        <h1 id="pm-title">
          {incident.data && <SeverityBadge severity={incident.data.severity} />} Post-mortem
        </h1>
        <div className="actions">
          <span className="muted small" aria-live="polite">
            {base ? (
              <>
                version {base.version} · saved <Time at={base.updatedAt} relative /> by {personName(base.updatedBy)}
              </>
            ) : (
              'a draft from the timeline, not saved yet'
            )}
            {dirty && ' · unsaved changes'}
          </span>
          {base && (
            <a className="btn btn-default" href={`/api/v1/incidents/${seg(incidentId)}/postmortem.md`} download>
              Download .md
            </a>
          )}
          {writable && (
            <Button variant="primary" onClick={() => void save.run()} busy={save.busy} disabled={!dirty && base !== null}>
              Save
            </Button>
          )}
        </div>
      </div>
      <ErrorNotice error={save.error} onDismiss={save.clearError} />
      {save.error?.status === 409 && (
        <div className="notice" role="alert">
          Someone saved a newer version while you edited. Your text is still here: copy what you need, then{' '}
          <Button
            variant="ghost"
            onClick={() => {
              setText(null);
              save.clearError();
              void loaded.reload();
            }}
          >
            load their version
          </Button>
          .
        </div>
      )}
      {text === null ? (
        <Skeleton rows={10} />
      ) : (
        <>
          <div role="tablist" aria-label="Editor view" className="tabs only-narrow">
            <button type="button" role="tab" aria-selected={view === 'write'} className="tab" onClick={() => setView('write')}>
              Write
            </button>
            <button type="button" role="tab" aria-selected={view === 'preview'} className="tab" onClick={() => setView('preview')}>
              Preview
            </button>
          </div>
          <div className={`editor show-${view}`}>
            <div className="editor-source">
              <label htmlFor="pm-source" className="visually-hidden">
                Post-mortem in Markdown
              </label>
              <TextArea id="pm-source" className="input mono" value={text} readOnly={!writable} onChange={(e) => setText(e.target.value)} spellCheck />
            </div>
            {/* Focusable, so a keyboard can scroll a long preview. */}
            <div className="editor-preview panel" role="region" aria-label="Preview" tabIndex={0}>
              <Markdown source={text} />
            </div>
          </div>
        </>
      )}
      <div className="two-columns">
        <ActionItems incidentId={incidentId} />
        <section className="panel" aria-labelledby="versions-title">
          <h2 id="versions-title">Versions</h2>
          {!base || base.versions.length === 0 ? (
            <Empty>No saved versions yet.</Empty>
          ) : (
            <ol className="list" reversed>
              {[...base.versions].reverse().map((v) => (
                <li key={v.version} className="list-line">
                  <span>
                    v{v.version} · <Time at={v.at} relative /> · {personName(v.by)}
                  </span>
                  <Button variant="ghost" onClick={() => void showVersion.run(v.version)}>
                    View
                  </Button>
                </li>
              ))}
            </ol>
          )}
          <ErrorNotice error={showVersion.error} />
          {viewing && (
            <div className="version-view">
              <div className="list-line">
                <strong>Version {viewing.version}</strong>
                {writable && (
                  <Button
                    onClick={() => {
                      setText(viewing.markdown);
                      setViewing(null);
                      toast(`Version ${viewing.version} is in the editor; save to make it the newest`);
                    }}
                  >
                    Restore into the editor
                  </Button>
                )}
                <Button variant="ghost" onClick={() => setViewing(null)}>
                  Close
                </Button>
              </div>
              <Markdown source={viewing.markdown} />
            </div>
          )}
        </section>
      </div>
    </section>
  );
}

function ActionItems({ incidentId }: { incidentId: string }) {
  const { api, can, personName, toast } = useApp();
  const items = useQuery(() => api.get<{ items: ActionItem[] }>(`/incidents/${seg(incidentId)}/action-items`), [incidentId]);
  const [title, setTitle] = useState('');
  const [owner, setOwner] = useState('');
  const [due, setDue] = useState('');
  const [tracker, setTracker] = useState('');
  const create = useAction(async () => {
    await api.post<ActionItem>(`/incidents/${seg(incidentId)}/action-items`, {
      title: title.trim(),
      owner: owner || null,
      dueAt: due ? new Date(`${due}T17:00:00`).toISOString() : null,
      trackerUrl: tracker.trim() || null,
    });
    setTitle('');
    setTracker('');
    toast('Action item added');
    await items.reload();
  });
  const change = useAction(async (item: ActionItem, status: ActionItem['status']) => {
    const next = await api.patch<ActionItem>(`/action-items/${seg(item.id)}`, { status });
    items.setData((current) => current && { items: current.items.map((i) => (i.id === next.id ? next : i)) });
  });
  const writable = can('incidents.write');
  return (
    <section className="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Action items</h2>
      <ErrorNotice error={items.error ?? change.error} />
      {items.data?.items.length === 0 ? (
        <Empty>None yet.</Empty>
      ) : (
        <ul className="list">
          {items.data?.items.map((item) => (
            <li key={item.id}>
              <div className="list-line">
                <strong>{item.title}</strong>
                {item.overdue && <span className="badge state state-breached">overdue</span>}
                {writable ? (
                  <Select aria-label={`Status of ${item.title}`} value={item.status} onChange={(e) => void change.run(item, e.target.value as ActionItem['status'])}>
                    <option value="open">open</option>
                    <option value="done">done</option>
                    <option value="wontfix">won't fix</option>
                  </Select>
                ) : (
                  <StateBadge state={item.status} />
                )}
              </div>
              <div className="muted small">
                {item.owner ? personName(item.owner) : 'no owner'}
                {item.dueAt && (
                  <>
                    {' '}
                    · due <Time at={item.dueAt} />
                  </>
                )}
                {item.trackerUrl && /^https?:\/\//.test(item.trackerUrl) && (
                  <>
                    {' '}
                    ·{' '}
                    <a href={item.trackerUrl} target="_blank" rel="noreferrer noopener">
                      tracker
                    </a>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {writable && (
        <form
          className="form subform"
          onSubmit={(event) => {
            event.preventDefault();
            void create.run();
          }}
        >
          <ErrorNotice error={create.error} />
          <Field label="New action item">{(props) => <TextInput {...props} required value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Alert on DLQ depth above 100" />}</Field>
          <div className="two">
            <Field label="Owner">
              {(props) => (
                <Select {...props} value={owner} onChange={(e) => setOwner(e.target.value)}>
                  <option value="">Nobody yet</option>
                  <PersonOptions />
                </Select>
              )}
            </Field>
            <Field label="Due">{(props) => <TextInput {...props} type="date" value={due} onChange={(e) => setDue(e.target.value)} />}</Field>
          </div>
          <Field label="Tracker link" hint="Optional: the ticket">
            {(props) => <TextInput {...props} type="url" value={tracker} onChange={(e) => setTracker(e.target.value)} placeholder="https://…" />}
          </Field>
          <Button type="submit" busy={create.busy}>
            Add action item
          </Button>
        </form>
      )}
    </section>
  );
}
