export interface SseEvent {
  id: string;
  event: string;
  data: any;
}

/**
 * Reads a Server-Sent Events stream with fetch, as a browser's EventSource
 * would; `token` null sends only the headers given (a session cookie, say).
 * `ended` settles when the server closes the stream.
 */
export async function openEventStream(url: string, token: string | null, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const done = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => line && !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
          );
          if (fields.data !== undefined) events.push({ id: fields.id ?? '', event: fields.event ?? 'message', data: JSON.parse(fields.data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    response,
    events,
    ended: done,
    close: async () => {
      controller.abort();
      await done;
    },
  };
}
