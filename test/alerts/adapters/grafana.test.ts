import { describe, expect, it } from 'vitest';
import { parseGrafanaWebhook } from '../../../src/alerts/adapters/index.ts';
import { DomainError } from '../../../src/core/errors.ts';
import { grafanaDocsSample } from './fixtures.ts';

const NOW = Date.UTC(2021, 9, 12, 8, 0);

function refusal(body: unknown): DomainError {
  try {
    parseGrafanaWebhook(body, NOW);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the webhook to be refused');
}

describe('parseGrafanaWebhook', () => {
  it('reads the example payload of Grafana’s webhook documentation', () => {
    const alerts = parseGrafanaWebhook(grafanaDocsSample(), NOW);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toEqual({
      dedupKey: 'c6eadffa33fcdf37',
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone us-1',
      },
      summary: 'This alert was triggered for zone us-1',
      sourceSeverity: null,
      startsAt: Date.UTC(2021, 9, 12, 7, 51, 3, 157),
      endsAt: null,
      generatorUrl: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      groupKey: '{}:{}',
      externalUrl: 'https://play.grafana.org/',
      links: [
        {
          href: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
          text: 'Silence in Grafana',
        },
      ],
      images: [],
      details: {
        receiver: 'My Super Webhook',
        orgId: 1,
        values: { B: 44.23943737541908, C: 1 },
        silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      },
    });
    expect(alerts[1]!.dedupKey).toBe('bc97ff14869b13e3');
  });

  it('links the dashboard and the panel, and shows the panel image', () => {
    const body = grafanaDocsSample();
    Object.assign(body.alerts[0]!, {
      dashboardURL: 'https://grafana.example.com/d/abc?orgId=1',
      panelURL: 'https://grafana.example.com/d/abc?orgId=1&viewPanel=2',
      imageURL: 'https://grafana.example.com/render/abc.png',
      valueString: "[ var='B' labels={} value=44.2 ]",
    });
    const [alert] = parseGrafanaWebhook(body, NOW);
    expect(alert!.links.map((l) => l.text)).toEqual(['Dashboard', 'Panel', 'Silence in Grafana']);
    expect(alert!.images).toEqual([{ src: 'https://grafana.example.com/render/abc.png', href: null, alt: null }]);
    expect(alert!.details).toMatchObject({
      dashboardURL: 'https://grafana.example.com/d/abc?orgId=1',
      panelURL: 'https://grafana.example.com/d/abc?orgId=1&viewPanel=2',
      imageURL: 'https://grafana.example.com/render/abc.png',
      valueString: "[ var='B' labels={} value=44.2 ]",
    });
  });

  it('reads the severity label and Grafana 9’s valueString without values', () => {
    const body = grafanaDocsSample();
    const alert = body.alerts[0] as Record<string, unknown>;
    delete alert.values;
    alert.valueString = "[ metric='' labels={} value=14151.331895396988 ]";
    alert.labels = { alertname: 'Disk', severity: 'warning' };
    const [parsed] = parseGrafanaWebhook(body, NOW);
    expect(parsed!.sourceSeverity).toBe('warning');
    expect(parsed!.details).not.toHaveProperty('values');
  });

  it('falls back to the notification title for a summary', () => {
    const body = grafanaDocsSample();
    body.alerts[0]!.annotations = {} as (typeof body.alerts)[0]['annotations'];
    body.alerts[0]!.labels = { team: 'blue' } as (typeof body.alerts)[0]['labels'];
    expect(parseGrafanaWebhook(body, NOW)[0]!.summary).toBe('[FIRING:2]  (blue)');
  });

  describe('refuses', () => {
    it('a legacy (pre-8) Grafana alert notification, saying what to do instead', () => {
      const legacy = { title: '[Alerting] Panel Title alert', ruleName: 'Panel Title alert', state: 'alerting', evalMatches: [], orgId: 1 };
      expect(refusal(legacy).message).toBe(
        'invalid Grafana webhook: alerts is missing: this is a legacy Grafana alert notification; send it from a unified alerting webhook contact point instead',
      );
    });

    it('a version other than "1"', () => {
      expect(refusal({ ...grafanaDocsSample(), version: '4' }).details).toEqual([{ field: 'version', message: 'is "4"; only version "1" is understood' }]);
    });

    it('values that are not an object, and URLs that are not strings', () => {
      const body = grafanaDocsSample();
      (body.alerts[0] as Record<string, unknown>).values = [1, 2];
      (body.alerts[1] as Record<string, unknown>).silenceURL = 42;
      expect(refusal(body).details).toEqual([
        { field: 'alerts[0].values', message: 'must be an object of numbers, not a list' },
        { field: 'alerts[1].silenceURL', message: 'must be a string, not a number' },
      ]);
    });

    it('an orgId that is not a whole number', () => {
      expect(refusal({ ...grafanaDocsSample(), orgId: 'one' }).details).toEqual([{ field: 'orgId', message: 'must be a whole number, not text' }]);
    });

    it('values too large to keep', () => {
      const body = grafanaDocsSample();
      body.alerts[0]!.values = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`refId${i}`, i])) as (typeof body.alerts)[0]['values'];
      expect(refusal(body).details).toEqual([{ field: 'alerts[0]', message: 'carries more than 65536 bytes of values and URLs' }]);
    });
  });
});
