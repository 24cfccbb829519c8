import { isDomainError, type DomainError } from '../core/errors.ts';
import { configInvalid } from './problems.ts';
import type { Config } from './schema.ts';

export type ConfigReloadResult = { ok: true; config: Config; changed: boolean } | { ok: false; error: DomainError };

export type ConfigChangeListener = (next: Config, previous: Config) => void;

export interface ConfigHolderOptions {
  /** A listener that throws must not stop the others or fail the reload; it is reported here. */
  onListenerError?: (error: unknown) => void;
}

/**
 * The config in force. A reload validates the new file completely before it
 * replaces anything, so a bad edit leaves the running config untouched.
 */
export class ConfigHolder {
  private config: Config;
  private readonly loader: () => Promise<Config>;
  private readonly listeners = new Set<ConfigChangeListener>();
  private readonly onListenerError: (error: unknown) => void;
  /** Reloads run one at a time, so that a slow older read cannot overwrite a newer one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(initial: Config, loader: () => Promise<Config>, options: ConfigHolderOptions = {}) {
    this.config = initial;
    this.loader = loader;
    this.onListenerError = options.onListenerError ?? (() => {});
  }

  current(): Config {
    return this.config;
  }

  reload(): Promise<ConfigReloadResult> {
    const result = this.queue.then(() => this.reloadNow());
    this.queue = result;
    return result;
  }

  /** Called only when a reload brings a different file; returns a function that unsubscribes. */
  onChange(listener: ConfigChangeListener): () => void {
    // Wrapping makes each subscription distinct, so subscribing one function twice needs two unsubscribes.
    const subscription: ConfigChangeListener = (next, previous) => listener(next, previous);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  private async reloadNow(): Promise<ConfigReloadResult> {
    let next: Config;
    try {
      next = await this.loader();
    } catch (error) {
      return { ok: false, error: asConfigError(error) };
    }
    const previous = this.config;
    const changed = next.source.sha256 !== previous.source.sha256;
    if (!changed) return { ok: true, config: previous, changed: false };
    this.config = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next, previous);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    return { ok: true, config: next, changed: true };
  }
}

function asConfigError(error: unknown): DomainError {
  if (isDomainError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return configInvalid([{ path: '', message: `the config could not be loaded: ${message}`, fix: 'check the file and try the reload again' }]);
}
