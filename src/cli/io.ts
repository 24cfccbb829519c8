/**
 * Everything the CLI touches in the outside world, passed in so that tests can
 * capture output, fix the time and the environment, and answer HTTP themselves.
 */

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface InputStream extends AsyncIterable<string | Buffer> {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface Io {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: InputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => number;
  readonly fetch: typeof globalThis.fetch;
  readonly signals: SignalSource;
  /** IANA zone for displayed times; undefined means the machine's local zone. */
  readonly timeZone?: string;
}

export function createIo(overrides: Partial<Io> = {}): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: Date.now,
    fetch: globalThis.fetch,
    signals: process,
    ...overrides,
  };
}

export function printLine(stream: OutputStream, text = ''): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
