import { lazy, Suspense, useEffect, useState } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery, useThrottled } from '../api/hooks.ts';
import type { Alert, Incident, IncidentStatus, Page, PageRecord, Run } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { Link, setQuery, useLocation, useTitle } from '../app/router.tsx';
import { useShortcuts } from '../app/shortcuts.tsx';
import { SeverityBadge, StateBadge, StatusBadge, statusName } from '../ui/badges.tsx';
import { Button, Field, Select, TextArea, TextInput } from '../ui/controls.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';
import { ClockList, NextClock } from './clocks.tsx';
import { RolesPanel } from './RolesPanel.tsx';
import { Timeline } from './Timeline.tsx';
import { UpdateComposer } from './UpdateComposer.tsx';
import { TasksPanel } from './TasksPanel.tsx';
import { ServiceCheckboxes, SeverityOptions } from '../ui/options.tsx';

// The runbook panel carries the most code of the room; it arrives just after the room itself.
const RunbookPanel = lazy(() => import('../runbooks/RunbookPanel.tsx'));

const OPEN = new Set<IncidentStatus>(['investigating', 'identified', 'mitigating', 'monitoring']);

export function IncidentRoom({ id }: { id: string }) {
  const { api, can, toast, personName, serviceName } = useApp();
  const incident = useQuery(() => api.get<Incident>(`/incidents/${seg(id)}`), [id]);
  const alerts = useQuery(() => api.get<Page<Alert>>('/alerts', { incident: id, limit: 100 }), [id]);
  const pages = useQuery(() => api.get<{ items: PageRecord[] }>(`/incidents/${seg(id)}/pages`), [id]);
  const runs = useQuery(() => api.get<Page<Run>>('/runs', { incident: id, limit: 20 }), [id]);
  const tab = useLocation().query.get('tab') === 'runbooks' ? 'runbooks' : 'timeline';
  const [editing, setEditing] = useState(false);
  const [resolving, setResolving] = useState(false);

  const refresh = useThrottled(() => {
    void incident.reload();
    void pages.reload();
  }, 300);
  const refreshAlerts = useThrottled(() => void alerts.reload(), 1000);
  const refreshRuns = useThrottled(() => void runs.reload(), 500);
  useLive((event) => {
    if (event.incidentId !== id) return;
    if (event.type === 'run.created' || event.type === 'run.step' || event.type === 'run.state') refreshRuns();
    if (event.type === 'alert.fired' || event.type === 'alert.resolved') refreshAlerts();
    // Clocks move with updates, acknowledgements and paging, each of which is a timeline entry too.
    else if (event.type === 'incident.changed' || event.type === 'sla.breached' || event.type === 'timeline.appended') refresh();
  });

  const act = useAction(async (what: string, work: () => Promise<Incident | unknown>) => {
    const answer = await work();
    if (answer && typeof answer === 'object' && 'id' in answer && 'version' in answer) incident.setData(() => answer as Incident);
    else void incident.reload();
    toast(what);
  });

  const current = incident.data;
  const loaded = current !== undefined;
  useTitle(current ? `${current.severity} ${current.title}` : 'Incident');
  // User Timing marks: how long a responder waits for the room (bench:ui reads them).
  useEffect(() => {
    if (loaded) performance.mark('firebreak:room-rendered');
  }, [loaded]);
  const acknowledge = () =>
    current && current.acknowledgedAt === null && OPEN.has(current.status) && can('incidents.write') && void act.run('Acknowledged', () => api.post<Incident>(`/incidents/${seg(id)}/ack`, {}));
  useShortcuts({ acknowledge });

  if (incident.error && !current) {
    return (
      <section className="page">
        <ErrorNotice error={incident.error} />
        <Link to="/incidents">Back to incidents</Link>
      </section>
    );
  }
  if (!current) return <RoomSkeleton />;

  const writable = can('incidents.write');
  const open = OPEN.has(current.status);
  const awaiting = (runs.data?.items ?? []).reduce((n, run) => n + run.steps.filter((step) => step.state === 'awaiting-approval').length, 0);
  const transitions = current.allowedTransitions.filter((status) => status !== 'resolved');
  const setStatus = (status: IncidentStatus) => act.run(`Status: ${statusName(status)}`, () => api.patch<Incident>(`/incidents/${seg(id)}`, { status, version: current.version }));

  return (
    <section className="page room" aria-labelledby="room-title">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/incidents">Incidents</Link> <span aria-hidden="true">›</span> <span>{current.id.slice(-8)}</span>
      </nav>
      <header className="room-header">
        <div className="room-title-line">
          <SeverityBadge severity={current.severity} />
          <h1 id="room-title">{current.title}</h1>
          <StatusBadge status={current.status} />
        </div>
        <p className="room-meta">
          Declared <Time at={current.declaredAt} relative /> by {personName(current.declaredBy)}
          {current.services.length > 0 && <> · {current.services.map(serviceName).join(', ')}</>}
          {open && (
            <>
              {' '}
              · <NextClock clocks={current.clocks} />
            </>
          )}
          {current.acknowledgedAt ? (
            <>
              {' '}
              · acknowledged <Time at={current.acknowledgedAt} relative /> by {personName(current.acknowledgedBy)}
            </>
          ) : (
            open && <span className="badge state state-unacknowledged">not acknowledged</span>
          )}
        </p>
        {current.summary && <p className="room-summary">{current.summary}</p>}
        {writable ? (
          <div className="actions" role="toolbar" aria-label="Incident actions">
            {open && current.acknowledgedAt === null && (
              <Button variant="primary" onClick={acknowledge} busy={act.busy} title="Acknowledge (a)">
                Acknowledge
              </Button>
            )}
            {transitions.length > 0 && (
              <label className="inline-field">
                <span>Move to</span>
                <Select value="" onChange={(e) => e.target.value && void setStatus(e.target.value as IncidentStatus)} aria-label="Change status">
                  <option value="">Status…</option>
                  {transitions.map((status) => (
                    <option key={status} value={status}>
                      {statusName(status)}
                    </option>
                  ))}
                </Select>
              </label>
            )}
            {open && (
              <Button onClick={() => void act.run('Escalated to the next level', () => api.post(`/incidents/${seg(id)}/escalate`, {}))} busy={act.busy}>
                Escalate
              </Button>
            )}
            {current.allowedTransitions.includes('resolved') && (
              <Button variant="danger" onClick={() => setResolving(true)}>
                Resolve
              </Button>
            )}
            <Button variant="ghost" onClick={() => setEditing(true)}>
              Edit
            </Button>
            {!open && <PostmortemLink id={current.id} />}
          </div>
        ) : (
          // Viewers act on nothing, but they read the post-mortem.
          !open && (
            <div className="actions">
              <PostmortemLink id={current.id} />
            </div>
          )
        )}
        <ErrorNotice error={act.error} onDismiss={act.clearError} />
      </header>

      <div className="room-grid">
        <div className="room-main">
          {writable && open && <UpdateComposer incident={current} onPosted={(next) => incident.setData(() => next)} />}
          <div role="tablist" aria-label="Incident views" className="tabs">
            <button type="button" role="tab" id="tab-timeline" aria-controls="panel-timeline" aria-selected={tab === 'timeline'} className="tab" onClick={() => setQuery({ tab: null })}>
              Timeline
            </button>
            <button type="button" role="tab" id="tab-runbooks" aria-controls="panel-runbooks" aria-selected={tab === 'runbooks'} className="tab" onClick={() => setQuery({ tab: 'runbooks' })}>
              Runbooks
              {awaiting > 0 && <span className="badge state state-awaiting-approval">{awaiting} awaiting approval</span>}
            </button>
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {tab === 'timeline' ? (
              <Timeline incidentId={id} writable={writable} />
            ) : (
              <Suspense fallback={<Skeleton rows={4} />}>
                <RunbookPanel incident={current} runs={runs.data?.items ?? null} runsError={runs.error} reloadRuns={() => void runs.reload()} />
              </Suspense>
            )}
          </div>
        </div>
        <aside className="room-side" aria-label="Incident details">
          <section className="panel" aria-labelledby="clocks-title">
            <h2 id="clocks-title">SLA clocks</h2>
            <ClockList clocks={current.clocks} />
          </section>
          <RolesPanel incident={current} onChanged={(next) => incident.setData(() => next)} />
          <section className="panel" aria-labelledby="alerts-title">
            <h2 id="alerts-title">Alerts {alerts.data && <span className="count">{alerts.data.items.length}</span>}</h2>
            {alerts.loading && !alerts.data ? (
              <Skeleton rows={1} height={3} />
            ) : alerts.data?.items.length === 0 ? (
              <Empty>No alerts: declared by hand.</Empty>
            ) : (
              <ul className="list">
                {alerts.data?.items.map((alert) => (
                  <li key={alert.id}>
                    <div className="list-line">
                      <StateBadge state={alert.status} />
                      <Link to={`/alerts?alert=${alert.id}`}>{alert.name}</Link>
                      {alert.count > 1 && <span className="muted">×{alert.count}</span>}
                    </div>
                    {alert.summary && <div className="muted small">{alert.summary}</div>}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="paged-title">
            <h2 id="paged-title">Paged</h2>
            {pages.loading && !pages.data ? (
              <Skeleton rows={1} height={3} />
            ) : pages.data?.items.length === 0 ? (
              <Empty>Nobody paged.</Empty>
            ) : (
              <ul className="list">
                {pages.data?.items.map((page) => (
                  <li key={page.id} className="list-line">
                    <span>{personName(page.userId)}</span>
                    <span className="muted small">
                      level {page.level + 1} · <Time at={page.createdAt} relative />
                    </span>
                    <StateBadge state={page.state} />
                  </li>
                ))}
              </ul>
            )}
          </section>
          {!open && <TasksPanel incidentId={id} />}
        </aside>
      </div>
      {editing && <EditDialog incident={current} onClose={() => setEditing(false)} onSaved={(next) => incident.setData(() => next)} />}
      <ResolveDialog open={resolving} incident={current} onClose={() => setResolving(false)} onResolved={(next) => incident.setData(() => next)} />
    </section>
  );
}

const PostmortemLink = ({ id }: { id: string }) => (
  <Link to={`/incidents/${id}/postmortem`} className="btn btn-default">
    Post-mortem
  </Link>
);

function RoomSkeleton() {
  return (
    <section className="page room" aria-busy="true">
      <Skeleton rows={1} height={4} />
      <div className="room-grid">
        <div className="room-main">
          <Skeleton rows={6} />
        </div>
        <aside className="room-side">
          <Skeleton rows={4} />
        </aside>
      </div>
    </section>
  );
}

function EditDialog({ incident, onClose, onSaved }: { incident: Incident; onClose(): void; onSaved(next: Incident): void }) {
  const { api, toast } = useApp();
  const [title, setTitle] = useState(incident.title);
  const [summary, setSummary] = useState(incident.summary);
  const [severity, setSeverity] = useState(incident.severity);
  const [services, setServices] = useState<string[]>([...incident.services]);
  const save = useAction(() => api.patch<Incident>(`/incidents/${seg(incident.id)}`, { title, summary, severity, services, version: incident.version }));
  return (
    <Dialog
      open
      title="Edit incident"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            busy={save.busy}
            onClick={async () => {
              const next = await save.run();
              if (!next) return;
              onSaved(next);
              toast('Saved');
              onClose();
            }}
          >
            Save
          </Button>
        </>
      }
    >
      <div className="form">
        <ErrorNotice error={save.error} />
        {save.error?.status === 409 && <p className="notice">Someone changed the incident since you opened this. Close and open it again to see their change.</p>}
        <Field label="Title">{(props) => <TextInput {...props} value={title} onChange={(e) => setTitle(e.target.value)} />}</Field>
        <Field label="Severity" hint="Changing it recomputes the open SLA clocks from their start.">
          {(props) => (
            <Select {...props} value={severity} onChange={(e) => setSeverity(e.target.value)}>
              <SeverityOptions />
            </Select>
          )}
        </Field>
        <Field label="Summary">{(props) => <TextArea {...props} rows={4} value={summary} onChange={(e) => setSummary(e.target.value)} />}</Field>
        <ServiceCheckboxes legend="Affected services" selected={services} onChange={setServices} />
      </div>
    </Dialog>
  );
}

function ResolveDialog({ open, incident, onClose, onResolved }: { open: boolean; incident: Incident; onClose(): void; onResolved(next: Incident): void }) {
  const { api, toast } = useApp();
  const [note, setNote] = useState('');
  const resolve = useAction(async () => {
    if (note.trim()) await api.post(`/incidents/${seg(incident.id)}/notes`, { text: note.trim() });
    return api.patch<Incident>(`/incidents/${seg(incident.id)}`, { status: 'resolved', version: incident.version });
  });
  return (
    <Dialog
      open={open}
      title="Resolve the incident"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="danger"
            busy={resolve.busy}
            onClick={async () => {
              const next = await resolve.run();
              if (!next) return;
              onResolved(next);
              toast('Resolved; paging stopped and the post-incident checklist started');
              setNote('');
              onClose();
            }}
          >
            Resolve
          </Button>
        </>
      }
    >
      <div className="form">
        <p>Resolving stops all paging, cancels the open SLA clocks and starts the post-incident checklist.</p>
        <ErrorNotice error={resolve.error} />
        <Field label="Resolution note" hint="Optional: added to the timeline first">
          {(props) => <TextArea {...props} rows={3} value={note} onChange={(e) => setNote(e.target.value)} placeholder="What fixed it" />}
        </Field>
      </div>
    </Dialog>
  );
}
