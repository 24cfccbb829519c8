import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function isLogLevel(level: string): boolean {
  return (LEVELS as readonly string[]).includes(level);
}

/**
 * Some URLs carry a secret: integration keys (alert sources post to
 * /api/v1/integrations/{kind}/{key}), acknowledge links (/ack/{token}) and
 * calendar feeds (?token=). Logs show them masked.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/(\/api\/v1\/integrations\/(?:alertmanager|grafana|generic)\/)[^/?#]+/, '$1[redacted]')
    .replace(/(\/ack\/)[^/?#]+/, '$1[redacted]')
    .replace(/([?&]token=)[^&#]*/g, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** JSON lines on stderr, so stdout stays for what the operator must read (URL, token). */
export function createLogger(level = 'info', destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: { service: 'firebreak' },
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: redactUrl(request.url ?? ''),
          host: request.hostname,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
    },
    destination,
  );
}
