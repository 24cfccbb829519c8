import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GENERIC_MAPPING,
  GenericMapping,
  genericMappingProblems,
  parseGenericWebhook,
} from '../../../src/alerts/adapters/index.ts';
import { DomainError } from '../../../src/core/errors.ts';

const NOW = Date.UTC(2024, 4, 1, 12, 0);

function refusal(body: unknown, mapping: GenericMapping = DEFAULT_GENERIC_MAPPING): DomainError {
  try {
    parseGenericWebhook(body, mapping, NOW);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the webhook to be refused');
}

describe('parseGenericWebhook with the default mapping', () => {
  it('reads {title, status, severity, labels, dedup_key}', () => {
    const body = { title: 'Disk full on db-1', status: 'firing', severity: 'critical', labels: { service: 'db', host: 'db-1' }, dedup_key: 'disk-db-1' };
    expect(parseGenericWebhook(body, DEFAULT_GENERIC_MAPPING, NOW)).toEqual([
      {
        dedupKey: 'disk-db-1',
        status: 'firing',
        labels: { service: 'db', host: 'db-1', severity: 'critical' },
        annotations: {},
        summary: 'Disk full on db-1',
        sourceSeverity: 'critical',
        startsAt: NOW,
        endsAt: null,
        generatorUrl: null,
        groupKey: null,
        externalUrl: null,
        links: [],
        images: [],
        details: { payload: body },
      },
    ]);
  });

  it('reads annotations, times and a link', () => {
    const [alert] = parseGenericWebhook(
      {
        title: 'Backup failed',
        status: 'RESOLVED',
        annotations: { runbook_url: 'https://runbooks.example.com/backup' },
        starts_at: '2024-05-01T10:00:00Z',
        ends_at: 1714561200,
        link: 'https://ci.example.com/jobs/42',
      },
      DEFAULT_GENERIC_MAPPING,
      NOW,
    );
    expect(alert).toMatchObject({
      status: 'resolved',
      annotations: { runbook_url: 'https://runbooks.example.com/backup' },
      startsAt: Date.UTC(2024, 4, 1, 10),
      endsAt: 1714561200_000,
      links: [{ href: 'https://ci.example.com/jobs/42', text: null }],
    });
  });

  it('hashes labels and title when there is no dedup key', () => {
    const [alert] = parseGenericWebhook({ title: 'T', labels: { b: '2', a: '1' } }, DEFAULT_GENERIC_MAPPING, NOW);
    const expected = createHash('sha256').update(JSON.stringify({ labels: [['a', '1'], ['b', '2']], title: 'T' })).digest('hex');
    expect(alert!.dedupKey).toBe(expected);
  });

  it('spells out numbers and booleans, and skips null labels', () => {
    const [alert] = parseGenericWebhook({ title: 'x', labels: { port: 5432, primary: true, zone: null }, dedup_key: 17 }, DEFAULT_GENERIC_MAPPING, NOW);
    expect(alert!.labels).toEqual({ port: '5432', primary: 'true' });
    expect(alert!.dedupKey).toBe('17');
  });

  it('passes shell and SQL metacharacters through verbatim', () => {
    const hostile = `x'); DELETE FROM alerts WHERE ('1'='1 ; $(reboot) \`halt\``;
    const [alert] = parseGenericWebhook({ title: hostile, labels: { host: hostile } }, DEFAULT_GENERIC_MAPPING, NOW);
    expect(alert!.summary).toBe(hostile);
    expect(alert!.labels.host).toBe(hostile);
  });
});

describe('parseGenericWebhook with a mapping of its own', () => {
  const mapping: GenericMapping = {
    alerts: 'data.events',
    title: 'message',
    status: 'state',
    statusMap: { Alarm: 'firing', CLEAR: 'resolved' },
    dedupKey: 'id',
    severity: 'priority',
    labels: 'tags',
    labelFields: { host: 'target.hostname', first_ip: 'target.ips[0]', 'app.kubernetes.io/name': 'target["app.kubernetes.io/name"]', env: '$.environment' },
    annotationFields: { description: 'details.text' },
    link: 'url',
  };
  const body = {
    environment: 'prod',
    data: {
      events: [
        { id: 'e1', message: 'CPU high', state: 'alarm', priority: 'P2', tags: { team: 'infra' }, target: { hostname: 'web-1', ips: ['10.0.0.1'], 'app.kubernetes.io/name': 'web' }, details: { text: 'above 90%' }, url: 'https://mon.example.com/e1' },
        { id: 'e2', message: 'CPU normal', state: 'clear', target: { hostname: 'web-2' } },
      ],
    },
  };

  it('reads each item of the alert list, and $ paths from the whole body', () => {
    const [first, second] = parseGenericWebhook(body, mapping, NOW);
    expect(first).toMatchObject({
      dedupKey: 'e1',
      status: 'firing',
      summary: 'CPU high',
      sourceSeverity: 'P2',
      labels: { team: 'infra', host: 'web-1', first_ip: '10.0.0.1', 'app.kubernetes.io/name': 'web', env: 'prod', severity: 'P2' },
      annotations: { description: 'above 90%' },
      links: [{ href: 'https://mon.example.com/e1', text: null }],
    });
    expect(second).toMatchObject({ dedupKey: 'e2', status: 'resolved', labels: { host: 'web-2', env: 'prod' }, endsAt: NOW });
  });

  it('reads a body that is itself the list', () => {
    const alerts = parseGenericWebhook([{ title: 'a' }, { title: 'b' }], { alerts: '$', title: 'title' }, NOW);
    expect(alerts.map((a) => a.summary)).toEqual(['a', 'b']);
  });

  it('names the item and the path of each problem', () => {
    const broken = structuredClone(body) as { data: { events: Array<Record<string, unknown>> } };
    broken.data.events[0]!.state = 'flapping';
    broken.data.events[1]!.target = { hostname: { name: 'web-2' } };
    const error = refusal(broken, mapping);
    expect(error.details).toEqual([
      {
        field: 'data.events[0].state',
        message:
          'is "flapping", which is not a known status; add it to the mapping\'s statusMap (known: firing, alerting, alert, triggered, trigger, problem, open, active, down, resolved, resolve, ok, recovered, recovery, closed, normal, inactive, up, alarm, clear)',
      },
      { field: 'data.events[1].target.hostname', message: 'must be text, a number or true/false, not an object' },
    ]);
  });

  it('refuses a body whose alert list is missing', () => {
    expect(refusal({ data: {} }, mapping).details).toEqual([{ field: 'data.events', message: 'is missing: the mapping says the alerts are here' }]);
  });

  it('refuses a mapping whose paths cannot be read as the integration’s fault, not the sender’s', () => {
    const error = refusal({}, { title: 'a..b' });
    expect(error.code).toBe('config_invalid');
    expect(genericMappingProblems({ title: 'a..b', labelFields: { x: 'ok.path' } })).toEqual(['title: "a..b" is not a path such as data.title or alerts[0].labels']);
  });
});

describe('GenericMapping schema', () => {
  it('accepts the default mapping and refuses unknown fields and bad paths', () => {
    expect(Value.Check(GenericMapping, DEFAULT_GENERIC_MAPPING)).toBe(true);
    expect(Value.Check(GenericMapping, { alerts: '$', labels: '$.x["a.b"][0].y' })).toBe(true);
    expect(Value.Check(GenericMapping, { titel: 'title' })).toBe(false);
    for (const path of ['', 'a..b', 'a[', 'a[x]', '.a', 'a.', '$a']) expect(Value.Check(GenericMapping, { title: path }), path).toBe(false);
    expect(Value.Check(GenericMapping, { statusMap: { alarm: 'paging' } })).toBe(false);
  });
});

describe('parseGenericWebhook refuses', () => {
  it('a body that is not an object', () => {
    expect(refusal('CPU high').message).toBe('invalid generic webhook: body must be a JSON object, not text');
  });

  it('nested values where text is expected', () => {
    expect(refusal({ title: ['a'], labels: { a: { b: 1 } }, severity: {} }).details).toEqual([
      { field: 'labels.a', message: 'must be text, a number or true/false, not an object' },
      { field: 'title', message: 'must be text, a number or true/false, not a list' },
      { field: 'severity', message: 'must be text, a number or true/false, not an object' },
    ]);
  });

  it('too many labels, over-long values and dedup keys, unreadable times', () => {
    const labels = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`l${i}`, 'v']));
    expect(refusal({ title: 'x', labels, dedup_key: 'k'.repeat(256), starts_at: 'soon' }).details).toEqual([
      { field: 'labels', message: 'has 129 entries; at most 128 are accepted' },
      { field: 'dedup_key', message: 'is 256 characters long; at most 255 are accepted' },
      { field: 'starts_at', message: 'must be an RFC 3339 time such as "2024-05-01T12:00:00Z" or epoch seconds, not "soon"' },
    ]);
  });

  it('more alerts than one request may carry', () => {
    expect(refusal({ items: Array.from({ length: 1001 }, () => ({})) }, { alerts: 'items' }).details).toEqual([
      { field: 'items', message: 'has 1001 alerts; at most 1000 are accepted per request' },
    ]);
  });
});
