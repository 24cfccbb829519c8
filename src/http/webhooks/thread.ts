import { parentPort } from 'node:worker_threads';
import type { OpenAlertsUpdate } from '../../alerts/index.ts';
import { OpenAlertsCopy, parseWebhookBody, type WebhookRequest } from './parse.ts';

/** One body to parse, as the event loop sends it (the body's bytes are handed over, not copied). */
export interface ParseJob extends WebhookRequest {
  id: number;
  body: ArrayBuffer;
  /** The alerts' JSON is wanted, repeats or not. */
  full: boolean;
}

/** What the event loop sends: a body to parse, or an update of the open alerts. */
export type ThreadMessage = { job: ParseJob } | { openAlerts: OpenAlertsUpdate };

const port = parentPort!;
const open = new OpenAlertsCopy();
port.on('message', (message: ThreadMessage) => {
  if ('openAlerts' in message) open.apply(message.openAlerts);
  else port.postMessage({ id: message.job.id, ...parseWebhookBody(message.job, Buffer.from(message.job.body), open, message.job.full) });
});
port.postMessage({ ready: true });
