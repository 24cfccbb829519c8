import { ALERT_LIMITS, type IncomingAlert } from '../model.ts';
import {
  ANNOTATION_LIMITS,
  child,
  describeJson,
  isObject,
  own,
  readOptionalString,
  readStringMap,
  readTimestamp,
  safeUrl,
  labelSetKey,
  truncate,
  type JsonObject,
  type Problems,
} from './wire.ts';

/**
 * Alertmanager's webhook (version 4) and Grafana's (version 1, Grafana embeds an
 * Alertmanager) share their envelope and alert shape; this reads what they share.
 */
export interface Envelope {
  alerts: Array<{ raw: JsonObject; field: string }>;
  receiver: string | null;
  status: 'firing' | 'resolved' | null;
  groupKey: string | null;
  externalUrl: string | null;
  truncatedAlerts: number;
}

const TEXT = ALERT_LIMITS.labelValueLength;

export function readEnvelope(body: unknown, version: string, problems: Problems): Envelope | null {
  if (!isObject(body)) {
    problems.add('body', `must be a JSON object, not ${describeJson(body)}`);
    return null;
  }
  const sent = own(body, 'version');
  if (sent !== undefined && sent !== version) {
    problems.add('version', `is ${JSON.stringify(sent)}; only version "${version}" is understood`);
  }
  const status = own(body, 'status');
  const envelopeStatus = status === 'firing' || status === 'resolved' ? status : null;
  const truncated = own(body, 'truncatedAlerts');
  if (truncated !== undefined && truncated !== null && !(typeof truncated === 'number' && Number.isInteger(truncated) && truncated >= 0)) {
    problems.add('truncatedAlerts', `must be a whole number of at least 0, not ${describeJson(truncated)}`);
  }
  const envelope: Envelope = {
    alerts: [],
    receiver: readOptionalString(body, 'receiver', 'receiver', problems, TEXT),
    status: envelopeStatus,
    groupKey: readOptionalString(body, 'groupKey', 'groupKey', problems, TEXT),
    externalUrl: safeUrl(readOptionalString(body, 'externalURL', 'externalURL', problems, TEXT)),
    truncatedAlerts: typeof truncated === 'number' && Number.isInteger(truncated) && truncated > 0 ? truncated : 0,
  };
  const alerts = own(body, 'alerts');
  if (!Array.isArray(alerts)) {
    problems.add('alerts', alerts === undefined ? 'is missing' : `must be a list of alerts, not ${describeJson(alerts)}`);
    return envelope;
  }
  if (alerts.length > ALERT_LIMITS.alertsPerRequest) {
    problems.add('alerts', `has ${alerts.length} alerts; at most ${ALERT_LIMITS.alertsPerRequest} are accepted per request`);
    return envelope;
  }
  alerts.forEach((raw, index) => {
    const field = child('alerts', index);
    if (isObject(raw)) envelope.alerts.push({ raw, field });
    else problems.add(field, `must be an object, not ${describeJson(raw)}`);
  });
  return envelope;
}

/**
 * One alert of the shared shape: status, labels, annotations, startsAt, endsAt,
 * generatorURL, fingerprint. Returns null if the alert has problems (already added).
 */
export function readAlert(raw: JsonObject, field: string, envelope: Envelope, now: number, problems: Problems): IncomingAlert | null {
  const before = problems.count;
  const sentStatus = own(raw, 'status');
  // Both senders always set it; a hand-written payload may rely on the envelope's.
  const status = sentStatus === undefined ? envelope.status : sentStatus;
  if (status === undefined || status === null) problems.add(child(field, 'status'), 'is missing; it must be "firing" or "resolved"');
  else if (status !== 'firing' && status !== 'resolved') {
    problems.add(child(field, 'status'), `must be "firing" or "resolved", not ${typeof status === 'string' ? JSON.stringify(truncate(status, 40)) : describeJson(status)}`);
  }
  // `field` is alerts[i], never empty: these are child(field, key), spelt out (they are built for every alert).
  const labelsField = `${field}.labels`;
  const rawLabels = own(raw, 'labels');
  // Alertmanager refuses label-less alerts too: without labels there is no identity.
  const labels = isObject(rawLabels) && Object.keys(rawLabels).length === 0 ? {} : readStringMap(rawLabels, labelsField, problems);
  if (isObject(rawLabels) && Object.keys(rawLabels).length === 0) problems.add(labelsField, 'must have at least one label');
  const rawAnnotations = own(raw, 'annotations');
  const annotations = rawAnnotations === undefined || rawAnnotations === null ? {} : readStringMap(rawAnnotations, `${field}.annotations`, problems, ANNOTATION_LIMITS);
  const startsAt = readTimestamp(raw, 'startsAt', `${field}.startsAt`, problems);
  const endsAt = readTimestamp(raw, 'endsAt', `${field}.endsAt`, problems);
  const generatorUrl = safeUrl(readOptionalString(raw, 'generatorURL', `${field}.generatorURL`, problems, TEXT));
  const fingerprint = readOptionalString(raw, 'fingerprint', `${field}.fingerprint`, problems, ALERT_LIMITS.dedupKeyLength);
  if (problems.count > before) return null;

  const summary = annotations.summary ?? annotations.description ?? labels.alertname ?? null;
  return {
    dedupKey: fingerprint !== null && fingerprint.length > 0 ? fingerprint : labelSetKey(labels),
    status: status as 'firing' | 'resolved',
    labels,
    annotations,
    summary: summary === null ? null : truncate(summary, ALERT_LIMITS.summaryLength),
    sourceSeverity: Object.hasOwn(labels, 'severity') ? labels.severity! : null,
    // An alert always started somewhere; a resolved one has ended by now at the latest.
    startsAt: startsAt ?? now,
    endsAt: endsAt ?? (status === 'resolved' ? now : null),
    generatorUrl,
    groupKey: envelope.groupKey,
    externalUrl: envelope.externalUrl,
    links: [],
    images: [],
    details: {
      ...(envelope.receiver ? { receiver: envelope.receiver } : {}),
      ...(envelope.truncatedAlerts > 0 ? { truncatedAlerts: envelope.truncatedAlerts } : {}),
    },
  };
}
