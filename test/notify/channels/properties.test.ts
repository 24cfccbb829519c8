import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discord, email, slackBot, slackWebhook, teams, verifyStandardWebhook, webhook, type NotificationMessage } from '../../../src/notify/channels/index.ts';
import { fitEscaped } from '../../../src/notify/channels/message.ts';
import { escapeSlack, escapeSlackChar } from '../../../src/notify/channels/slackBlocks.ts';
import { NOW, declared, strings } from './fixtures.ts';

/** Text as an attacker or an unlucky paste would write it: markup of every channel, line breaks, lone surrogates. */
const fragment = fc.constantFrom(
  '<!channel>',
  '<!here|here>',
  '<@U024BE7LH>',
  '<#C123|general>',
  '<https://evil.example|click>',
  '@everyone',
  '@here',
  '<@&123456789012345678>',
  '&amp;',
  '&',
  '<',
  '>',
  '*',
  '_',
  '~',
  '`',
  '```',
  '|',
  '||spoiler||',
  '[x](javascript:alert(1))',
  '{{DATE(2017-02-14T06:08:00Z, SHORT)}}',
  '<at>Ada</at>',
  '</b><script>',
  '"\'',
  '\r\n',
  '\n> quote',
  '# heading',
  '-# subtext',
  '\\',
  '\ud800',
  '\udc00x',
  '\u0000',
  '\u2028',
);
const hostileText = fc.array(fc.oneof(fragment, fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 12 }).map((parts) => parts.join(''));

const message = fc.record({ headline: hostileText, text: hostileText, title: hostileText, label: hostileText, value: hostileText, actionLabel: hostileText }).map(
  ({ headline, text, title, label, value, actionLabel }): NotificationMessage =>
    declared({
      headline,
      text,
      incident: { ...declared().incident!, title, services: [value] },
      fields: [{ label, value }],
      actions: [{ label: actionLabel, url: 'https://firebreak.example.com/ack/x?a=1&b=<2>' }],
    }),
);

const context = { now: NOW, env: {} };
const RUNS = { numRuns: 300 };

/** Every string of a JSON payload a person reads (URLs are data, not text). */
const readable = (payload: unknown) => strings(payload).filter((entry) => !/\.(?:url|avatar_url)$/.test(entry.path));

