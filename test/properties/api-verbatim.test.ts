/**
 * Hostile but valid text — SQL, shell and template metacharacters, emoji,
 * bidirectional marks, strings at the schema limits — is stored verbatim and
 * comes back exactly through every read (the incident, the list, the timeline,
 * the events table), and nothing in it is ever executed. Text the database
 * cannot hold (NUL, lone surrogates) is refused with a 400 that changes nothing.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { describeExchange, jsonHeaders, send, sendChecked, type RawRequest, type RawResponse } from './harness.ts';

const MARKER = `/tmp/firebreak-pwned-${randomBytes(6).toString('hex')}`;

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ timers: false });
});
afterAll(async () => {
  await t?.stop();
  expect(existsSync(MARKER), `${MARKER} exists: some text was run as a command`).toBe(false);
});

/** Fragments that mean something to SQL, shells, templates, HTML, printf, JSON or Unicode layout. */
const FRAGMENTS = [
  "'; DROP TABLE incidents; --",
  '" OR 1=1 --',
  "Robert'); DROP TABLE timeline;--",
  "' UNION SELECT token_hash FROM api_tokens --",
  '\\',
  '\\\\',
  '"',
  "'",
  '%',
  '_',
  '\\%',
  `$(touch ${MARKER})`,
  `\`touch ${MARKER}\``,
  `; touch ${MARKER}`,
  `| touch ${MARKER}`,
  `&& touch ${MARKER} &&`,
  `\ntouch ${MARKER}\n`,
  '${PATH}',
  '$HOME',
  '{{ 7 * 7 }}',
  '{% raw %}',
  '#{7*7}',
  '<script>alert(1)</script>',
  '<!--',
  '%s%s%n%x',
  '\r\n',
  '\t',
  '\u2028\u2029',
  '🔥',
  '👩‍🚒',
  '🏳️‍🌈',
  '\u202e',
  '\u200f',
  '\u200b',
  '\ufeff',
  'é',
  'e\u0301',
  '漢字',
  'مرحبا',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\uffff',
  '\ud83d\ude00',
  'null',
  'undefined',
  '__proto__',
  '[object Object]',
] as const;

const codePoints = (text: string) => [...text].length;

/** A string of at most `max` code points (the unit the schema limits count). */
const hostileText = (max: number, min = 1): fc.Arbitrary<string> =>
  fc
    .oneof(
      { arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')), weight: 5 },
      { arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: 40 }), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: 40 }), weight: 2 },
      // At the limit: many code points, many UTF-16 units, many bytes.
      { arbitrary: fc.constantFrom('x', '🔥', 'é', "'", '\\').map((unit) => unit.repeat(max)), weight: 1 },
    )
    .map((text) => [...text].slice(0, max).join(''))
    .filter((text) => codePoints(text) >= min);

/** NUL and lone surrogates: JSON can carry them, the database cannot store them verbatim. */
const unstorable = (text: string) => text.includes('\u0000') || !text.isWellFormed();

