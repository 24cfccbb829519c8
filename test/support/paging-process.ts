import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleConfigText } from './server.ts';

/**
 * Paging tests and the paging benchmark need a real `firebreak serve` process
 * whose channels point at local receivers, so the example configuration is
 * rewritten into a file of the test's own (as test/paging/paging.test.ts does
 * in process), and the server is started on that file.
 */

export interface PagingConfigOptions {
  /** Where the `pager-bridge` webhook channel posts. */
  webhookUrl: string;
  /** The port of the `email` channel's SMTP server (default: the example's 2525). */
  smtpPort?: number;
  /** Replaces every escalation level's `timeout: 15m`. */
  escalationTimeout?: string;
  /** Replaces the default rule `{ channel: email, after: 5m }`'s delay. */
  emailAfter?: string;
}

function replaceExactly(text: string, from: string, to: string, times: number): string {
  const found = text.split(from).length - 1;
  if (found !== times) throw new Error(`examples/firebreak.yaml changed: expected ${times}× "${from}", found ${found}`);
  return text.split(from).join(to);
}

/** Writes the example configuration, rewritten as asked, to `dir/firebreak.yaml`; returns its path. */
export function writePagingConfig(dir: string, options: PagingConfigOptions): string {
  let config = exampleConfigText();
  config = replaceExactly(config, 'url: http://127.0.0.1:9099/firebreak', `url: ${options.webhookUrl}`, 1);
  if (options.smtpPort !== undefined) config = replaceExactly(config, 'port: 2525', `port: ${options.smtpPort}`, 1);
  if (options.escalationTimeout !== undefined) config = replaceExactly(config, 'timeout: 15m', `timeout: ${options.escalationTimeout}`, 2);
  if (options.emailAfter !== undefined) {
    config = replaceExactly(config, '{ channel: email, after: 5m }', `{ channel: email, after: ${options.emailAfter} }`, 1);
  }
  const path = join(dir, 'firebreak.yaml');
  writeFileSync(path, config);
  return path;
}

/** The paging tests' servers are ordinary child-process servers on a rewritten configuration. */
export { spawnServer as spawnPagingServer } from './process.ts';
