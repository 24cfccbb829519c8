import { useEffect, useMemo, useState } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery, useThrottled } from '../api/hooks.ts';
import type { Alert, Page, Silence } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { Link, setQuery, useLocation, useTitle } from '../app/router.tsx';
import { StateBadge } from '../ui/badges.tsx';
import { Button, Chips, Select } from '../ui/controls.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';
import { SilenceDialog } from './SilenceDialog.tsx';
import { ServiceOptions } from '../ui/options.tsx';

const STATUSES = ['firing', 'acknowledged', 'resolved'] as const;
/** The most the API lists at once. */
const PAGE_SIZE = 500;
type Grouping = 'none' | 'incident' | 'name' | 'service';
const GROUPINGS: Record<Grouping, string> = { none: 'No grouping', incident: 'By incident', name: 'By alert name', service: 'By service' };

export default function AlertsPage() {
  const { path } = useLocation();
  const silences = path === '/silences';
  useTitle(silences ? 'Silences' : 'Alerts');
  return (
    <section className="page" aria-labelledby="alerts-title">
      <div className="page-header">
        <h1 id="alerts-title">{silences ? 'Silences' : 'Alerts'}</h1>
        <nav className="tabs" aria-label="Alerts and silences">
          <Link to="/alerts" className="tab" aria-current={!silences ? 'page' : undefined}>
            Alerts
          </Link>
          <Link to="/silences" className="tab" aria-current={silences ? 'page' : undefined}>
            Silences
          </Link>
        </nav>
      </div>
      {silences ? <Silences /> : <Alerts />}
    </section>
  );
}

