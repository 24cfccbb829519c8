import { ALERT_LIMITS, type IncomingAlert, type IncomingChange } from '../model.ts';
import { describeJson, isObject, jsonSize, own, parseTimestamp, safeUrl, truncate, type JsonObject } from './wire.ts';

/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`, `POST /v2/change/enqueue`), so that
 * anything that can page PagerDuty (Alertmanager's pagerduty_configs, Grafana, CI
 * jobs, pdpyras, go-pagerduty …) can page Firebreak by changing the URL.
 *
 * Errors are PagerDuty's: a list of sentences in the 400 answer. Where public
 * PagerDuty answers show the wording ("'payload.source' is missing or blank") it is
 * used; the rest follows the same pattern.
 */

export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export const PAGERDUTY_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PagerDutyAction = (typeof PAGERDUTY_ACTIONS)[number];

/** PagerDuty's documented limit on payload.summary; longer summaries are cut, as Alertmanager cuts them before sending. */
export const PAGERDUTY_SUMMARY_LENGTH = 1024;

const STATUS_OF: Record<PagerDutyAction, IncomingAlert['status']> = {
  trigger: 'firing',
  acknowledge: 'acknowledged',
  resolve: 'resolved',
};

export type PagerDutyEventResult = { ok: true; routingKey: string; alert: IncomingAlert } | { ok: false; errors: string[] };
export type PagerDutyChangeResult = { ok: true; routingKey: string; change: IncomingChange } | { ok: false; errors: string[] };

/** The 202 answer to an accepted alert event. */
export function pagerDutyAccepted(dedupKey: string): { status: 'success'; message: 'Event processed'; dedup_key: string } {
  return { status: 'success', message: 'Event processed', dedup_key: dedupKey };
}

/** The 400 answer to an event PagerDuty would refuse. */
export function pagerDutyInvalid(errors: string[]): { status: 'invalid event'; message: 'Event object is invalid'; errors: string[] } {
  return { status: 'invalid event', message: 'Event object is invalid', errors };
}

/** The 202 answer to an accepted change event. */
export function pagerDutyChangeAccepted(): { status: 'success'; message: 'Change event processed' } {
  return { status: 'success', message: 'Change event processed' };
}

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim().length === 0);

/** Reads the fields of one event, collecting PagerDuty-style error sentences. */
class EventReader {
  readonly errors: string[] = [];

  /** A string field: null when absent or empty; an error when of another type or too long. */
  text(object: JsonObject, key: string, name: string, maxLength: number = ALERT_LIMITS.labelValueLength): string | null {
    const value = own(object, key);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      this.errors.push(`'${name}' must be a string, not ${describeJson(value)}`);
      return null;
    }
    if (value.length > maxLength) {
      this.errors.push(`'${name}' is longer than ${maxLength} characters`);
      return null;
    }
    return value.length > 0 ? value : null;
  }

  /** A required, non-blank string. */
  required(object: JsonObject, key: string, name: string, maxLength?: number): string | null {
    if (isBlank(own(object, key))) {
      this.errors.push(`'${name}' is missing or blank`);
      return null;
    }
    return this.text(object, key, name, maxLength);
  }

  routingKey(body: JsonObject): string | null {
    return this.required(body, 'routing_key', 'routing_key', 200);
  }

  /** `links: [{href, text}]`; unsafe hrefs are dropped, malformed entries are errors. */
  links(body: JsonObject): Array<{ href: string; text: string | null }> {
    const links = own(body, 'links');
    if (links === undefined || links === null) return [];
    if (!Array.isArray(links)) {
      this.errors.push(`'links' must be a list, not ${describeJson(links)}`);
      return [];
    }
    if (links.length > ALERT_LIMITS.linksPerAlert) {
      this.errors.push(`'links' has ${links.length} entries; at most ${ALERT_LIMITS.linksPerAlert} are accepted`);
      return [];
    }
    return links.flatMap((link, index) => {
      if (!isObject(link)) {
        this.errors.push(`'links[${index}]' must be an object, not ${describeJson(link)}`);
        return [];
      }
      const href = this.required(link, 'href', `links[${index}].href`);
      const text = this.text(link, 'text', `links[${index}].text`);
      const safe = safeUrl(href);
      return safe ? [{ href: safe, text }] : [];
    });
  }

  /** `images: [{src, href, alt}]`, like links. */
  images(body: JsonObject): Array<{ src: string; href: string | null; alt: string | null }> {
    const images = own(body, 'images');
    if (images === undefined || images === null) return [];
    if (!Array.isArray(images)) {
      this.errors.push(`'images' must be a list, not ${describeJson(images)}`);
      return [];
    }
    if (images.length > ALERT_LIMITS.linksPerAlert) {
      this.errors.push(`'images' has ${images.length} entries; at most ${ALERT_LIMITS.linksPerAlert} are accepted`);
      return [];
    }
    return images.flatMap((image, index) => {
      if (!isObject(image)) {
        this.errors.push(`'images[${index}]' must be an object, not ${describeJson(image)}`);
        return [];
      }
      const src = this.required(image, 'src', `images[${index}].src`);
      const href = this.text(image, 'href', `images[${index}].href`);
      const alt = this.text(image, 'alt', `images[${index}].alt`);
      const safeSrc = safeUrl(src);
      return safeSrc ? [{ src: safeSrc, href: safeUrl(href), alt }] : [];
    });
  }

  /** Free-form details must stay small and shallow enough to store and serialise. */
  detailsFit(details: Record<string, unknown>, name: string): boolean {
    if (jsonSize(details, ALERT_LIMITS.detailsJsonLength) <= ALERT_LIMITS.detailsJsonLength) return true;
    this.errors.push(`'${name}' is larger than ${ALERT_LIMITS.detailsJsonLength} bytes of JSON or nested more than 64 levels deep`);
    return false;
  }
}

/**
 * One Events API v2 alert event. trigger → firing, acknowledge → acknowledged,
 * resolve → resolved.
 *
 * Labels are built from the payload so that matchers, silences and the catalog can
 * use them: `source`, `severity`, and `component`, `group`, `class` when given (empty
 * strings count as absent). There is no `alertname`: PagerDuty has no stable alert
 * name (the summary usually carries values), so rules that need a name should match
 * `class`. The summary is `summary`; payload.group is also the groupKey;
 * client_url is the generatorUrl when it is an http(s) URL.
 *
 * details keep `custom_details`, `client` and `client_url` as sent, and `timestamp` as
 * sent when it could not be read (the event is then dated `now`: a page is never
 * refused over a timestamp format).
 *
 * A trigger needs payload.summary, payload.source and payload.severity (one of
 * critical, error, warning, info) and gets `newDedupKey()` when it has no dedup_key;
 * acknowledge and resolve need a dedup_key and nothing else.
 */
export function parsePagerDutyEvent(body: unknown, now: number, newDedupKey: () => string): PagerDutyEventResult {
  if (!isObject(body)) return { ok: false, errors: [`Event object must be a JSON object, not ${describeJson(body)}`] };
  const read = new EventReader();
  const routingKey = read.routingKey(body);

  const rawAction = own(body, 'event_action');
  let action: PagerDutyAction | null = null;
  if (isBlank(rawAction)) read.errors.push("'event_action' is missing or blank");
  else if (typeof rawAction === 'string' && (PAGERDUTY_ACTIONS as readonly string[]).includes(rawAction)) action = rawAction as PagerDutyAction;
  else read.errors.push(`'event_action' must be one of ${PAGERDUTY_ACTIONS.join(', ')}`);
  const trigger = action === 'trigger';

  let dedupKey = read.text(body, 'dedup_key', 'dedup_key', ALERT_LIMITS.dedupKeyLength);
  if (dedupKey !== null && dedupKey.trim().length === 0) dedupKey = null;
  if (action !== null && !trigger && isBlank(own(body, 'dedup_key'))) read.errors.push("'dedup_key' is missing or blank");

  const rawPayload = own(body, 'payload');
  let payload: JsonObject = {};
  if (isObject(rawPayload)) payload = rawPayload;
  else if (rawPayload !== undefined && rawPayload !== null) read.errors.push(`'payload' must be an object, not ${describeJson(rawPayload)}`);

  // Only a trigger must describe the problem; acknowledge and resolve may repeat it.
  const field = (key: string) => (trigger ? read.required(payload, key, `payload.${key}`) : read.text(payload, key, `payload.${key}`));
  const summaryText = trigger
    ? read.required(payload, 'summary', 'payload.summary', Number.MAX_SAFE_INTEGER)
    : read.text(payload, 'summary', 'payload.summary', Number.MAX_SAFE_INTEGER);
  const source = field('source');
  const severity = field('severity');
  if (trigger && severity !== null && !(PAGERDUTY_SEVERITIES as readonly string[]).includes(severity)) {
    read.errors.push(`'payload.severity' must be one of ${PAGERDUTY_SEVERITIES.join(', ')}`);
  }
  const component = read.text(payload, 'component', 'payload.component');
  const group = read.text(payload, 'group', 'payload.group');
  const eventClass = read.text(payload, 'class', 'payload.class');
  const timestampText = read.text(payload, 'timestamp', 'payload.timestamp');
  const client = read.text(body, 'client', 'client');
  const clientUrl = read.text(body, 'client_url', 'client_url');
  const links = read.links(body);
  const images = read.images(body);

  const details: Record<string, unknown> = {};
  const customDetails = own(payload, 'custom_details');
  if (customDetails !== undefined && customDetails !== null) details.custom_details = customDetails;
  if (client !== null) details.client = client;
  if (clientUrl !== null) details.client_url = clientUrl;
  const timestamp = timestampText === null ? null : parseTimestamp(timestampText);
  if (timestampText !== null && timestamp === undefined) details.timestamp = timestampText;
  read.detailsFit(details, 'payload.custom_details');

  if (read.errors.length > 0 || routingKey === null || action === null) return { ok: false, errors: read.errors };

  const labels: Record<string, string> = {};
  if (source !== null) labels.source = source;
  if (severity !== null) labels.severity = severity;
  if (component !== null) labels.component = component;
  if (group !== null) labels.group = group;
  if (eventClass !== null) labels.class = eventClass;

  dedupKey ??= newDedupKey();
  return {
    ok: true,
    routingKey,
    alert: {
      dedupKey,
      status: STATUS_OF[action],
      labels,
      annotations: {},
      summary: summaryText === null ? null : truncate(summaryText, PAGERDUTY_SUMMARY_LENGTH),
      sourceSeverity: severity,
      startsAt: trigger ? (timestamp ?? now) : null,
      endsAt: action === 'resolve' ? now : null,
      generatorUrl: safeUrl(clientUrl),
      groupKey: group,
      externalUrl: null,
      links,
      images,
      details,
    },
  };
}

/**
 * One change event (a deploy, a config push): `routing_key`, `payload.summary`
 * (required), `payload.source`, `payload.timestamp`, `payload.custom_details`, `links`.
 * It opens nothing. details keep `custom_details`, and `timestamp` as sent when it
 * could not be read (the change is then undated).
 */
export function parsePagerDutyChange(body: unknown): PagerDutyChangeResult {
  if (!isObject(body)) return { ok: false, errors: [`Event object must be a JSON object, not ${describeJson(body)}`] };
  const read = new EventReader();
  const routingKey = read.routingKey(body);
  const rawPayload = own(body, 'payload');
  let payload: JsonObject = {};
  if (isObject(rawPayload)) payload = rawPayload;
  else if (rawPayload !== undefined && rawPayload !== null) read.errors.push(`'payload' must be an object, not ${describeJson(rawPayload)}`);
  const summary = read.required(payload, 'summary', 'payload.summary', Number.MAX_SAFE_INTEGER);
  const source = read.text(payload, 'source', 'payload.source');
  const timestampText = read.text(payload, 'timestamp', 'payload.timestamp');
  const links = read.links(body);

  const details: Record<string, unknown> = {};
  const customDetails = own(payload, 'custom_details');
  if (customDetails !== undefined && customDetails !== null) details.custom_details = customDetails;
  const timestamp = timestampText === null ? null : parseTimestamp(timestampText);
  if (timestampText !== null && timestamp === undefined) details.timestamp = timestampText;
  read.detailsFit(details, 'payload.custom_details');

  if (read.errors.length > 0 || routingKey === null || summary === null) return { ok: false, errors: read.errors };
  return {
    ok: true,
    routingKey,
    change: {
      summary: truncate(summary, PAGERDUTY_SUMMARY_LENGTH),
      source,
      timestamp: timestamp ?? null,
      links,
      details,
    },
  };
}
