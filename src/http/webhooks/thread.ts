import { parentPort } from 'node:worker_threads';
import { parseWebhookBody, SeenAlerts, type WebhookRequest } from './parse.ts';

/** One body to parse, as the event loop sends it (the body's bytes are handed over, not copied). */
export interface ParseJob extends WebhookRequest {
  id: number;
  body: ArrayBuffer;
  /** The alerts' JSON is wanted, repeats or not. */
  full: boolean;
}

/** Alerts remembered by this thread (about 200 bytes each). */
const SEEN_LIMIT = 200_000;

const port = parentPort!;
const seen = new SeenAlerts(SEEN_LIMIT);
port.on('message', (job: ParseJob) => {
  port.postMessage({ id: job.id, ...parseWebhookBody(job, Buffer.from(job.body), seen, job.full) });
});
port.postMessage({ ready: true });
