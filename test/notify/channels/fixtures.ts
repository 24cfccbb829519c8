import type { NotificationMessage } from '../../../src/notify/channels/index.ts';

/** A title written to break things: a Slack broadcast, mrkdwn, a Discord ping, HTML and an Adaptive Card date function. */
export const HOSTILE = '<!channel> *bold* @everyone <@U123|x> & <b>html</b> {{DATE(2017-02-14T06:08:00Z)}}';

export const NOW = Date.UTC(2025, 2, 14, 9, 30, 0);

export function declared(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    idempotencyKey: '01JPAGE000000000000000001.slack-main',
    kind: 'incident.declared',
    headline: 'Incident declared: Checkout fails for EU customers',
    text: 'Error rate on checkout-api is above 20% since 09:12 UTC.\nPayments are not taken.',
    incident: {
      id: '01JINC0000000000000000042',
      title: 'Checkout fails for EU customers',
      severity: 'P1',
      status: 'investigating',
      services: ['checkout-api', 'payments'],
      url: 'https://firebreak.example.com/incidents/01JINC0000000000000000042',
    },
    fields: [{ label: 'Commander', value: 'Ada Lovelace' }],
    actions: [
      { label: 'Acknowledge', url: 'https://firebreak.example.com/ack/abc?sig=def&exp=1', style: 'primary' },
      { label: 'Open incident', url: 'https://firebreak.example.com/incidents/01JINC0000000000000000042' },
    ],
    thread: { key: 'incident:01JINC0000000000000000042' },
    ...overrides,
  };
}

export function hostile(): NotificationMessage {
  return declared({
    headline: HOSTILE,
    text: `${HOSTILE}\nsecond line`,
    incident: { ...declared().incident!, title: HOSTILE },
    fields: [{ label: 'Note', value: HOSTILE }],
    actions: [
      { label: HOSTILE, url: 'https://firebreak.example.com/ack/x' },
      { label: 'Evil', url: 'javascript:alert(1)' },
    ],
  });
}

/** Every string value in a JSON document, with the path it sits at. */
export function strings(value: unknown, path = '$'): Array<{ path: string; value: string }> {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => strings(item, `${path}.${key}`));
  }
  return [];
}
