import type { IncomingAlert } from '../model.ts';
import { readAlert, readEnvelope } from './prometheus.ts';
import { Problems } from './wire.ts';

/**
 * Prometheus Alertmanager's webhook, version 4: `{version, groupKey, truncatedAlerts,
 * status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts:
 * [{status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint}]}`.
 *
 * - dedupKey: the alert's fingerprint, or when it has none the SHA-256 (hex) of its
 *   sorted label set.
 * - summary: annotations.summary, else annotations.description, else labels.alertname.
 * - sourceSeverity: labels.severity; groupKey and externalUrl from the envelope.
 * - endsAt "0001-01-01T00:00:00Z" (Go's zero time) means no end yet; a resolved alert
 *   without an end and an alert without a start take `now`.
 * - generatorURL is kept only if it is an absolute http(s) URL.
 *
 * Throws DomainError `invalid` whose details list every problem as `{field, message}`
 * (`alerts[3].labels` …): a malformed envelope or alert, labels or annotations that
 * are not string→string maps, or anything over ALERT_LIMITS. Nothing is accepted from
 * a payload with a problem, so a sender's retry cannot double-count alerts.
 */
export function parseAlertmanagerWebhook(body: unknown, now: number): IncomingAlert[] {
  const problems = new Problems();
  const envelope = readEnvelope(body, '4', problems);
  const alerts: IncomingAlert[] = [];
  for (const { raw, field } of envelope?.alerts ?? []) {
    const alert = readAlert(raw, field, envelope!, now, problems);
    if (alert) alerts.push(alert);
  }
  problems.throwIfAny('Alertmanager webhook');
  return alerts;
}
