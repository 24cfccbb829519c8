import { formatDuration } from '../core/duration.ts';
import { reportCsv, REPORT_TABLES, type Report, type ReportTable } from '../reports/index.ts';
import { optionalTime } from './args.ts';
import { REMOTE_OPTIONS, type Command } from './command.ts';
import { UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { formatJson, formatTable, printable, truncate } from './output.ts';
import { connect } from './remote.ts';

const ms = (value: number | null): string => (value === null ? '-' : formatDuration(value));
const percent = (value: number | null): string => (value === null ? '-' : `${Math.round(value * 1000) / 10}%`);

/** The report as a person reads it in a terminal. */
export function renderReport(report: Report): string {
  const out: string[] = [];
  out.push(`Incidents ${report.from} → ${report.to}${report.filters.service ? `, service ${report.filters.service}` : ''}${report.filters.severity ? `, severity ${report.filters.severity}` : ''}`);
  out.push(`  ${report.incidents.total} incidents (${report.incidents.open} still open)`);
  const severities = Object.entries(report.incidents.bySeverity).map(([sev, n]) => `${sev}: ${n}`).join(', ');
  if (severities) out.push(`  by severity: ${severities}`);
  const services = Object.entries(report.incidents.byService).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([svc, n]) => `${svc}: ${n}`).join(', ');
  if (services) out.push(`  by service: ${services}`);
  out.push(`  time to acknowledge: mean ${ms(report.timeToAcknowledge.meanMs)}, median ${ms(report.timeToAcknowledge.medianMs)}, p90 ${ms(report.timeToAcknowledge.p90Ms)}`);
  out.push(`  time to resolve: mean ${ms(report.timeToResolve.meanMs)}, median ${ms(report.timeToResolve.medianMs)}, p90 ${ms(report.timeToResolve.p90Ms)}`);
  if (report.sla.length > 0) {
    out.push('', 'SLA', formatTable(['CLOCK', 'IN TIME', 'LATE', 'BREACHED', 'PENDING', 'COMPLIANCE'], report.sla.map((s) => [s.label, String(s.metInTime), String(s.metLate), String(s.breached), String(s.pending), percent(s.compliance)])));
  }
  out.push('', `Alerts: ${report.alerts.total}${report.alerts.perIncident === null ? '' : `, ${report.alerts.perIncident} per incident`}`);
  if (report.alerts.noisiest.length > 0) {
    out.push(formatTable(['NOISIEST', 'ALERTS', 'FIRINGS', 'INCIDENTS'], report.alerts.noisiest.slice(0, 10).map((a) => [truncate(printable(a.name), 40), String(a.alerts), String(a.occurrences), String(a.incidents)])));
  }
  if (report.alerts.withoutAction.length > 0) {
    out.push('', formatTable(['NO ACTION', 'ALERTS', 'WHY'], report.alerts.withoutAction.slice(0, 10).map((a) => [truncate(printable(a.name), 40), String(a.alerts), truncate(printable(a.reason), 60)])));
  }
  if (report.oncall.length > 0) {
    out.push('', formatTable(['ON CALL', 'PAGES', 'AT NIGHT', 'INCIDENTS'], report.oncall.map((o) => [printable(o.name), String(o.pages), String(o.nightPages), String(o.incidents)])));
  }
  return out.join('\n');
}

export const reportCommand: Command = {
  kind: 'command',
  name: 'report',
  summary: 'Incidents, MTTA/MTTR, SLA compliance, alert noise and on-call load over a period',
  options: {
    since: { type: 'string', value: 'WHEN', description: 'from: an ISO time or a duration ago (default 30d)' },
    until: { type: 'string', value: 'WHEN', description: 'to: an ISO time or a duration ago (default now)' },
    service: { type: 'string', value: 'ID', description: 'only incidents of this service' },
    severity: { type: 'string', value: 'SEV', description: 'only incidents of this severity' },
    csv: { type: 'string', value: 'TABLE', description: `print one table as CSV: ${REPORT_TABLES.join(', ')}` },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak report --since 90d --severity P1', 'firebreak report --since 2026-01-01T00:00:00Z --csv incidents > incidents.csv'],
  async run(invocation) {
    const { options } = invocation;
    const now = Date.now();
    const table = options.string('csv');
    if (table !== undefined && !(REPORT_TABLES as readonly string[]).includes(table)) {
      throw new UsageError(`--csv takes one of ${REPORT_TABLES.join(', ')}, not '${table}'`, invocation.usage);
    }
    const report = await connect(invocation).get<Report>('/reports', {
      from: optionalTime(invocation, 'since', now) ?? new Date(now - 30 * 86_400_000).toISOString(),
      to: optionalTime(invocation, 'until', now),
      service: options.string('service'),
      severity: options.string('severity'),
    });
    if (table !== undefined) invocation.io.stdout.write(reportCsv(report, table as ReportTable));
    else printLine(invocation.io.stdout, options.flag('json') ? formatJson(report) : renderReport(report));
    return 0;
  },
};
