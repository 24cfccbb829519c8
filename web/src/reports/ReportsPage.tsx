import { useMemo } from 'react';
import { queryString } from '../api/client.ts';
import { useQuery } from '../api/hooks.ts';
import type { Report } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { setQuery, useLocation, useTitle } from '../app/router.tsx';
import { Select } from '../ui/controls.tsx';
import { ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { formatDuration } from '../ui/time.tsx';
import { BarList, LineChart } from './charts.tsx';
import { ServiceOptions, SeverityOptions } from '../ui/options.tsx';

const RANGES: Record<string, number> = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 };
const percent = (value: number) => `${Math.round(value * 100)}%`;
const minutes = (ms: number) => (ms === 0 ? '0' : formatDuration(ms));

export default function ReportsPage() {
  const { api, serviceName } = useApp();
  const { query } = useLocation();
  const range = query.get('range') && RANGES[query.get('range')!] ? query.get('range')! : '30d';
  const service = query.get('service') ?? '';
  const severity = query.get('severity') ?? '';
  const params = useMemo(() => {
    const to = new Date();
    to.setMinutes(0, 0, 0);
    to.setHours(to.getHours() + 1);
    const from = new Date(to.getTime() - RANGES[range]! * 86_400_000);
    return { from: from.toISOString(), to: to.toISOString(), service: service || undefined, severity: severity || undefined };
  }, [range, service, severity]);
  useTitle('Reports');
  const report = useQuery(() => api.get<Report>('/reports', params), [params]);
  const data = report.data;

  const labelOf = (iso: string) => new Date(iso).toLocaleDateString(undefined, data?.trend.interval === 'month' ? { month: 'short', year: '2-digit' } : { day: 'numeric', month: 'short' });
  return (
    <section className="page" aria-labelledby="reports-title">
      <div className="page-header">
        <h1 id="reports-title">Reports</h1>
        <div className="actions">
          {(['incidents', 'sla', 'alerts', 'oncall'] as const).map((table) => (
            <a key={table} className="btn btn-ghost small" href={`/api/v1/reports${queryString({ ...params, format: 'csv', table })}`} download>
              {table}.csv
            </a>
          ))}
        </div>
      </div>
      <div className="filters">
        <label className="inline-field">
          <span>Period</span>
          <Select value={range} onChange={(e) => setQuery({ range: e.target.value })}>
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                last {r.replace('d', ' days')}
              </option>
            ))}
          </Select>
        </label>
        <label className="inline-field">
          <span>Service</span>
          <Select value={service} onChange={(e) => setQuery({ service: e.target.value || null })}>
            <option value="">All</option>
            <ServiceOptions />
          </Select>
        </label>
        <label className="inline-field">
          <span>Severity</span>
          <Select value={severity} onChange={(e) => setQuery({ severity: e.target.value || null })}>
            <option value="">All</option>
            <SeverityOptions short />
          </Select>
        </label>
      </div>
      <ErrorNotice error={report.error} />
      {!data ? (
        <Skeleton rows={6} height={4} />
      ) : (
        <>
          <div className="stats">
            <Stat label="Incidents" value={String(data.incidents.total)} note={`${data.incidents.open} still open`} />
            <Stat label="Mean time to acknowledge" value={data.timeToAcknowledge.meanMs === null ? '—' : formatDuration(data.timeToAcknowledge.meanMs)} note={data.timeToAcknowledge.p90Ms === null ? '' : `p90 ${formatDuration(data.timeToAcknowledge.p90Ms)}`} />
            <Stat label="Mean time to resolve" value={data.timeToResolve.meanMs === null ? '—' : formatDuration(data.timeToResolve.meanMs)} note={data.timeToResolve.p90Ms === null ? '' : `p90 ${formatDuration(data.timeToResolve.p90Ms)}`} />
            <Stat label="SLA breaches" value={String(data.breaches.length)} note={`${data.alerts.total} alerts`} />
          </div>
          <div className="two-columns">
            <section className="panel">
              <LineChart
                title={`MTTA and MTTR per ${data.trend.interval}`}
                labels={data.trend.buckets.map((b) => labelOf(b.from))}
                series={[
                  { name: 'Mean time to acknowledge', values: data.trend.buckets.map((b) => b.meanTimeToAcknowledgeMs), tone: 'a' },
                  { name: 'Mean time to resolve', values: data.trend.buckets.map((b) => b.meanTimeToResolveMs), tone: 'b' },
                ]}
                format={minutes}
              />
            </section>
            <section className="panel">
              <LineChart
                title={`SLA compliance per ${data.trend.interval}`}
                labels={data.trend.buckets.map((b) => labelOf(b.from))}
                series={[{ name: 'Clocks met in time', values: data.trend.buckets.map((b) => b.slaCompliance), tone: 'c' }]}
                format={percent}
              />
            </section>
            <section className="panel">
              <BarList
                title="SLA compliance by clock"
                items={data.sla.filter((s) => s.compliance !== null).map((s) => ({ label: s.label, value: s.compliance!, note: `${s.metInTime} in time, ${s.metLate} late, ${s.breached} breached` }))}
                format={percent}
                tone="c"
              />
            </section>
            <section className="panel">
              <BarList title="Noisiest alerts (occurrences)" items={data.alerts.noisiest.slice(0, 10).map((a) => ({ label: a.name, value: a.occurrences, note: `${a.incidents} incidents` }))} format={String} tone="b" />
              {data.alerts.withoutAction.length > 0 && (
                <BarList title="Alerts that led to no action" items={data.alerts.withoutAction.slice(0, 10).map((a) => ({ label: a.name, value: a.alerts, note: a.reason }))} format={String} tone="a" />
              )}
            </section>
            <section className="panel">
              <BarList title="Incidents by service" items={Object.entries(data.incidents.byService).map(([id, n]) => ({ label: serviceName(id), value: n }))} format={String} />
            </section>
            <section className="panel" aria-labelledby="load-title">
              <h2 id="load-title">On-call load</h2>
              <table className="table compact">
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Pages</th>
                    <th scope="col">At night</th>
                    <th scope="col">Incidents</th>
                  </tr>
                </thead>
                <tbody>
                  {data.oncall.map((row) => (
                    <tr key={row.userId}>
                      <th scope="row">{row.name}</th>
                      <td>{row.pages}</td>
                      <td>{row.nightPages}</td>
                      <td>{row.incidents}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </section>
  );
}

function Stat({ label, value, note }: { label: string; value: string; note: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <strong className="stat-value">{value}</strong>
      <span className="muted small">{note}</span>
    </div>
  );
}
