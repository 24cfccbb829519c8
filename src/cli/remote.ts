import { ApiClient, DEFAULT_SERVER_URL } from './client.ts';
import type { Invocation } from './command.ts';
import { UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { formatJson } from './output.ts';

/** The API client for a command: `--server`/FIREBREAK_URL and `--token`/FIREBREAK_TOKEN. */
export function connect({ io, options, usage }: Invocation): ApiClient {
  const server = options.string('server') ?? nonEmpty(io.env.FIREBREAK_URL) ?? DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`'${server}' is not a URL; pass the server like --server http://127.0.0.1:8080`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`'${server}' is not an http:// or https:// URL`, usage);
  }
  const token = options.string('token') ?? nonEmpty(io.env.FIREBREAK_TOKEN);
  return new ApiClient({ baseUrl: server, token, fetch: io.fetch });
}

/** Prints the raw JSON with --json, else the human rendering; returns exit code 0. */
export function respond(invocation: Invocation, value: unknown, human: () => string): number {
  printLine(invocation.io.stdout, invocation.options.flag('json') ? formatJson(value) : human());
  return 0;
}

export const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);
