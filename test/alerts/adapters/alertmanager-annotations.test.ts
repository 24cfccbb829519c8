import { describe, expect, it } from 'vitest';
import { parseAlertmanagerWebhook } from '../../../src/alerts/adapters/index.ts';
import { ALERT_LIMITS } from '../../../src/alerts/model.ts';

describe('Alertmanager annotations', () => {
  const body = (annotations: Record<string, string>, labels: Record<string, string> = { alertname: 'Long' }) => ({
    version: '4',
    status: 'firing',
    receiver: 'r',
    groupKey: 'g',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am',
    alerts: [{ status: 'firing', labels, annotations, startsAt: '2026-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f' }],
  });

  it('cuts an over-long description instead of refusing the alert', () => {
    const long = 'x'.repeat(ALERT_LIMITS.labelValueLength + 500);
    const [alert] = parseAlertmanagerWebhook(body({ description: long }), 0);
    expect(alert!.annotations.description).toHaveLength(ALERT_LIMITS.labelValueLength);
    expect(alert!.annotations.description!.endsWith('…')).toBe(true);
  });

  it('still refuses an over-long label value, which is identity', () => {
    expect(() => parseAlertmanagerWebhook(body({}, { alertname: 'y'.repeat(ALERT_LIMITS.labelValueLength + 1) }), 0)).toThrow(/at most/);
  });
});
