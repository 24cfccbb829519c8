import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAlertmanagerWebhook } from '../../../src/alerts/adapters/index.ts';
import { ALERT_LIMITS } from '../../../src/alerts/model.ts';
import { DomainError } from '../../../src/core/errors.ts';
import { alertmanagerV4 } from './fixtures.ts';

const NOW = Date.UTC(2024, 4, 1, 12, 30);

/** The DomainError a parse throws, for asserting on its message and details. */
function refusal(body: unknown): DomainError {
  try {
    parseAlertmanagerWebhook(body, NOW);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the webhook to be refused');
}

describe('parseAlertmanagerWebhook', () => {
  it('reads a version 4 webhook as Alertmanager sends it', () => {
    const [firing, resolved] = parseAlertmanagerWebhook(alertmanagerV4(), NOW);
    expect(firing).toEqual({
      dedupKey: 'fbab788ec4c1018b',
      status: 'firing',
      labels: { alertname: 'InstanceDown', instance: 'db-1:9100', job: 'node', severity: 'critical' },
      annotations: {
        summary: 'Instance db-1:9100 down',
        description: 'db-1:9100 of job node has been down for more than 5 minutes.',
        runbook_url: 'https://runbooks.example.com/InstanceDown',
      },
      summary: 'Instance db-1:9100 down',
      sourceSeverity: 'critical',
      startsAt: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
      endsAt: null,
      generatorUrl: 'http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
      groupKey: '{}:{alertname="InstanceDown"}',
      externalUrl: 'http://alertmanager.example.com:9093',
      links: [],
      images: [],
      details: { receiver: 'firebreak\\.pager' },
    });
    expect(resolved).toMatchObject({
      dedupKey: '3f2c1ab2d0e9a7c4',
      status: 'resolved',
      summary: 'db-2:9100 of job node has been down for more than 5 minutes.',
      startsAt: Date.UTC(2024, 4, 1, 11, 50),
      endsAt: Date.UTC(2024, 4, 1, 9, 58, 30, 500),
    });
  });

  it('hashes the sorted label set when there is no fingerprint, whatever the label order', () => {
    const body = alertmanagerV4();
    delete (body.alerts[0] as Partial<(typeof body.alerts)[0]>).fingerprint;
    const reordered = alertmanagerV4();
    reordered.alerts[0]!.labels = { severity: 'critical', job: 'node', instance: 'db-1:9100', alertname: 'InstanceDown' };
    reordered.alerts[0]!.fingerprint = '';
    const expected = createHash('sha256')
      .update(JSON.stringify([['alertname', 'InstanceDown'], ['instance', 'db-1:9100'], ['job', 'node'], ['severity', 'critical']]))
      .digest('hex');
    expect(parseAlertmanagerWebhook(body, NOW)[0]!.dedupKey).toBe(expected);
    expect(parseAlertmanagerWebhook(reordered, NOW)[0]!.dedupKey).toBe(expected);
  });

  it('takes the summary from the summary annotation, then the description, then the alert name', () => {
    const body = alertmanagerV4();
    body.alerts[0]!.annotations = {} as typeof body.alerts[0]['annotations'];
    expect(parseAlertmanagerWebhook(body, NOW)[0]!.summary).toBe('InstanceDown');
  });

  it('dates an alert without start now, and a resolved one without end now', () => {
    const body = alertmanagerV4();
    body.alerts[0]!.startsAt = '0001-01-01T00:00:00Z';
    body.alerts[1]!.endsAt = '0001-01-01T00:00:00Z';
    const [firing, resolved] = parseAlertmanagerWebhook(body, NOW);
    expect(firing!.startsAt).toBe(NOW);
    expect(resolved!.endsAt).toBe(NOW);
  });

  it('keeps a firing alert’s predicted end', () => {
    const body = alertmanagerV4();
    body.alerts[0]!.endsAt = '2024-05-01T12:04:00Z';
    expect(parseAlertmanagerWebhook(body, NOW)[0]!.endsAt).toBe(Date.UTC(2024, 4, 1, 12, 4));
  });

  it('notes truncated alerts', () => {
    const body = { ...alertmanagerV4(), truncatedAlerts: 7 };
    expect(parseAlertmanagerWebhook(body, NOW)[0]!.details).toEqual({ receiver: 'firebreak\\.pager', truncatedAlerts: 7 });
  });

  it('accepts an empty alert list', () => {
    expect(parseAlertmanagerWebhook({ ...alertmanagerV4(), alerts: [] }, NOW)).toEqual([]);
  });

  it('drops links that are not absolute http(s) URLs instead of refusing the alert', () => {
    const body = alertmanagerV4();
    body.alerts[0]!.generatorURL = 'javascript:alert(1)';
    body.alerts[1]!.generatorURL = '/graph?g0.expr=up';
    const alerts = parseAlertmanagerWebhook({ ...body, externalURL: 'ftp://example.com' }, NOW);
    expect(alerts.map((a) => [a.generatorUrl, a.externalUrl])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('passes shell and SQL metacharacters through verbatim', () => {
    const hostile = `'; DROP TABLE alerts; -- $(rm -rf /) \`id\` && echo "pwned" | sh > /dev/null`;
    const body = alertmanagerV4();
    body.alerts[0]!.labels = { ...body.alerts[0]!.labels, instance: hostile };
    body.alerts[0]!.annotations.summary = hostile;
    const [alert] = parseAlertmanagerWebhook(body, NOW);
    expect(alert!.labels.instance).toBe(hostile);
    expect(alert!.summary).toBe(hostile);
  });

  it('keeps a label called __proto__ as an ordinary label', () => {
    const body = JSON.parse('{"version":"4","alerts":[{"status":"firing","labels":{"__proto__":"x","alertname":"A"}}]}');
    const [alert] = parseAlertmanagerWebhook(body, NOW);
    expect(Object.keys(alert!.labels).sort()).toEqual(['__proto__', 'alertname']);
    expect(Object.getPrototypeOf(alert!.labels)).toBe(Object.prototype);
  });

  describe('refuses', () => {
    it('a body that is not an object', () => {
      const error = refusal([]);
      expect(error.code).toBe('invalid');
      expect(error.message).toBe('invalid Alertmanager webhook: body must be a JSON object, not a list');
      expect(error.details).toEqual([{ field: 'body', message: 'must be a JSON object, not a list' }]);
    });

    it('a webhook without alerts', () => {
      expect(refusal({ version: '4' }).details).toEqual([{ field: 'alerts', message: 'is missing' }]);
    });

    it('another payload version', () => {
      expect(refusal({ ...alertmanagerV4(), version: '5' }).details).toEqual([
        { field: 'version', message: 'is "5"; only version "4" is understood' },
      ]);
    });

    it('labels that are not a string→string map, naming the alert and the label', () => {
      const body = alertmanagerV4();
      (body.alerts[1]!.labels as Record<string, unknown>).instance = 9100;
      (body.alerts[0] as Record<string, unknown>).annotations = ['summary'];
      const error = refusal(body);
      expect(error.message).toBe('invalid Alertmanager webhook: alerts[0].annotations must be an object of strings, not a list (and 1 more problem)');
      expect(error.details).toEqual([
        { field: 'alerts[0].annotations', message: 'must be an object of strings, not a list' },
        { field: 'alerts[1].labels.instance', message: 'must be a string, not a number' },
      ]);
    });

    it('an alert without labels', () => {
      const body = alertmanagerV4();
      body.alerts[0]!.labels = {} as typeof body.alerts[0]['labels'];
      delete (body.alerts[1] as Record<string, unknown>).labels;
      expect(refusal(body).details).toEqual([
        { field: 'alerts[0].labels', message: 'must have at least one label' },
        { field: 'alerts[1].labels', message: 'is missing' },
      ]);
    });

    it('an unknown status and an unreadable time', () => {
      const body = alertmanagerV4();
      body.alerts[0]!.status = 'pending';
      body.alerts[1]!.startsAt = 'yesterday';
      expect(refusal(body).details).toEqual([
        { field: 'alerts[0].status', message: 'must be "firing" or "resolved", not "pending"' },
        { field: 'alerts[1].startsAt', message: 'must be an RFC 3339 time such as "2024-05-01T12:00:00Z", not "yesterday"' },
      ]);
    });

    it('more alerts than one request may carry', () => {
      const alert = alertmanagerV4().alerts[0]!;
      const body = { ...alertmanagerV4(), alerts: Array.from({ length: ALERT_LIMITS.alertsPerRequest + 1 }, () => alert) };
      expect(refusal(body).details).toEqual([{ field: 'alerts', message: 'has 1001 alerts; at most 1000 are accepted per request' }]);
    });

    it('10,000 labels on one alert', () => {
      const body = alertmanagerV4();
      body.alerts[0]!.labels = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`l${i}`, 'v'])) as typeof body.alerts[0]['labels'];
      expect(refusal(body).details).toEqual([{ field: 'alerts[0].labels', message: 'has 10000 entries; at most 128 are accepted' }]);
    });

    it('over-long label names, label values and fingerprints', () => {
      const body = alertmanagerV4();
      body.alerts[0]!.labels = { ...body.alerts[0]!.labels, ['n'.repeat(257)]: 'x', job: 'v'.repeat(8193) };
      body.alerts[1]!.fingerprint = 'f'.repeat(256);
      expect(refusal(body).details).toEqual([
        { field: 'alerts[0].labels.job', message: 'is 8193 characters long; at most 8192 are accepted' },
        { field: 'alerts[0].labels', message: 'has a name of 257 characters; at most 256 are accepted' },
        { field: 'alerts[1].fingerprint', message: 'is 256 characters long; at most 255 are accepted' },
      ]);
    });

    it('an empty label name', () => {
      const body = alertmanagerV4();
      (body.alerts[0]!.labels as Record<string, string>)[''] = 'x';
      expect(refusal(body).details).toEqual([{ field: 'alerts[0].labels', message: 'has an entry with an empty name' }]);
    });

    it('and lists at most 50 problems, counting the rest', () => {
      const body = { version: '4', alerts: Array.from({ length: 80 }, () => 'not an alert') };
      const error = refusal(body);
      expect(error.message).toBe('invalid Alertmanager webhook: alerts[0] must be an object, not text (and 79 more problems)');
      const details = error.details as Array<{ field: string; message: string }>;
      expect(details).toHaveLength(51);
      expect(details[50]).toEqual({ field: 'body', message: 'has 30 more problems not listed' });
    });
  });
});
