import type { Config } from '../config/schema.ts';
import type { Services } from '../core/context.ts';
import type { LiveEvent } from '../events/index.ts';
import { renderDocuments, type RenderedDocument, type StatusDocumentName } from './documents.ts';
import { STATUS_CHANGED_EVENT } from './manage.ts';
import { buildSnapshot } from './snapshot.ts';

/** Timeline entries that can change what the public sees. Notes, pages, runs and the like cannot. */
const VISIBLE_KINDS = new Set(['update', 'status', 'reopened', 'title', 'services', 'severity']);

interface Rendition {
  version: number;
  config: Config;
  validUntil: number;
  documents: Map<StatusDocumentName, RenderedDocument>;
}

export interface StatusPageOptions {
  /**
   * A safety net: rebuild at least this often even without an event (an event
   * lost with a dropped LISTEN connection, a write by an older version).
   */
  ttlMs?: number;
}

/**
 * The public status page, rendered once per change and served from memory.
 * A version counter moves on every event that can change what the page shows
 * (from this instance, or from others through the event bus); the next
 * request rebuilds, and requests that arrive meanwhile share that rebuild.
 */
export class StatusPage {
  private version = 0;
  private current: Rendition | null = null;
  private building: { version: number; promise: Promise<Rendition> } | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly ttlMs: number;

  constructor(
    private readonly services: Services,
    options: StatusPageOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  start(): void {
    this.unsubscribe ??= this.services.events.subscribe((event) => {
      if (affectsStatusPage(event)) this.version += 1;
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  async document(name: StatusDocumentName): Promise<RenderedDocument> {
    const current = this.current;
    if (current && current.version === this.version && current.config === this.services.config() && this.services.clock.now() < current.validUntil) {
      return current.documents.get(name)!;
    }
    return (await this.rebuild()).documents.get(name)!;
  }

  private rebuild(): Promise<Rendition> {
    const version = this.version;
    if (this.building && this.building.version === version) return this.building.promise;
    const promise = (async () => {
      const config = this.services.config();
      const now = this.services.clock.now();
      const snapshot = await buildSnapshot(this.services.store.repos, config, now);
      const rendition: Rendition = {
        version,
        config,
        validUntil: Math.min(now + this.ttlMs, snapshot.stableUntil),
        documents: renderDocuments(snapshot),
      };
      // A slower, older build must not replace a newer one.
      if (!this.current || this.current.version <= version) this.current = rendition;
      return rendition;
    })();
    const building = { version, promise };
    this.building = building;
    const clear = () => {
      if (this.building === building) this.building = null;
    };
    promise.then(clear, clear);
    return promise;
  }
}

function affectsStatusPage(event: LiveEvent): boolean {
  if (event.type === STATUS_CHANGED_EVENT) return true;
  if (event.type !== 'timeline.appended') return false;
  const entry = (event.data as { entry?: { kind?: unknown } }).entry;
  return typeof entry?.kind === 'string' && VISIBLE_KINDS.has(entry.kind);
}
