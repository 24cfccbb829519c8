import { renderIntegrationTable, type Integration } from './alert-view.ts';
import { arg, required } from './args.ts';
import { segment } from './client.ts';
import { REMOTE_OPTIONS, type Command, type Group } from './command.ts';
import { UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { formatJson, indent, printable, shellQuote } from './output.ts';
import { connect, respond } from './remote.ts';

/** The alert sources the server knows (src/alerts/integrations.ts INTEGRATION_KINDS; a test keeps them equal). */
export const INTEGRATION_KINDS = ['alertmanager', 'pagerduty', 'grafana', 'generic'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export interface CreatedIntegration {
  integration: Integration;
  key: string;
  /** Root-relative: `/api/v1/integrations/alertmanager/<key>`, or `/v2/enqueue` for PagerDuty. */
  url: string;
}

/** A single-quoted YAML scalar. */
const yamlQuote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** The server's root-relative ingest path, on the server the CLI talks to (keeping any path prefix). */
export const ingestUrl = (baseUrl: string, path: string): string => `${baseUrl.replace(/\/+$/, '')}${path}`;

function curl(url: string, body: unknown): string {
  return [`curl -sS -X POST -H 'Content-Type: application/json' \\`, `  --data ${shellQuote(JSON.stringify(body))} \\`, `  ${shellQuote(url)}`].join('\n');
}

/** What to paste where, for each kind of source: the part of `integration create` that is not the key. */
export function setupInstructions(created: CreatedIntegration, baseUrl: string): string {
  const url = ingestUrl(baseUrl, created.url);
  const kind = created.integration.kind;
  const sections: string[] = [];
  if (kind === 'pagerduty') {
    sections.push(
      `PagerDuty Events API v2 endpoint (send the key as routing_key):\n  ${url}`,
      'Alertmanager (pagerduty_configs), Grafana or any PagerDuty client: point its Events API URL here.',
      `Send a test event:\n${indent(
        curl(url, { routing_key: created.key, event_action: 'trigger', payload: { summary: 'Test event from Firebreak setup', source: 'curl', severity: 'info' } }),
      )}`,
    );
    return sections.join('\n\n');
  }
  sections.push(`Ingest URL:\n  ${url}`);
  if (kind === 'alertmanager') {
    const receiver = [
      'receivers:',
      '  - name: firebreak',
      '    webhook_configs:',
      `      - url: ${yamlQuote(url)}`,
      '        send_resolved: true',
      '',
      '# and send alerts to it, e.g. in the route tree:',
      '#   route:',
      '#     receiver: firebreak',
    ].join('\n');
    const test = {
      version: '4',
      status: 'firing',
      receiver: 'firebreak',
      alerts: [{ status: 'firing', labels: { alertname: 'FirebreakSetupTest', severity: 'info' }, annotations: { summary: 'Test alert from Firebreak setup' } }],
    };
    sections.push(`Alertmanager receiver (alertmanager.yml):\n${indent(receiver)}`, `Send a test alert:\n${indent(curl(url, test))}`);
  } else if (kind === 'grafana') {
    sections.push('In Grafana: Alerting → Contact points → New contact point, type Webhook, with the URL above.');
  } else {
    const test = { title: 'Test alert from Firebreak setup', status: 'firing', severity: 'info', labels: { alertname: 'FirebreakSetupTest' } };
    sections.push(`Send a test alert:\n${indent(curl(url, test))}`);
  }
  return sections.join('\n\n');
}

const create: Command = {
  kind: 'command',
  name: 'create',
  summary: 'Create an alert source and print its key, once (admin)',
  description:
    'Prints the key (it is never shown again), the URL to send alerts to and, for Alertmanager,\n' +
    'a receiver to paste into alertmanager.yml and a curl command that sends a test alert.',
  options: {
    kind: { type: 'string', value: 'KIND', description: `one of ${INTEGRATION_KINDS.join(', ')} (required)` },
    name: { type: 'string', value: 'NAME', description: 'what sends the alerts, e.g. "prod alertmanager" (required)' },
    service: { type: 'string', value: 'SERVICE', description: 'the service its alerts belong to unless the catalog or a route says otherwise' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak integration create --kind alertmanager --name "prod alertmanager"', 'firebreak integration create --kind pagerduty --name ci --service rest-api'],
  async run(invocation) {
    const kind = required(invocation, 'kind');
    if (!(INTEGRATION_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`unknown kind '${kind}'; use one of ${INTEGRATION_KINDS.join(', ')}`, invocation.usage);
    }
    const body = { kind, name: required(invocation, 'name'), service: invocation.options.string('service') };
    const client = connect(invocation);
    const created = await client.post<CreatedIntegration>('/integrations', body);
    const { io } = invocation;
    if (invocation.options.flag('json')) {
      printLine(io.stdout, formatJson(created));
      return 0;
    }
    const { integration } = created;
    const lines = [
      `Created ${integration.kind} integration "${printable(integration.name)}" (id ${integration.id}).`,
      '',
      'Key (shown only this once; store it now):',
      `  ${created.key}`,
      '',
      setupInstructions(created, client.baseUrl),
    ];
    printLine(io.stdout, lines.join('\n'));
    return 0;
  },
};

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List alert sources, without their keys (admin)',
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const response = await connect(invocation).get<{ items: Integration[] }>('/integrations');
    return respond(invocation, response, () => renderIntegrationTable(response.items, invocation.io.now()));
  },
};

const remove: Command = {
  kind: 'command',
  name: 'delete',
  summary: 'Delete an alert source; its key stops working at once (admin)',
  positionals: [{ name: 'ID' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const integration = await connect(invocation).delete<Integration>(`/integrations/${segment(id)}`);
    return respond(invocation, integration, () => `Deleted ${integration.kind} integration "${printable(integration.name)}" (${integration.id}); its key no longer works.`);
  },
};

export const integrationGroup: Group = {
  kind: 'group',
  name: 'integration',
  summary: 'Create, list and delete alert sources (Alertmanager, PagerDuty, Grafana, generic)',
  children: [create, list, remove],
};
