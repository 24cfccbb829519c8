import { isDomainError } from '../../core/errors.ts';
import {
  DEFAULT_GENERIC_MAPPING,
  contentOf,
  parseAlertmanagerWebhook,
  parseGenericWebhook,
  parseGrafanaWebhook,
  type GenericMapping,
  type IncomingAlert,
  type OpenAlertsUpdate,
  type ParsedAlerts,
} from '../../alerts/index.ts';
import { JsonSyntaxError, parseJsonBody } from '../json.ts';

/** The webhooks whose bodies may be parsed off the event loop (PagerDuty events are one alert each). */
export type WebhookKind = 'alertmanager' | 'grafana' | 'generic';

/** What to parse: the source's kind, its integration and the generic integration's mapping, and `now` for alerts without times. */
export interface WebhookRequest {
  kind: WebhookKind;
  integrationId: string;
  mapping: GenericMapping | null;
  now: number;
}

/** A webhook's JSON, already parsed, as alerts (throws DomainError `invalid` naming every problem). */
export function readWebhook(request: WebhookRequest, body: unknown): IncomingAlert[] {
  switch (request.kind) {
    case 'alertmanager':
      return parseAlertmanagerWebhook(body, request.now);
    case 'grafana':
      return parseGrafanaWebhook(body, request.now);
    case 'generic':
      return parseGenericWebhook(body, request.mapping ?? DEFAULT_GENERIC_MAPPING, request.now);
  }
}

/** A refusal that crosses to another thread and is thrown there as it was thrown here. */
export type Refusal =
  | { kind: 'domain'; code: string; message: string; details: unknown }
  | { kind: 'json'; message: string };

/** A parser thread's answer: the alerts, the sender's mistake, or a failure of the parser itself. */
export type ParseAnswer = { parsed: ParsedAlerts } | { refused: Refusal } | { failed: string };

/**
 * A parser thread's copy of the open alerts (AlertPipeline.openAlerts): by
 * integration and dedup key, the content of each alert that is open in an
 * incident, as of `version`.
 */
export class OpenAlertsCopy {
  private readonly byIntegration = new Map<string, Map<string, string>>();
  version = -1;

  apply(update: OpenAlertsUpdate): void {
    if (update.reset) this.byIntegration.clear();
    for (const [integrationId, dedupKey, content] of update.changes) {
      let alerts = this.byIntegration.get(integrationId);
      if (content === null) {
        alerts?.delete(dedupKey);
        continue;
      }
      if (!alerts) {
        alerts = new Map();
        this.byIntegration.set(integrationId, alerts);
      }
      alerts.set(dedupKey, content);
    }
    this.version = update.version;
  }

  /** Every alert fires with the content of the open alert of its dedup key. */
  allRepeats(integrationId: string, parsed: Pick<ParsedAlerts, 'dedupKeys' | 'statuses' | 'contents'>): boolean {
    const open = this.byIntegration.get(integrationId);
    if (!open || this.version < 0) return false;
    for (let i = 0; i < parsed.dedupKeys.length; i++) {
      if (parsed.statuses[i] !== 'firing' || open.get(parsed.dedupKeys[i]!) !== parsed.contents[i]) return false;
    }
    return true;
  }
}

/**
 * The whole of a parser thread's work on one body (see WebhookParser): the
 * alerts, or just the claim that they all repeat open alerts (unless `full`
 * asks for them whatever the copy says).
 */
export function parseWebhookBody(request: WebhookRequest, body: Buffer, open: OpenAlertsCopy, full: boolean): ParseAnswer {
  let alerts: IncomingAlert[];
  try {
    alerts = readWebhook(request, parseJsonBody(body));
  } catch (error) {
    if (isDomainError(error)) return { refused: { kind: 'domain', code: error.code, message: error.message, details: error.details } };
    if (error instanceof JsonSyntaxError) return { refused: { kind: 'json', message: error.message } };
    return { failed: error instanceof Error ? error.message : String(error) };
  }
  const summary = { dedupKeys: alerts.map((alert) => alert.dedupKey), statuses: alerts.map((alert) => alert.status), contents: alerts.map(contentOf) };
  if (!full && open.allRepeats(request.integrationId, summary)) {
    return { parsed: { dedupKeys: summary.dedupKeys, statuses: summary.statuses, contents: [], json: null, repeatsAsOf: open.version } };
  }
  return { parsed: { ...summary, json: JSON.stringify(alerts), repeatsAsOf: null } };
}
