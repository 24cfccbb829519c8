import { useEffect, useMemo, useRef, useState } from 'react';
import { seg, type ApiError } from '../api/client.ts';
import { asApiError, useQuery, useThrottled } from '../api/hooks.ts';
import { INCIDENT_STATUSES, OPEN_STATUSES, type Incident, type IncidentStatus, type Page } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { Link, arrivalState, setQuery, useLocation, useTitle } from '../app/router.tsx';
import { useShortcuts } from '../app/shortcuts.tsx';
import { SeverityBadge, StatusBadge, statusName } from '../ui/badges.tsx';
import { Button, Chips, Select } from '../ui/controls.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';
import { NextClock } from './clocks.tsx';
import { ServiceOptions } from '../ui/options.tsx';

const PAGE_SIZE = 50;

interface Filters {
  statuses: IncidentStatus[];
  severities: string[];
  service: string;
  q: string;
}

function filtersOf(query: URLSearchParams): Filters {
  const statuses = query.getAll('status').filter((s): s is IncidentStatus => (INCIDENT_STATUSES as readonly string[]).includes(s));
  return {
    // No status in the address means the open ones, what a responder looks for; status=all means every one.
    statuses: query.has('status') ? statuses : [...OPEN_STATUSES],
    severities: query.getAll('severity'),
    service: query.get('service') ?? '',
    q: query.get('q') ?? '',
  };
}

/** Whether a live incident belongs in the list as it is filtered now. */
function fits(incident: Incident, filters: Filters): boolean {
  if (filters.statuses.length > 0 && !filters.statuses.includes(incident.status)) return false;
  if (filters.severities.length > 0 && !filters.severities.some((s) => s.toLowerCase() === incident.severity.toLowerCase())) return false;
  if (filters.service && !incident.services.includes(filters.service)) return false;
  const text = `${incident.title} ${incident.summary}`.toLowerCase();
  return filters.q.split(/\s+/).filter(Boolean).every((word) => text.includes(word.toLowerCase()));
}

/** The list's order, as the API sorts it: newest declared first. */
const newer = (a: Incident, b: Incident) => a.declaredAt > b.declaredAt || (a.declaredAt === b.declaredAt && a.id > b.id);

/** `incident` put where the order wants it. */
function placed(list: Incident[], incident: Incident): Incident[] {
  const at = list.findIndex((other) => newer(incident, other));
  return at < 0 ? [...list, incident] : [...list.slice(0, at), incident, ...list.slice(at)];
}

