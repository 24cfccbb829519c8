/**
 * One alert as every ingest adapter hands it to the pipeline, whatever its
 * source's wire format. Times are epoch milliseconds (UTC).
 */
export interface IncomingAlert {
  /** Identity for dedup within one integration: Alertmanager fingerprint, PagerDuty dedup_key, … */
  dedupKey: string;
  /** `acknowledged` only comes from PagerDuty's acknowledge action. */
  status: 'firing' | 'resolved' | 'acknowledged';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** One line for people: PagerDuty payload.summary, the summary annotation, Grafana's title. */
  summary: string | null;
  /** The source's own severity word (critical, error, warning, info …), before mapping. */
  sourceSeverity: string | null;
  startsAt: number | null;
  endsAt: number | null;
  generatorUrl: string | null;
  /** Alertmanager's groupKey, Grafana's groupKey, PagerDuty's payload.group. */
  groupKey: string | null;
  externalUrl: string | null;
  links: Array<{ href: string; text: string | null }>;
  images: Array<{ src: string; href: string | null; alt: string | null }>;
  /** Everything else worth keeping: PagerDuty custom_details, class, component, source … */
  details: Record<string, unknown>;
}

/** A PagerDuty change event: it opens nothing, it lands on the affected service's timeline. */
export interface IncomingChange {
  summary: string;
  source: string | null;
  timestamp: number | null;
  links: Array<{ href: string; text: string | null }>;
  details: Record<string, unknown>;
}

/** Limits every adapter enforces, so hostile payloads are refused before they reach storage. */
export const ALERT_LIMITS = {
  alertsPerRequest: 1000,
  labelsPerAlert: 128,
  labelNameLength: 256,
  labelValueLength: 8192,
  summaryLength: 4096,
  dedupKeyLength: 255,
  linksPerAlert: 50,
  detailsJsonLength: 65536,
} as const;
