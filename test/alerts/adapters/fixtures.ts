/**
 * Payloads as the public documentation of each source shows them. Each is a function
 * so that a test may change its copy freely.
 */

/**
 * Alertmanager webhook v4, with the fields of prometheus/alertmanager docs/configuration.md
 * (<webhook_config>) and values as a real Alertmanager fills them: receiver names are
 * regexp-quoted (template.Data uses regexp.QuoteMeta), firing alerts carry Go's zero
 * time as endsAt, startsAt has nanoseconds.
 */
export const alertmanagerV4 = () => ({
  receiver: 'firebreak\\.pager',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'InstanceDown', instance: 'db-1:9100', job: 'node', severity: 'critical' },
      annotations: {
        summary: 'Instance db-1:9100 down',
        description: 'db-1:9100 of job node has been down for more than 5 minutes.',
        runbook_url: 'https://runbooks.example.com/InstanceDown',
      },
      startsAt: '2024-05-01T12:00:00.123456789Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
      fingerprint: 'fbab788ec4c1018b',
    },
    {
      status: 'resolved',
      labels: { alertname: 'InstanceDown', instance: 'db-2:9100', job: 'node', severity: 'critical' },
      annotations: { description: 'db-2:9100 of job node has been down for more than 5 minutes.' },
      startsAt: '2024-05-01T11:50:00Z',
      endsAt: '2024-05-01T11:58:30.5+02:00',
      generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
      fingerprint: '3f2c1ab2d0e9a7c4',
    },
  ],
  groupLabels: { alertname: 'InstanceDown' },
  commonLabels: { alertname: 'InstanceDown', job: 'node', severity: 'critical' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example.com:9093',
  notification_reason: 'new alerts',
  version: '4',
  groupKey: '{}:{alertname="InstanceDown"}',
  truncatedAlerts: 0,
});

/** The example body of Grafana's "Configure the webhook notifier for Alerting" page, verbatim. */
export const grafanaDocsSample = () => ({
  receiver: 'My Super Webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone us-1',
      },
      startsAt: '2021-10-12T09:51:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      fingerprint: 'c6eadffa33fcdf37',
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
    {
      status: 'firing',
      labels: { alertname: 'High CPU usage', team: 'blue', zone: 'eu-1' },
      annotations: {
        description: 'The system has high CPU usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone eu-1',
      },
      startsAt: '2021-10-12T09:56:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/d1rdpdv7k/edit',
      fingerprint: 'bc97ff14869b13e3',
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
  ],
  groupLabels: {},
  commonLabels: { team: 'blue' },
  commonAnnotations: {},
  externalURL: 'https://play.grafana.org/',
  version: '1',
  groupKey: '{}:{}',
  truncatedAlerts: 0,
  title: '[FIRING:2]  (blue)',
  state: 'alerting',
  message:
    '**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n - zone = us-1\nAnnotations:\n - description = This is the alert rule checking the second system\n - runbook_url = https://myrunbook.com\n - summary = This is my summary\nSource: https://play.grafana.org/alerting/1afz29v7z/edit\nSilence: https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1\n\nLabels:\n - alertname = T1\n - team = blue\n - zone = eu-1\nAnnotations:\nSource: https://play.grafana.org/alerting/d1rdpdv7k/edit\nSilence: https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1\n',
});

/** The trigger example of PagerDuty's "Send an Alert Event" page (developer-docs 02-Trigger-Events.md). */
export const pagerDutyDocsTrigger = () => ({
  payload: {
    summary: 'Example alert on host1.example.com',
    timestamp: '2015-07-17T08:42:58.315+0000',
    source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
    severity: 'info',
    component: 'postgres',
    group: 'prod-datapipe',
    class: 'deploy',
    custom_details: { 'ping time': '1500ms', 'load avg': 0.75 },
  },
  routing_key: 'samplekeyhere',
  dedup_key: 'samplekeyhere',
  images: [
    {
      src: 'https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png',
      href: 'https://example.com/',
      alt: 'Example text',
    },
  ],
  links: [{ href: 'https://example.com/', text: 'Link text' }],
  event_action: 'trigger',
  client: 'Sample Monitoring Service',
  client_url: 'https://monitoring.example.com',
});

/** The acknowledge and resolve examples of the same page. */
export const pagerDutyDocsAcknowledge = () => ({ routing_key: 'routingkeyhere', dedup_key: 'dedupkeyhere', event_action: 'acknowledge' });
export const pagerDutyDocsResolve = () => ({ routing_key: 'routingkeyhere', dedup_key: 'dedupkeyhere', event_action: 'resolve' });

/** The request example of PagerDuty's Events API v2 OpenAPI document (PagerDuty/api-schema). */
export const pagerDutyOpenApiExample = () => ({
  payload: {
    summary: 'DISK at 99% on machine prod-datapipe03.example.com',
    timestamp: '2015-07-17T08:42:58.315+0000',
    severity: 'critical',
    source: 'prod-datapipe03.example.com',
    component: 'mysql',
    group: 'prod-datapipe',
    class: 'disk',
    custom_details: { 'free space': '1%', 'ping time': '1500ms', 'load avg': 0.75 },
  },
  routing_key: 'e93facc04764012d7bfb002500d5d1a6',
  dedup_key: 'srv01/mysql',
  event_action: 'trigger',
  client: 'Sample Monitoring Service',
  client_url: 'https://monitoring.service.com',
  links: [{ href: 'http://pagerduty.example.com', text: 'An example link.' }],
  images: [
    {
      src: 'https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,8,2,1&cht=lc&chds=a&chxt=y&chm=D,0033FF,0,0,5,1',
      href: 'https://google.com',
      alt: 'An example link with an image',
    },
  ],
});

/**
 * What Alertmanager's pagerduty_configs (notify/pagerduty) posts for a resolved group:
 * a SHA-256 dedup_key, the payload again, empty optional fields left out, and empty
 * lists for links and images.
 */
export const alertmanagerPagerDutyResolve = () => ({
  routing_key: '0123456789abcdef0123456789abcdef',
  dedup_key: 'd2b4c1c1a6e0b6f7c0b6a3b0d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6',
  event_action: 'resolve',
  payload: {
    summary: '[RESOLVED] InstanceDown (node critical)',
    source: 'Alertmanager',
    severity: 'error',
    custom_details: { firing: '', num_firing: '0', num_resolved: '1', resolved: 'Labels:\n - alertname = InstanceDown\n' },
  },
  client: 'Alertmanager',
  client_url: 'http://alertmanager.example.com:9093/#/alerts?receiver=pager',
  images: [],
  links: [],
});

/** The example of PagerDuty's "Send a Change Event" page (developer-docs 03-Change-Events.md). */
export const pagerDutyDocsChange = () => ({
  routing_key: 'samplekeyhere',
  payload: {
    summary: 'Build Success: Increase snapshot create timeout to 30 seconds',
    timestamp: '2020-07-17T08:42:58.315+0000',
    source: 'acme-build-pipeline-tool-default-i-9999',
    custom_details: { build_state: 'passed', build_number: '2', run_time: '1236s' },
  },
  links: [{ href: 'https://acme.pagerduty.dev/build/2', text: 'View more details in Acme!' }],
});