/** Mostly storable text, sometimes with NUL or a lone surrogate spliced in. */
const anyText = (max: number, min = 1) =>
  fc.oneof(
    { arbitrary: hostileText(max, min), weight: 6 },
    {
      arbitrary: fc
        .tuple(hostileText(Math.max(min, max - 1), min), fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\ud83d'), fc.nat())
        .map(([text, bad, at]) => {
          const points = [...text];
          const i = points.length === 0 ? 0 : at % points.length;
          return [...points.slice(0, i), bad, ...points.slice(i + 1)].join('');
        }),
      weight: 1,
    },
  );

async function post(path: string, body: unknown, method = 'POST'): Promise<{ req: RawRequest; res: RawResponse }> {
  const req: RawRequest = { method, path, headers: jsonHeaders(), body: JSON.stringify(body) };
  const res = await sendChecked(t.url, t.server.services.store, req);
  return { req, res };
}

async function get(path: string): Promise<any> {
  const res = await send(t.url, { method: 'GET', path, headers: jsonHeaders() });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.json;
}

/** Either stored (2xx) or, for text the database cannot hold, refused with 400; sendChecked has already shown a 4xx changed nothing. */
function expectStoredOrRefused(text: string, req: RawRequest, res: RawResponse, created = 201): boolean {
  if (unstorable(text)) {
    expect(res.status, describeExchange(req, res)).toBe(400);
    return false;
  }
  expect(res.status, describeExchange(req, res)).toBe(created);
  return true;
}

async function declare(title: string): Promise<string> {
  const { req, res } = await post('/api/v1/incidents', { title, severity: 'P2' });
  if (res.status !== 201) throw new Error(describeExchange(req, res));
  return (res.json as { id: string }).id;
}

describe('hostile text round-trips exactly', () => {
  it('titles and summaries: declare, read one, list, timeline, events, edit', async () => {
    await fc.assert(
      fc.asyncProperty(anyText(200), anyText(20_000, 0), anyText(200), anyText(20_000, 0), async (title, summary, newTitle, newSummary) => {
        const { req, res } = await post('/api/v1/incidents', { title, severity: 'P2', summary });
        if (unstorable(title) || unstorable(summary)) {
          expect(res.status, describeExchange(req, res)).toBe(400);
          return;
        }
        expect(res.status, describeExchange(req, res)).toBe(201);
        const created = res.json as { id: string; title: string; summary: string };
        expect(created.title).toBe(title);
        expect(created.summary).toBe(summary);

        const one = await get(`/api/v1/incidents/${created.id}`);
        expect(one.title).toBe(title);
        expect(one.summary).toBe(summary);
        const listed = (await get('/api/v1/incidents?limit=500')).items.find((i: { id: string }) => i.id === created.id);
        expect(listed?.title).toBe(title);
        expect(listed?.summary).toBe(summary);

        const declared = (await get(`/api/v1/incidents/${created.id}/timeline`)).items[0];
        expect(declared.kind).toBe('declared');
        expect(declared.text.startsWith('Declared P2 (')).toBe(true);
        expect(declared.text.endsWith(`): ${title}`)).toBe(true);
        const event = await t.server.services.store.db
          .selectFrom('events')
          .select('data')
          .where('incident_id', '=', created.id)
          .where('type', '=', 'incident.declared')
          .executeTakeFirstOrThrow();
        expect(JSON.parse(event.data).title).toBe(title);

        const edit = await post(`/api/v1/incidents/${created.id}`, { title: newTitle, summary: newSummary }, 'PATCH');
        if (!expectStoredOrRefused(newTitle + newSummary, edit.req, edit.res, 200)) return;
        const after = await get(`/api/v1/incidents/${created.id}`);
        expect(after.title).toBe(newTitle);
        expect(after.summary).toBe(newSummary);
        const entries = (await get(`/api/v1/incidents/${created.id}/timeline`)).items as Array<{ kind: string; text: string; data: any }>;
        const titleEntry = entries.find((e) => e.kind === 'title');
        if (newTitle !== title) {
          expect(titleEntry?.text).toBe(`Title changed to "${newTitle}"`);
          expect(titleEntry?.data).toEqual({ from: title, to: newTitle });
        } else {
          expect(titleEntry).toBeUndefined();
        }
        const summaryEntry = entries.find((e) => e.kind === 'summary');
        if (newSummary !== summary) expect(summaryEntry?.data).toEqual({ from: summary, to: newSummary });
      }),
      { numRuns: 50 },
    );
  });

  it('notes, stakeholder updates, acknowledgement comments and reminders: on the timeline as sent', async () => {
    const id = await declare('timeline text');
    await fc.assert(
      fc.asyncProperty(anyText(20_000), anyText(20_000), anyText(2000), anyText(2000, 0), async (note, update, reminder, comment) => {
        const noted = await post(`/api/v1/incidents/${id}/notes`, { text: note });
        if (expectStoredOrRefused(note, noted.req, noted.res)) {
          const entry = noted.res.json as { id: string; kind: string; text: string };
          expect(entry.text).toBe(note);
          const stored = (await get(`/api/v1/incidents/${id}/timeline?limit=5000`)).items.find((e: { id: string }) => e.id === entry.id);
          expect(stored?.kind).toBe('note');
          expect(stored?.text).toBe(note);
        }

        const posted = await post(`/api/v1/incidents/${id}/updates`, { message: update, public: true });
        if (expectStoredOrRefused(update, posted.req, posted.res)) {
          const entry = (posted.res.json as { entry: { id: string; text: string } }).entry;
          expect(entry.text).toBe(update);
          const stored = (await get(`/api/v1/incidents/${id}/timeline?limit=5000`)).items.find((e: { id: string }) => e.id === entry.id);
          expect(stored?.kind).toBe('update');
          expect(stored?.text).toBe(update);
          expect(stored?.data).toEqual({ public: true });
        }

        const set = await post(`/api/v1/incidents/${id}/reminders`, { message: reminder, in: '1ms' });
        if (expectStoredOrRefused(reminder, set.req, set.res)) {
          expect((set.res.json as { message: string }).message).toBe(reminder);
          await new Promise((resolve) => setTimeout(resolve, 5));
          await t.server.fireDueTimers();
          const texts = (await get(`/api/v1/incidents/${id}/timeline?limit=5000`)).items
            .filter((e: { kind: string }) => e.kind === 'reminder')
            .map((e: { text: string }) => e.text);
          expect(texts).toContain(`Reminder: ${reminder}`);
        }

        const fresh = await declare('to acknowledge');
        const ack = await post(`/api/v1/incidents/${fresh}/ack`, { comment });
        if (expectStoredOrRefused(comment, ack.req, ack.res, 200)) {
          const entry = (await get(`/api/v1/incidents/${fresh}/timeline`)).items.find((e: { kind: string }) => e.kind === 'acknowledged');
          // The comment is trimmed by design; what is inside is kept exactly.
          const trimmed = comment.trim();
          expect(entry?.text).toBe(trimmed ? `Acknowledged: ${trimmed}` : 'Acknowledged');
          expect(entry?.data).toEqual({ comment: trimmed });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('token names: stored as sent (trimmed), never echoed with the secret', async () => {
    await fc.assert(
      // At most 100 UTF-16 units; names of 100 characters beyond the BMP are tested below.
      fc.asyncProperty(anyText(100).filter((name) => name.trim().length <= 100), async (name) => {
        const { req, res } = await post('/api/v1/tokens', { name, role: 'viewer' });
        if (unstorable(name) || name.trim() === '') {
          expect(res.status, describeExchange(req, res)).toBe(400);
          return;
        }
        expect(res.status, describeExchange(req, res)).toBe(201);
        const created = res.json as { token: string; record: { id: string; name: string } };
        expect(created.record.name).toBe(name.trim());
        const listed = (await get('/api/v1/tokens')).items.find((r: { id: string }) => r.id === created.record.id);
        expect(listed?.name).toBe(name.trim());
        expect(JSON.stringify(listed)).not.toContain(created.token);
      }),
      { numRuns: 40 },
    );
  });

  // JSON Schema counts code points, so the domain must too, not UTF-16 units.
  it('a token name of 100 characters outside the BMP (100 emoji) is accepted, as the schema says', async () => {
    const name = '🔥'.repeat(100);
    const { req, res } = await post('/api/v1/tokens', { name, role: 'viewer' });
    expect(res.status, describeExchange(req, res)).toBe(201);
    expect((res.json as { record: { name: string } }).record.name).toBe(name);
  });

  it('nothing sent was ever executed', () => {
    expect(existsSync(MARKER)).toBe(false);
  });
});
