import { renderAlert, renderAlertTable, type Alert, type AlertHistoryEntry, type ViewContext } from './alert-view.ts';
import { arg, fetchAllPages, optionalLimit, optionalTime, type Page } from './args.ts';
import { segment, type Query } from './client.ts';
import { REMOTE_OPTIONS, type Command, type Group, type Invocation } from './command.ts';
import { UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { styleFor } from './output.ts';
import { connect, respond } from './remote.ts';

export const ALERT_STATUSES = ['firing', 'acknowledged', 'resolved'] as const;

export const viewOf = ({ io }: Invocation): ViewContext => ({ now: io.now(), timeZone: io.timeZone, style: styleFor(io) });

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List alerts, most recently seen first',
  options: {
    status: { type: 'string', value: 'STATUS', multiple: true, description: `only alerts in this status (${ALERT_STATUSES.join(', ')})` },
    service: { type: 'string', value: 'SERVICE', description: 'only alerts of this service' },
    incident: { type: 'string', value: 'ID', description: 'only alerts attached to this incident' },
    integration: { type: 'string', value: 'ID', description: 'only alerts from this integration' },
    label: { type: 'string', value: 'NAME=VALUE', multiple: true, description: 'only alerts with this exact label' },
    since: { type: 'string', value: 'WHEN', description: 'last seen at or after: an ISO time, or a duration ago such as 24h' },
    until: { type: 'string', value: 'WHEN', description: 'last seen before: an ISO time, or a duration ago' },
    limit: { type: 'string', value: 'N', description: 'at most N alerts (per page with --all)' },
    all: { type: 'boolean', description: 'follow pages until every matching alert is listed' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak alert list --status firing --since 24h', 'firebreak alert list --label alertname=DiskSpaceHigh --label instance=db1 --all'],
  async run(invocation) {
    const query = alertQuery(invocation);
    const client = connect(invocation);
    const page = invocation.options.flag('all') ? await fetchAllPages<Alert>(client, '/alerts', query) : await client.get<Page<Alert>>('/alerts', query);
    const code = respond(invocation, page, () => renderAlertTable(page.items, viewOf(invocation)));
    if (page.nextCursor && !invocation.options.flag('json')) {
      printLine(invocation.io.stderr, 'More alerts match: add --all to list them all, or narrow with --since/--status/--label.');
    }
    return code;
  },
};

/** The query of `alert list`, checked before anything is sent. */
export function alertQuery(invocation: Invocation): Query {
  const { options, io, usage } = invocation;
  const labels = options.strings('label');
  for (const label of labels) {
    if (label.indexOf('=') <= 0) throw new UsageError(`--label '${label}' is not NAME=VALUE, e.g. --label alertname=DiskSpaceHigh`, usage);
  }
  const now = io.now();
  return {
    status: options.strings('status'),
    service: options.string('service'),
    incident: options.string('incident'),
    integration: options.string('integration'),
    label: labels,
    from: optionalTime(invocation, 'since', now),
    to: optionalTime(invocation, 'until', now),
    limit: optionalLimit(invocation),
  };
}

const show: Command = {
  kind: 'command',
  name: 'show',
  summary: 'Show an alert: fields, labels, annotations and history',
  positionals: [{ name: 'ID' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const result = await connect(invocation).get<{ alert: Alert; history: AlertHistoryEntry[] }>(`/alerts/${segment(id)}`);
    return respond(invocation, result, () => renderAlert(result.alert, result.history, viewOf(invocation)));
  },
};

export const alertGroup: Group = {
  kind: 'group',
  name: 'alert',
  summary: 'List and inspect alerts received from monitoring',
  children: [list, show],
};
