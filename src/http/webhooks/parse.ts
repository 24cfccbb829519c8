import { isDomainError } from '../../core/errors.ts';
import {
  DEFAULT_GENERIC_MAPPING,
  parseAlertmanagerWebhook,
  parseGenericWebhook,
  parseGrafanaWebhook,
  type GenericMapping,
  type IncomingAlert,
} from '../../alerts/index.ts';
import { contentOf, type ParsedAlerts } from '../../alerts/index.ts';
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
 * What a parser thread remembers of the alerts it has read, by integration and
 * dedup key: their content as last seen firing. A request whose alerts all
 * fire again as they were is most likely answered as repeats, so their JSON is
 * left out of the answer (the event loop asks again in the rare case it needs
 * them). Forgetting is always safe.
 */
export class SeenAlerts {
  private readonly byIntegration = new Map<string, Map<string, string>>();
  private size = 0;

  constructor(private readonly limit: number) {}

  allRepeats(integrationId: string, parsed: Pick<ParsedAlerts, 'dedupKeys' | 'statuses' | 'contents'>): boolean {
    const seen = this.byIntegration.get(integrationId);
    if (!seen) return false;
    for (let i = 0; i < parsed.dedupKeys.length; i++) {
      if (parsed.statuses[i] !== 'firing' || seen.get(parsed.dedupKeys[i]!) !== parsed.contents[i]) return false;
    }
    return true;
  }

  remember(integrationId: string, parsed: Pick<ParsedAlerts, 'dedupKeys' | 'statuses' | 'contents'>): void {
    let seen = this.byIntegration.get(integrationId);
    if (!seen) {
      seen = new Map();
      this.byIntegration.set(integrationId, seen);
    }
    for (let i = 0; i < parsed.dedupKeys.length; i++) {
      const key = parsed.dedupKeys[i]!;
      if (parsed.statuses[i] !== 'firing') {
        if (seen.delete(key)) this.size--;
        continue;
      }
      if (!seen.has(key)) {
        if (this.size >= this.limit) {
          this.byIntegration.clear();
          this.size = 0;
          return this.remember(integrationId, parsed);
        }
        this.size++;
      }
      seen.set(key, parsed.contents[i]!);
    }
  }

  forget(integrationId: string, dedupKeys: readonly string[]): void {
    const seen = this.byIntegration.get(integrationId);
    if (!seen) return;
    for (const key of dedupKeys) if (seen.delete(key)) this.size--;
  }
}

/**
 * The whole of a parser thread's work on one body (see WebhookParser). `full`:
 * the alerts' JSON is wanted whatever `seen` says (and `seen` forgets them, as
 * they were not the repeats it took them for).
 */
export function parseWebhookBody(request: WebhookRequest, body: Buffer, seen: SeenAlerts, full: boolean): ParseAnswer {
  let alerts: IncomingAlert[];
  try {
    alerts = readWebhook(request, parseJsonBody(body));
  } catch (error) {
    if (isDomainError(error)) return { refused: { kind: 'domain', code: error.code, message: error.message, details: error.details } };
    if (error instanceof JsonSyntaxError) return { refused: { kind: 'json', message: error.message } };
    return { failed: error instanceof Error ? error.message : String(error) };
  }
  const summary = { dedupKeys: alerts.map((alert) => alert.dedupKey), statuses: alerts.map((alert) => alert.status), contents: alerts.map(contentOf) };
  let repeats = false;
  if (full) seen.forget(request.integrationId, summary.dedupKeys);
  else {
    repeats = seen.allRepeats(request.integrationId, summary);
    if (!repeats) seen.remember(request.integrationId, summary);
  }
  return { parsed: { ...summary, json: repeats ? null : JSON.stringify(alerts) } };
}
