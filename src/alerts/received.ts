import type { IncomingAlert } from './model.ts';

/**
 * What a webhook parsed off the event loop hands over (structured-clone safe):
 * for each alert what a pure repeat is recognised by, and all the alerts as
 * JSON, to be read only if some of them are not pure repeats; or, instead of
 * contents and JSON, the claim that they all repeat open alerts.
 */
export interface ParsedAlerts {
  dedupKeys: string[];
  statuses: Array<IncomingAlert['status']>;
  /** contentOf(alert) of each; empty with `repeatsAsOf`. */
  contents: string[];
  /** JSON.stringify of the IncomingAlert[]; null with `repeatsAsOf` (then `load` reads them again if need be). */
  json: string | null;
  /**
   * Set when the parser found every alert firing, with the content of an open
   * alert in its copy of the open alerts at this version (OpenAlertsFeed).
   */
  repeatsAsOf: number | null;
}

/**
 * An alert's labels and annotations as one string: equal exactly when both
 * have the same keys in the same order with the same values (JSON text of a
 * string map is that), and two JSON objects end to end cannot run together.
 */
export const contentOf = (alert: Pick<IncomingAlert, 'labels' | 'annotations'>): string => JSON.stringify(alert.labels) + JSON.stringify(alert.annotations);

/**
 * The alerts of one request, as the pipeline takes them. Most deliveries of a
 * busy source repeat alerts it already holds, unchanged, and those need only
 * each alert's dedup key, status and content; the alerts themselves are built
 * when something else is needed (from the parsed JSON, once).
 */
export class ReceivedAlerts {
  private constructor(
    readonly dedupKeys: readonly string[],
    readonly statuses: ReadonlyArray<IncomingAlert['status']>,
    private readonly contents: Array<string | undefined>,
    private built: IncomingAlert[] | null,
    private readonly json: string | null,
    private readonly load: (() => Promise<IncomingAlert[]>) | null,
    /** See ParsedAlerts.repeatsAsOf. */
    readonly repeatsAsOf: number | null,
  ) {}

  /** Alerts parsed here, on the event loop. */
  static of(alerts: IncomingAlert[]): ReceivedAlerts {
    return new ReceivedAlerts(
      alerts.map((alert) => alert.dedupKey),
      alerts.map((alert) => alert.status),
      new Array<string | undefined>(alerts.length),
      alerts,
      null,
      null,
      null,
    );
  }

  /** Alerts parsed elsewhere (a parser thread); `load` reads them again if the parser left them out. */
  static parsed(parsed: ParsedAlerts, load: () => Promise<IncomingAlert[]>): ReceivedAlerts {
    return new ReceivedAlerts(parsed.dedupKeys, parsed.statuses, parsed.contents, null, parsed.json, load, parsed.repeatsAsOf);
  }

  get length(): number {
    return this.dedupKeys.length;
  }

  content(index: number): string {
    let content = this.contents[index];
    if (content === undefined) {
      content = contentOf(this.built![index]!);
      this.contents[index] = content;
    }
    return content;
  }

  async alerts(): Promise<IncomingAlert[]> {
    this.built ??= this.json !== null ? (JSON.parse(this.json) as IncomingAlert[]) : await this.load!();
    return this.built;
  }
}
