/**
 * Whatever a sender posts, an adapter either returns alerts within ALERT_LIMITS or
 * refuses with a DomainError `invalid` listing {field, message} problems (PagerDuty:
 * ok:false with error sentences). Nothing else escapes, nothing crashes, and what is
 * accepted is kept verbatim, shell and SQL metacharacters included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GENERIC_MAPPING,
  parseAlertmanagerWebhook,
  parseGenericWebhook,
  parseGrafanaWebhook,
  parsePagerDutyChange,
  parsePagerDutyEvent,
  type GenericMapping,
} from '../../../src/alerts/adapters/index.ts';
import { ALERT_LIMITS, type IncomingAlert } from '../../../src/alerts/model.ts';
import { DomainError } from '../../../src/core/errors.ts';

const NOW = Date.UTC(2024, 4, 1);
const RUNS = { numRuns: 300 };

/** Pieces of shell, SQL, template and markup syntax, glued into hostile strings. */
const METACHARACTERS = ["'", '"', ';', '`', '$(', ')', '${', '}', '|', '&&', '||', '>', '<', '--', '/*', '*/', '\\', '\n', '\r', '\t', '%s', '{{', '}}', '{%', '<script>', 'DROP TABLE alerts', "' OR '1'='1", '../', '\u202e', '🔥'];
const hostileString = fc.oneof(
  fc.array(fc.constantFrom(...METACHARACTERS), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const labelName = fc.oneof(fc.constantFrom('alertname', 'severity', 'instance', '__proto__', 'constructor', 'toString', 'a.b/c'), hostileString.filter((s) => s.length > 0));
const labelMap = fc.dictionary(labelName, hostileString, { minKeys: 1, maxKeys: 12 });

/** Any JSON, and things JSON cannot carry, nested a little. */
const anyBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3, withNullPrototype: true, withBoxedValues: true, withSparseArray: true }),
);

/** Runs `parse`; returns the alerts, or null when it refused the way adapters must. */
function acceptedOrRefused(parse: () => IncomingAlert[]): IncomingAlert[] | null {
  try {
    return parse();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(['invalid', 'config_invalid']).toContain(domainError.code);
    if (domainError.code === 'invalid') {
      expect(Array.isArray(domainError.details)).toBe(true);
      for (const problem of domainError.details as unknown[]) {
        expect(problem).toEqual({ field: expect.any(String), message: expect.any(String) });
      }
    }
    return null;
  }
}

function expectWithinLimits(alerts: IncomingAlert[]): void {
  expect(alerts.length).toBeLessThanOrEqual(ALERT_LIMITS.alertsPerRequest);
  for (const alert of alerts) {
    expect(['firing', 'resolved', 'acknowledged']).toContain(alert.status);
    expect(alert.dedupKey.length).toBeGreaterThan(0);
    expect(alert.dedupKey.length).toBeLessThanOrEqual(ALERT_LIMITS.dedupKeyLength);
    expect(Object.keys(alert.labels).length).toBeLessThanOrEqual(ALERT_LIMITS.labelsPerAlert);
    for (const [name, value] of Object.entries(alert.labels)) {
      expect(typeof value).toBe('string');
      expect(name.length).toBeLessThanOrEqual(ALERT_LIMITS.labelNameLength);
      expect(value.length).toBeLessThanOrEqual(ALERT_LIMITS.labelValueLength);
    }
    if (alert.summary !== null) expect(alert.summary.length).toBeLessThanOrEqual(ALERT_LIMITS.summaryLength);
    expect(alert.links.length).toBeLessThanOrEqual(ALERT_LIMITS.linksPerAlert);
    expect(JSON.stringify(alert.details).length).toBeLessThanOrEqual(ALERT_LIMITS.detailsJsonLength);
  }
}

const CUSTOM_MAPPING: GenericMapping = {
  alerts: 'items',
  title: 'a.b[0]',
  labels: '$.labels',
  labelFields: { x: 'c["d.e"]', y: '[0]' },
  status: 'state',
  statusMap: { boom: 'firing' },
};