export function IncidentList() {
  const { api, config, serviceName } = useApp();
  const { query } = useLocation();
  const filters = useMemo(() => filtersOf(query), [query]);
  const key = JSON.stringify(filters);
  const [more, setMore] = useState<{ items: Incident[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const search = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(filters.q);

  const load = () =>
    api.get<Page<Incident>>('/incidents', {
      status: filters.statuses,
      severity: filters.severities,
      service: filters.service || undefined,
      q: filters.q || undefined,
      limit: PAGE_SIZE,
    });
  const first = useQuery(load, [key]);
  useEffect(() => {
    setMore(null);
    setMoreError(null);
  }, [key]);
  useEffect(() => setText(filters.q), [filters.q]);

  // Typing narrows the list after a pause, not on every key.
  useEffect(() => {
    if (text === filters.q) return;
    const timer = setTimeout(() => setQuery({ q: text || null }), 250);
    return () => clearTimeout(timer);
  }, [text, filters.q]);

  useShortcuts({ search: () => search.current?.focus() });
  // "/" pressed on another page comes here to search.
  useEffect(() => {
    if (arrivalState().focusSearch === true) search.current?.focus();
  }, []);
  useTitle('Incidents');
  const shown = first.data !== undefined;
  useEffect(() => {
    if (shown) performance.mark('firebreak:list-rendered');
  }, [shown]);

  const items = useMemo(() => [...(first.data?.items ?? []), ...(more?.items ?? [])], [first.data, more]);
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null);

  const refreshOne = async (id: string, isNew: boolean) => {
    let incident: Incident;
    try {
      incident = await api.get<Incident>(`/incidents/${seg(id)}`);
    } catch {
      return;
    }
    const replace = (list: Incident[]) => list.flatMap((i) => (i.id !== id ? [i] : fits(incident, filters) ? [incident] : []));
    const known = items.some((i) => i.id === id);
    // One that newly fits (declared, reopened, renamed to match) joins where the order puts it,
    // unless that is past the rows loaded so far: "Show more" brings it then.
    const last = items[items.length - 1];
    const joins = !known && fits(incident, filters) && (!cursor || (last !== undefined && newer(incident, last)));
    const firstLast = first.data?.items[first.data.items.length - 1];
    const intoFirst = !more || (firstLast !== undefined && newer(incident, firstLast));
    // Two events of one incident can both get here before a render: the updaters look again.
    const update = (list: Incident[], into: boolean) => (joins && into && !list.some((i) => i.id === id) ? placed(list, incident) : replace(list));
    first.setData((page) => (page ? { ...page, items: update(page.items, intoFirst) } : page));
    setMore((current) => (current ? { ...current, items: update(current.items, !intoFirst) } : current));
    if (isNew) setFresh((current) => new Set(current).add(id));
  };
  const refetchAll = useThrottled(() => void first.reload(), 2000);
  useLive((event) => {
    if (!event.incidentId) return;
    if (event.type === 'incident.declared') void refreshOne(event.incidentId, true);
    else if (event.type === 'incident.changed' || event.type === 'sla.breached') void refreshOne(event.incidentId, false);
    else if (event.type === 'alert.fired' && !items.some((i) => i.id === event.incidentId)) refetchAll();
  });

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.get<Page<Incident>>('/incidents', {
        status: filters.statuses,
        severity: filters.severities,
        service: filters.service || undefined,
        q: filters.q || undefined,
        limit: PAGE_SIZE,
        cursor,
      });
      setMore((current) => ({ items: [...(current?.items ?? []), ...page.items], cursor: page.nextCursor }));
    } catch (error) {
      setMoreError(asApiError(error));
    } finally {
      setLoadingMore(false);
    }
  };

  const severityIds = config.severities.map((s) => s.id);
  return (
    <section className="page" aria-labelledby="incidents-title">
      <div className="page-header">
        <h1 id="incidents-title">Incidents</h1>
        <div className="search">
          <label htmlFor="incident-search" className="visually-hidden">
            Search incidents
          </label>
          <input
            id="incident-search"
            ref={search}
            className="input"
            type="search"
            placeholder="Search titles and summaries  ( / )"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && e.currentTarget.blur()}
          />
        </div>
      </div>
      <div className="filters">
        <Chips
          label="Status"
          options={INCIDENT_STATUSES}
          selected={filters.statuses}
          names={Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, statusName(s)]))}
          onChange={(next) => setQuery({ status: next.length === 0 ? ['all'] : next })}
        />
        <Chips label="Severity" options={severityIds} selected={filters.severities} onChange={(next) => setQuery({ severity: next })} />
        <label className="inline-field">
          <span>Service</span>
          <Select value={filters.service} onChange={(e) => setQuery({ service: e.target.value || null })}>
            <option value="">All services</option>
            <ServiceOptions />
          </Select>
        </label>
      </div>
      <ErrorNotice error={first.error} />
      {first.loading && !first.data ? (
        <Skeleton rows={8} height={3.25} />
      ) : items.length === 0 ? (
        <Empty>No incidents match. {filters.statuses.join() === OPEN_STATUSES.join() ? 'All quiet.' : ''}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table incidents-table">
            <caption className="visually-hidden">Incidents, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Incident</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-narrow">
                  Services
                </th>
                <th scope="col">Declared</th>
                <th scope="col" className="hide-narrow">
                  Next SLA
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((incident) => (
                <tr key={incident.id} className={fresh.has(incident.id) ? 'row-fresh' : undefined} data-incident={incident.id}>
                  <td>
                    <SeverityBadge severity={incident.severity} />
                  </td>
                  <td className="cell-title">
                    <Link to={`/incidents/${incident.id}`}>{incident.title}</Link>
                    {incident.acknowledgedAt === null && OPEN_STATUSES.includes(incident.status) && <span className="badge state state-unacknowledged">not acknowledged</span>}
                  </td>
                  <td>
                    <StatusBadge status={incident.status} />
                  </td>
                  <td className="hide-narrow">{incident.services.map(serviceName).join(', ') || '—'}</td>
                  <td>
                    <Time at={incident.declaredAt} relative />
                  </td>
                  <td className="hide-narrow">
                    <NextClock clocks={incident.clocks} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorNotice error={moreError} onDismiss={() => setMoreError(null)} />
      {cursor && (
        <div className="load-more">
          <Button onClick={() => void loadMore()} busy={loadingMore}>
            Show {PAGE_SIZE} more
          </Button>
          <span className="muted">{items.length} shown</span>
        </div>
      )}
    </section>
  );
}