function Alerts() {
  const { api, can, serviceName } = useApp();
  const { query } = useLocation();
  const statuses = query.has('status') ? query.getAll('status').filter((s) => (STATUSES as readonly string[]).includes(s)) : ['firing', 'acknowledged'];
  const service = query.get('service') ?? '';
  const grouping = (query.get('group') as Grouping) ?? 'incident';
  const label = query.get('label') ?? '';
  const selected = query.get('alert');
  const [silencing, setSilencing] = useState<Alert | null>(null);
  const [labelText, setLabelText] = useState(label);
  useEffect(() => setLabelText(label), [label]);

  const key = JSON.stringify([statuses, service, label]);
  const load = (cursor?: string) => api.get<Page<Alert>>('/alerts', { status: statuses, service: service || undefined, label: label ? [label] : undefined, limit: PAGE_SIZE, cursor });
  const alerts = useQuery(() => load(), [key]);
  const [more, setMore] = useState<Page<Alert> | null>(null);
  useEffect(() => setMore(null), [key]);
  const loadMore = useAction(async (cursor: string) => {
    const page = await load(cursor);
    setMore((current) => ({ items: [...(current?.items ?? []), ...page.items], nextCursor: page.nextCursor }));
  });
  const refresh = useThrottled(() => void alerts.reload(), 1500);
  useLive((event) => {
    if (event.type === 'alert.fired' || event.type === 'alert.resolved') refresh();
  });

  // Most recently seen first: a live reload of the first page can take in alerts the later pages hold, shown once.
  const items = useMemo(() => {
    const first = alerts.data?.items ?? [];
    const seen = new Set(first.map((alert) => alert.id));
    return [...first, ...(more?.items ?? []).filter((alert) => !seen.has(alert.id))];
  }, [alerts.data, more]);
  const cursor = more ? more.nextCursor : (alerts.data?.nextCursor ?? null);

  const groups = useMemo(() => {
    if (grouping === 'none') return [{ key: 'all', title: '', items }];
    const byKey = new Map<string, Alert[]>();
    for (const alert of items) {
      const groupKey = grouping === 'incident' ? (alert.incidentId ?? '') : grouping === 'name' ? alert.name : (alert.service ?? '');
      byKey.set(groupKey, [...(byKey.get(groupKey) ?? []), alert]);
    }
    return [...byKey].map(([groupKey, members]) => ({
      key: groupKey,
      title: grouping === 'incident' ? (groupKey ? `Incident ${groupKey.slice(-8)}` : 'No incident (silenced, inhibited, dropped or in maintenance)') : grouping === 'service' ? (groupKey ? serviceName(groupKey) : 'No service') : groupKey,
      items: members,
    }));
  }, [items, grouping, serviceName]);

  return (
    <>
      <div className="filters">
        <Chips label="Status" options={STATUSES} selected={statuses as (typeof STATUSES)[number][]} onChange={(next) => setQuery({ status: next.length === 0 ? ['all'] : next })} />
        <label className="inline-field">
          <span>Service</span>
          <Select value={service} onChange={(e) => setQuery({ service: e.target.value || null })}>
            <option value="">All services</option>
            <ServiceOptions />
          </Select>
        </label>
        <label className="inline-field">
          <span>Group</span>
          <Select value={grouping} onChange={(e) => setQuery({ group: e.target.value })}>
            {(Object.keys(GROUPINGS) as Grouping[]).map((g) => (
              <option key={g} value={g}>
                {GROUPINGS[g]}
              </option>
            ))}
          </Select>
        </label>
        <form
          className="inline-field"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ label: labelText.trim() || null });
          }}
        >
          <label htmlFor="label-filter">Label</label>
          <input id="label-filter" className="input" placeholder="name=value" value={labelText} onChange={(e) => setLabelText(e.target.value)} />
        </form>
      </div>
      <ErrorNotice error={alerts.error} />
      {alerts.loading && !alerts.data ? (
        <Skeleton rows={6} />
      ) : items.length === 0 ? (
        <Empty>No alerts match.</Empty>
      ) : (
        groups.map((group) => (
          <section key={group.key} className="alert-group" aria-label={group.title || 'Alerts'}>
            {group.title && (
              <h2 className="group-title">
                {grouping === 'incident' && group.key ? <Link to={`/incidents/${group.key}`}>{group.title}</Link> : group.title} <span className="count">{group.items.length}</span>
              </h2>
            )}
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Alert</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="hide-narrow">
                      Labels
                    </th>
                    <th scope="col">Last seen</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {group.items.map((alert) => (
                    <tr key={alert.id} className={selected === alert.id ? 'row-selected' : undefined}>
                      <td className="cell-title">
                        <button type="button" className="link-button" onClick={() => setQuery({ alert: alert.id })}>
                          {alert.name}
                        </button>
                        <div className="muted small">{alert.summary}</div>
                      </td>
                      <td>
                        <StateBadge state={alert.status} />
                        {alert.suppressedBy && <div className="muted small">{alert.suppressedBy}</div>}
                      </td>
                      <td className="hide-narrow labels">
                        {Object.entries(alert.labels)
                          .slice(0, 6)
                          .map(([name, value]) => (
                            <code key={name} className="label">
                              {name}={value}
                            </code>
                          ))}
                      </td>
                      <td>
                        <Time at={alert.lastSeenAt} relative />
                        {alert.count > 1 && <div className="muted small">×{alert.count}</div>}
                      </td>
                      <td>
                        {can('incidents.write') && alert.status !== 'resolved' && (
                          <Button onClick={() => setSilencing(alert)} aria-label={`Silence ${alert.name}`}>
                            Silence
                          </Button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        ))
      )}
      <ErrorNotice error={loadMore.error} onDismiss={loadMore.clearError} />
      {cursor && (
        <div className="load-more">
          <Button onClick={() => void loadMore.run(cursor)} busy={loadMore.busy}>
            Show more
          </Button>
          <span className="muted">{items.length} shown</span>
        </div>
      )}
      {silencing && <SilenceDialog alert={silencing} onClose={() => setSilencing(null)} />}
      {selected && <AlertDetail id={selected} onClose={() => setQuery({ alert: null })} />}
    </>
  );
}

function AlertDetail({ id, onClose }: { id: string; onClose(): void }) {
  const { api } = useApp();
  const detail = useQuery(() => api.get<{ alert: Alert; history: Array<{ id: string; at: string; kind: string; text: string }> }>(`/alerts/${seg(id)}`), [id]);
  const alert = detail.data?.alert;
  return (
    <Dialog open title={alert ? alert.name : 'Alert'} onClose={onClose} wide>
      <ErrorNotice error={detail.error} />
      {!alert ? (
        <Skeleton rows={4} />
      ) : (
        <div className="form">
          <p>{alert.summary}</p>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StateBadge state={alert.status} />
            </dd>
            <dt>Severity</dt>
            <dd>{alert.severity}</dd>
            <dt>Incident</dt>
            <dd>{alert.incidentId ? <Link to={`/incidents/${alert.incidentId}`}>{alert.incidentId}</Link> : (alert.suppressedBy ?? 'none')}</dd>
            <dt>First seen</dt>
            <dd>
              <Time at={alert.firstSeenAt} />
            </dd>
            <dt>Last seen</dt>
            <dd>
              <Time at={alert.lastSeenAt} /> (×{alert.count})
            </dd>
            {alert.generatorUrl && (
              <>
                <dt>Source</dt>
                <dd>
                  <a href={safeUrl(alert.generatorUrl)} target="_blank" rel="noreferrer noopener">
                    {alert.generatorUrl}
                  </a>
                </dd>
              </>
            )}
          </dl>
          <h3>Labels</h3>
          <KeyValues values={alert.labels} />
          {Object.keys(alert.annotations).length > 0 && (
            <>
              <h3>Annotations</h3>
              <KeyValues values={alert.annotations} />
            </>
          )}
          <h3>History</h3>
          <ol className="list">
            {detail.data?.history.map((entry) => (
              <li key={entry.id}>
                <Time at={entry.at} /> — {entry.text}
              </li>
            ))}
          </ol>
        </div>
      )}
    </Dialog>
  );
}

/** Links from alert sources are untrusted: only web addresses become links. */
const safeUrl = (url: string) => (/^https?:\/\//i.test(url) ? url : undefined);

function KeyValues({ values }: { values: Record<string, string> }) {
  return (
    <table className="table compact">
      <tbody>
        {Object.entries(values).map(([name, value]) => (
          <tr key={name}>
            <th scope="row">
              <code>{name}</code>
            </th>
            <td className="pre-wrap">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Silences() {
  const { api, can, personName, toast } = useApp();
  const { query } = useLocation();
  const all = query.get('all') === 'true';
  const silences = useQuery(() => api.get<{ items: Silence[] }>('/silences', { all }), [all]);
  const expire = useAction(async (silence: Silence) => {
    await api.delete(`/silences/${seg(silence.id)}`);
    toast('Silence expired; its alerts are handled normally again');
    await silences.reload();
  });
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="filters">
        <label className="checkbox">
          <input type="checkbox" checked={all} onChange={(e) => setQuery({ all: e.target.checked ? 'true' : null })} />
          <span>Show expired</span>
        </label>
        {can('incidents.write') && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            New silence
          </Button>
        )}
      </div>
      <ErrorNotice error={silences.error ?? expire.error} />
      {silences.loading && !silences.data ? (
        <Skeleton rows={3} />
      ) : silences.data?.items.length === 0 ? (
        <Empty>No silences in force.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Matchers</th>
                <th scope="col">State</th>
                <th scope="col">Until</th>
                <th scope="col" className="hide-narrow">
                  Comment
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {silences.data?.items.map((silence) => (
                <tr key={silence.id}>
                  <td className="labels">
                    {silence.matchers.map((m) => (
                      <code key={`${m.name}${m.op}${m.value}`} className="label">
                        {m.name}
                        {m.op}"{m.value}"
                      </code>
                    ))}
                  </td>
                  <td>
                    <StateBadge state={silence.state} />
                  </td>
                  <td>
                    <Time at={silence.endsAt} relative />
                  </td>
                  <td className="hide-narrow">
                    {silence.comment} <span className="muted small">— {personName(silence.createdBy)}</span>
                  </td>
                  <td>
                    {can('incidents.write') && silence.state !== 'expired' && (
                      <Button onClick={() => void expire.run(silence)} busy={expire.busy}>
                        Expire
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <SilenceDialog
          alert={null}
          onClose={() => {
            setCreating(false);
            void silences.reload();
          }}
        />
      )}
    </>
  );
}
