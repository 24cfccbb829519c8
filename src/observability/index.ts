/** Logs and metrics of Firebreak itself. */
export { Metrics } from './metrics.ts';
export { createLogger, isLogLevel, type Logger } from './logger.ts';
