import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function isLogLevel(level: string): boolean {
  return (LEVELS as readonly string[]).includes(level);
}

/** JSON lines on stderr, so stdout stays for what the operator must read (URL, token). */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { service: 'firebreak' } }, pino.destination(2));
}