describe('adapters on any input', () => {
  it.each([
    ['Alertmanager', (body: unknown) => parseAlertmanagerWebhook(body, NOW)],
    ['Grafana', (body: unknown) => parseGrafanaWebhook(body, NOW)],
    ['generic (default mapping)', (body: unknown) => parseGenericWebhook(body, DEFAULT_GENERIC_MAPPING, NOW)],
    ['generic (custom mapping)', (body: unknown) => parseGenericWebhook(body, CUSTOM_MAPPING, NOW)],
  ])('%s: accepts within limits or refuses with a DomainError', (_name, parse) => {
    fc.assert(
      fc.property(anyBody, (body) => {
        const alerts = acceptedOrRefused(() => parse(body));
        if (alerts) expectWithinLimits(alerts);
      }),
      RUNS,
    );
  });

  it('PagerDuty: answers ok or a non-empty list of error sentences, never throws', () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        for (const result of [parsePagerDutyEvent(body, NOW, () => 'k'), parsePagerDutyChange(body)]) {
          if (!result.ok) {
            expect(result.errors.length).toBeGreaterThan(0);
            for (const error of result.errors) expect(typeof error).toBe('string');
          }
        }
        const event = parsePagerDutyEvent(body, NOW, () => 'k');
        if (event.ok) expectWithinLimits([event.alert]);
      }),
      RUNS,
    );
  });
});

describe('adapters on hostile but well-formed alerts', () => {
  const alertmanagerAlert = fc.record({
    status: fc.constantFrom('firing', 'resolved'),
    labels: labelMap,
    annotations: fc.dictionary(labelName, hostileString, { maxKeys: 4 }),
    fingerprint: fc.option(fc.stringMatching(/^[0-9a-f]{16}$/), { nil: undefined }),
  });

  it('Alertmanager and Grafana keep labels, annotations and summaries verbatim', () => {
    fc.assert(
      fc.property(fc.array(alertmanagerAlert, { maxLength: 5 }), fc.constantFrom('alertmanager', 'grafana'), (alerts, source) => {
        const body = { version: source === 'alertmanager' ? '4' : '1', alerts: alerts.map((a) => ({ ...a, startsAt: '2024-05-01T00:00:00Z' })) };
        const parsed = acceptedOrRefused(() => (source === 'alertmanager' ? parseAlertmanagerWebhook(body, NOW) : parseGrafanaWebhook(body, NOW)));
        // Well-formed within limits: refusal is only for an empty label name.
        if (parsed === null) {
          expect(alerts.some((a) => Object.keys(a.labels).includes('') || Object.keys(a.annotations).includes(''))).toBe(true);
          return;
        }
        expectWithinLimits(parsed);
        parsed.forEach((alert, index) => {
          const sent = alerts[index]!;
          expect(alert.labels).toEqual(sent.labels);
          expect(Object.keys(alert.labels)).toEqual(Object.keys(sent.labels));
          expect(alert.annotations).toEqual(sent.annotations);
          const expectedSummary = (Object.hasOwn(sent.annotations, 'summary') ? sent.annotations.summary : undefined)
            ?? (Object.hasOwn(sent.annotations, 'description') ? sent.annotations.description : undefined)
            ?? (Object.hasOwn(sent.labels, 'alertname') ? sent.labels.alertname : undefined)
            ?? null;
          expect(alert.summary).toBe(expectedSummary);
          if (sent.fingerprint) expect(alert.dedupKey).toBe(sent.fingerprint);
        });
      }),
      RUNS,
    );
  });

  it('the label hash does not depend on label order', () => {
    fc.assert(
      fc.property(labelMap, (labels) => {
        const reversed = Object.fromEntries(Object.entries(labels).reverse());
        const key = (l: Record<string, string>) => parseAlertmanagerWebhook({ alerts: [{ status: 'firing', labels: l }] }, NOW)[0]!.dedupKey;
        expect(key(reversed)).toBe(key(labels));
      }),
      RUNS,
    );
  });

  it('PagerDuty keeps summary, source and custom details verbatim', () => {
    fc.assert(
      fc.property(hostileString.filter((s) => s.trim().length > 0), hostileString.filter((s) => s.trim().length > 0), fc.jsonValue({ maxDepth: 3 }), (summary, source, custom) => {
        const result = parsePagerDutyEvent(
          { routing_key: 'k', event_action: 'trigger', payload: { summary, source, severity: 'critical', custom_details: custom } },
          NOW,
          () => 'generated',
        );
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.alert.summary).toBe(summary);
        expect(result.alert.labels.source).toBe(source);
        if (custom !== null) expect(result.alert.details.custom_details).toEqual(custom);
      }),
      RUNS,
    );
  });

  it('generic keeps title and labels verbatim', () => {
    fc.assert(
      fc.property(hostileString, fc.dictionary(labelName, hostileString, { maxKeys: 10 }), (title, labels) => {
        const alerts = acceptedOrRefused(() => parseGenericWebhook({ title, labels }, DEFAULT_GENERIC_MAPPING, NOW));
        if (alerts === null) {
          expect(Object.keys(labels)).toContain('');
          return;
        }
        expect(alerts[0]!.summary).toBe(title);
        expect(alerts[0]!.labels).toEqual(labels);
      }),
      RUNS,
    );
  });
});