const unescapeSlack = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('rendering never breaks, whatever the text', () => {
  it('Slack payloads parse and contain no raw < or > in any text: nothing can ping or link', () => {
    fc.assert(
      fc.property(message, (input) => {
        for (const request of [
          slackWebhook.render(input, { kind: 'slack-webhook', id: 's', url: 'https://hooks.slack.com/services/x' }, context),
          slackBot.render(input, { kind: 'slack-bot', id: 's', channel: 'C1', token: 'xoxb-1' }, { ...context, threadTs: '1.2' }),
        ]) {
          const payload = JSON.parse(request.body);
          for (const { path, value } of readable(payload)) {
            expect(value, path).not.toMatch(/[<>]/);
            // Every & starts one of our three entities.
            expect(value.replace(/&(?:amp|lt|gt);/g, ''), path).not.toContain('&');
          }
          expect(payload.blocks[0].text.text.length).toBeLessThanOrEqual(150);
        }
      }),
      RUNS,
    );
  });

  it('Slack escaping is undone exactly by Slack’s entity decoding', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(unescapeSlack(escapeSlack(text))).toBe(text);
      }),
      RUNS,
    );
  });

  it('Discord payloads parse, never contain a mention, and escape every markdown character of user text', () => {
    fc.assert(
      fc.property(message, (input) => {
        const request = discord.render(input, { kind: 'discord', id: 'd', url: 'https://discord.com/api/webhooks/1/t' }, context);
        const payload = JSON.parse(request.body);
        expect(payload.allowed_mentions).toEqual({ parse: [] });
        for (const { path, value } of readable(payload)) {
          expect(value, path).not.toMatch(/@(?:everyone|here)|<@[!&]?\d|<#\d/);
        }
        const embed = payload.embeds[0];
        for (const text of [payload.content, embed.title, ...embed.fields.flatMap((field: any) => [field.name, field.value])]) {
          expect(firstUnescaped(text), text).toBeNull();
        }
      }),
      RUNS,
    );
  });

  it('Discord escaping shows the text as written once Discord drops the escapes', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const shown = discord.escapeDiscord(text).replace(/\\([^0-9A-Za-z\s])/g, '$1').replaceAll('\u200b', '');
        expect(shown).toBe(text.replaceAll('\u200b', ''));
      }),
      RUNS,
    );
  });

  it('Teams cards parse, keep user text out of Markdown elements and never form {{DATE()}}', () => {
    fc.assert(
      fc.property(message, (input) => {
        const request = teams.render(input, { kind: 'teams', id: 't', url: 'https://x.example/workflow' }, context);
        const card = JSON.parse(request.body).attachments[0].content;
        expect(card.body.every((element: any) => element.type === 'RichTextBlock')).toBe(true);
        for (const { path, value } of readable(card)) expect(value, path).not.toContain('{{');
        expect(card.body[0].inlines[0].text.replaceAll('\u200b', '')).toBe(fitLiteral(input.headline, 300));
      }),
      RUNS,
    );
  });

  it('webhook bodies parse, carry the text unchanged, and verify', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    fc.assert(
      fc.property(message, (input) => {
        const request = webhook.render(input, { kind: 'webhook', id: 'w', url: 'https://x.example/hook', secret }, context);
        const payload = JSON.parse(request.body);
        expect(payload.data.headline).toBe(input.headline.toWellFormed());
        expect(verifyStandardWebhook(secret, request.headers, request.body, NOW)).toBe(true);
        expect(verifyStandardWebhook(secret, request.headers, `${request.body}\n`, NOW)).toBe(false);
      }),
      RUNS,
    );
  });

  it('email subjects stay on one line and HTML holds no markup from user text', () => {
    const channel: email.EmailChannel = { kind: 'email', id: 'e', host: 'smtp.example.com', from: 'firebreak@example.com', to: ['oncall@example.com'] };
    fc.assert(
      fc.property(message, (input) => {
        const mail = email.render(input, channel, context);
        expect(String(mail.subject)).not.toMatch(/[\r\n]/);
        const html = String(mail.html);
        // Remove the markup we write ourselves; what is left is text, and must hold no markup characters.
        const text = html.replace(/<(?:\/?(?:html|head|body|h1|p|table|tr|th|td|a)\b[^<>]*|!doctype html|meta charset="utf-8")>/g, '');
        expect(text).not.toMatch(/[<>]/);
        expect(email.escapeHtml(input.text)).not.toMatch(/[<>"']/);
      }),
      RUNS,
    );
  });

  it('cutting to a limit never exceeds it and never splits an escape', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 60 }), (text, max) => {
        const cut = fitEscaped(text, max, escapeSlackChar);
        expect(cut.length).toBeLessThanOrEqual(max);
        const body = cut.endsWith('…') && cut !== escapeSlack(text.toWellFormed()) ? cut.slice(0, -1) : cut;
        expect(escapeSlack(text.toWellFormed()).startsWith(body)).toBe(true);
        // A cut entity (`&am`, `&l`) would show as text; the cut is always between escapes.
        expect(body).not.toMatch(/&[a-z]{0,3}$/);
      }),
      RUNS,
    );
  });
});

/** The literal text a channel with no escaping shows after cutting: well-formed, cut by code points. */
function fitLiteral(text: string, max: number): string {
  return fitEscaped(text.trim() === '' ? 'Incident declared' : text, max, (char) => char).replaceAll('\u200b', '');
}

function firstUnescaped(text: string): string | null {
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') index++;
    else if ('*_~`|<>[]#'.includes(char)) return char;
  }
  return null;
}
