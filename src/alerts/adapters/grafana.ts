import { ALERT_LIMITS, type IncomingAlert } from '../model.ts';
import { readAlert, readEnvelope } from './prometheus.ts';
import { child, describeJson, isObject, jsonSize, own, Problems, readOptionalString, safeUrl, truncate } from './wire.ts';

const TEXT = ALERT_LIMITS.labelValueLength;

/** Links Grafana puts on each alert, in the order a responder wants them. */
const ALERT_LINKS = [
  ['dashboardURL', 'Dashboard'],
  ['panelURL', 'Panel'],
  ['silenceURL', 'Silence in Grafana'],
] as const;

/**
 * Grafana unified alerting's webhook contact point (payload version "1"): the
 * Alertmanager envelope and alerts plus `orgId`, `title`, `state`, `message` on the
 * envelope and `silenceURL`, `dashboardURL`, `panelURL`, `imageURL`, `values`,
 * `valueString` on each alert.
 *
 * Everything Alertmanager's adapter does holds here (fingerprint as dedupKey, summary
 * from annotations, labels.severity, Go zero times, the same limits and errors). In
 * addition:
 * - summary falls back to the envelope's `title` when an alert has neither a summary
 *   or description annotation nor an alertname;
 * - links: dashboardURL ("Dashboard"), panelURL ("Panel"), silenceURL ("Silence in
 *   Grafana") when they are absolute http(s) URLs; imageURL becomes an image;
 * - details: receiver, orgId, values, valueString, dashboardURL, panelURL, silenceURL,
 *   imageURL (the raw strings, non-empty ones only).
 *
 * The legacy (pre-8) Grafana alert payload, which has no `alerts` list, is refused
 * with a message that says so.
 */
export function parseGrafanaWebhook(body: unknown, now: number): IncomingAlert[] {
  const problems = new Problems();
  if (isObject(body) && !Object.hasOwn(body, 'alerts') && (Object.hasOwn(body, 'ruleName') || Object.hasOwn(body, 'evalMatches'))) {
    problems.add('alerts', 'is missing: this is a legacy Grafana alert notification; send it from a unified alerting webhook contact point instead');
    problems.throwIfAny('Grafana webhook');
  }
  const envelope = readEnvelope(body, '1', problems);
  const envelopeBody = isObject(body) ? body : {};
  // Deprecated fields that render the whole group as text: only their type is checked,
  // a long notification must not be refused for its length.
  const title = readOptionalString(envelopeBody, 'title', 'title', problems, Number.MAX_SAFE_INTEGER);
  readOptionalString(envelopeBody, 'state', 'state', problems, Number.MAX_SAFE_INTEGER);
  readOptionalString(envelopeBody, 'message', 'message', problems, Number.MAX_SAFE_INTEGER);
  const orgId = own(envelopeBody, 'orgId');
  if (orgId !== undefined && orgId !== null && !(typeof orgId === 'number' && Number.isInteger(orgId))) {
    problems.add('orgId', `must be a whole number, not ${describeJson(orgId)}`);
  }

  const alerts: IncomingAlert[] = [];
  for (const { raw, field } of envelope?.alerts ?? []) {
    const before = problems.count;
    const alert = readAlert(raw, field, envelope!, now, problems);
    const urls = Object.fromEntries(
      [...ALERT_LINKS.map(([key]) => key), 'imageURL'].map((key) => [key, readOptionalString(raw, key, child(field, key), problems, TEXT)]),
    ) as Record<string, string | null>;
    const valueString = readOptionalString(raw, 'valueString', child(field, 'valueString'), problems, ALERT_LIMITS.detailsJsonLength);
    const values = own(raw, 'values');
    if (values !== undefined && values !== null && !isObject(values)) {
      problems.add(child(field, 'values'), `must be an object of numbers, not ${describeJson(values)}`);
    }
    if (!alert || problems.count > before) continue;

    const details: Record<string, unknown> = { ...alert.details };
    if (typeof orgId === 'number') details.orgId = orgId;
    if (isObject(values)) details.values = values;
    if (valueString) details.valueString = valueString;
    for (const [key, url] of Object.entries(urls)) if (url) details[key] = url;
    if (jsonSize(details, ALERT_LIMITS.detailsJsonLength) > ALERT_LIMITS.detailsJsonLength) {
      problems.add(field, `carries more than ${ALERT_LIMITS.detailsJsonLength} bytes of values and URLs`);
      continue;
    }
    const links = ALERT_LINKS.flatMap(([key, text]) => {
      const href = safeUrl(urls[key] ?? null);
      return href ? [{ href, text }] : [];
    });
    const image = safeUrl(urls.imageURL ?? null);
    alerts.push({
      ...alert,
      summary: alert.summary ?? (title ? truncate(title, ALERT_LIMITS.summaryLength) : null),
      links,
      images: image ? [{ src: image, href: null, alt: null }] : [],
      details,
    });
  }
  problems.throwIfAny('Grafana webhook');
  return alerts;
}
