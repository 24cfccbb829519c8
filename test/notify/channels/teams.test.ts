import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverTo, type ChannelConfig } from '../../../src/notify/channels/index.ts';
import { HOSTILE, NOW, declared, hostile } from './fixtures.ts';
import { Receiver } from './receiver.ts';

const receiver = new Receiver({ status: 202 });
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(() => receiver.reset());

const channel = (): ChannelConfig => ({ kind: 'teams', id: 'teams', urlEnv: 'TEAMS_WORKFLOW_URL' });
const deps = (extra: Record<string, unknown> = {}) => ({
  now: () => NOW,
  env: { TEAMS_WORKFLOW_URL: receiver.url('/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET') },
  timeoutMs: 2_000,
  ...extra,
});

describe('Microsoft Teams workflow webhook', () => {
  it('posts a message with one Adaptive Card 1.4 attachment', async () => {
    const result = await deliverTo(channel(), declared(), deps());

    expect(result).toEqual({ ok: true, status: 202 });
    expect(receiver.last().url).toBe('/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET');
    expect(receiver.lastJson()).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
            body: [
              {
                type: 'RichTextBlock',
                inlines: [{ type: 'TextRun', text: 'Incident declared: Checkout fails for EU customers', weight: 'Bolder', size: 'Large', color: 'Attention' }],
              },
              {
                type: 'RichTextBlock',
                inlines: [{ type: 'TextRun', text: 'Error rate on checkout-api is above 20% since 09:12 UTC.\nPayments are not taken.' }],
              },
              {
                type: 'RichTextBlock',
                spacing: 'Medium',
                inlines: [
                  { type: 'TextRun', text: 'Severity: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'P1' },
                ],
              },
              {
                type: 'RichTextBlock',
                spacing: 'None',
                inlines: [
                  { type: 'TextRun', text: 'Status: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'investigating' },
                ],
              },
              {
                type: 'RichTextBlock',
                spacing: 'None',
                inlines: [
                  { type: 'TextRun', text: 'Services: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'checkout-api, payments' },
                ],
              },
              {
                type: 'RichTextBlock',
                spacing: 'None',
                inlines: [
                  { type: 'TextRun', text: 'Commander: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'Ada Lovelace' },
                ],
              },
              {
                type: 'RichTextBlock',
                spacing: 'Medium',
                inlines: [{ type: 'TextRun', text: 'Firebreak · Incident declared · Incident 01JINC0000000000000000042', size: 'Small', isSubtle: true }],
              },
            ],
            actions: [
              { type: 'Action.OpenUrl', title: 'Acknowledge', url: 'https://firebreak.example.com/ack/abc?sig=def&exp=1', style: 'positive' },
              { type: 'Action.OpenUrl', title: 'Open incident', url: 'https://firebreak.example.com/incidents/01JINC0000000000000000042' },
            ],
          },
        },
      ],
    });
  });

  it('puts user text only into TextRuns (no Markdown) and breaks up {{DATE()}} functions', async () => {
    await deliverTo(channel(), hostile(), deps());
    const card = receiver.lastJson().attachments[0].content;
    // No TextBlock or FactSet, the elements that would read Markdown.
    expect(card.body.every((element: any) => element.type === 'RichTextBlock')).toBe(true);
    const headline = card.body[0].inlines[0].text as string;
    expect(headline).not.toContain('{{');
    // Apart from the zero-width spaces, the text is shown as written.
    expect(headline.replaceAll('\u200b', '')).toBe(HOSTILE);
    expect(card.actions.map((action: any) => action.url)).toEqual(['https://firebreak.example.com/ack/x', 'https://firebreak.example.com/incidents/01JINC0000000000000000042']);
  });

  it('maps danger to a destructive action', async () => {
    await deliverTo(channel(), declared({ actions: [{ label: 'Page everyone', url: 'https://x.example/page', style: 'danger' }], incident: undefined }), deps());
    expect(receiver.lastJson().attachments[0].content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Page everyone', url: 'https://x.example/page', style: 'destructive' },
    ]);
  });

  it('gives up on 400, retries 503 and 429 with Retry-After', async () => {
    receiver.reply(
      { status: 400, body: '{"error":{"code":"InvalidRequestContent","message":"The input body for trigger manual of type Request did not match its schema definition."}}' },
      { status: 503 },
      { status: 429, headers: { 'retry-after': '12' } },
    );
    const refused = await deliverTo(channel(), declared(), deps());
    expect(refused).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect((refused as { error: string }).error).toMatch(/^Teams workflow answered 400: \{"error":\{"code":"InvalidRequestContent"/);
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 503 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 12_000 });
  });

  it('times out and retries', async () => {
    receiver.reply('hang');
    expect(await deliverTo(channel(), declared(), deps({ timeoutMs: 200 }))).toMatchObject({ ok: false, retryable: true, status: null });
  });
});
