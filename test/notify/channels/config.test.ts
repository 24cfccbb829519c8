import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHANNEL_KINDS, ChannelConfig, channelProblems, channelThreads, deliverTo } from '../../../src/notify/channels/index.ts';
import { NOW, declared } from './fixtures.ts';

/** The examples the channel documentation gives, as they would sit under `channels:` in firebreak.yaml. */
const EXAMPLES = `
- kind: slack-webhook
  id: slack-incidents
  name: "#incidents (webhook)"
  urlEnv: SLACK_INCIDENTS_WEBHOOK_URL
- kind: slack-bot
  id: slack-bot
  channel: C0123456789
  tokenEnv: SLACK_BOT_TOKEN
- kind: discord
  id: discord-ops
  urlEnv: DISCORD_OPS_WEBHOOK_URL
  username: Firebreak
- kind: teams
  id: teams-sre
  urlEnv: TEAMS_SRE_WORKFLOW_URL
- kind: webhook
  id: pager-bridge
  url: https://bridge.internal.example.com/firebreak
  secretEnv: PAGER_BRIDGE_SECRET
  headers:
    X-Tenant: acme
- kind: email
  id: email
  host: smtp.example.com
  port: 587
  requireTls: true
  user: firebreak@example.com
  passwordEnv: SMTP_PASSWORD
  from: "Firebreak <firebreak@example.com>"
  to: [oncall@example.com]
`;

const ENV = {
  SLACK_INCIDENTS_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x',
  SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  DISCORD_OPS_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/abc',
  TEAMS_SRE_WORKFLOW_URL: 'https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=y',
  PAGER_BRIDGE_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
  SMTP_PASSWORD: 'secret',
};

describe('channel configuration', () => {
  const examples = parse(EXAMPLES) as unknown[];

  it('accepts the documented example of every kind', () => {
    expect(examples.map((example) => (example as { kind: string }).kind)).toEqual([...CHANNEL_KINDS]);
    for (const example of examples) expect([...Value.Errors(ChannelConfig, example)].map((error) => `${error.path} ${error.message}`)).toEqual([]);
  });

  it('finds nothing wrong when every referenced variable is set', () => {
    for (const example of examples) expect(channelProblems(example as ChannelConfig, ENV)).toEqual([]);
  });

  it('names every variable that is referenced but not set, with how to fix it', () => {
    const problems = examples.flatMap((example) => channelProblems(example as ChannelConfig, {}).map((problem) => `${(example as { id: string }).id}.${problem.path}: ${problem.message}`));
    expect(problems).toEqual([
      'slack-incidents.urlEnv: environment variable SLACK_INCIDENTS_WEBHOOK_URL is not set',
      'slack-bot.tokenEnv: environment variable SLACK_BOT_TOKEN is not set',
      'discord-ops.urlEnv: environment variable DISCORD_OPS_WEBHOOK_URL is not set',
      'teams-sre.urlEnv: environment variable TEAMS_SRE_WORKFLOW_URL is not set',
      'pager-bridge.secretEnv: environment variable PAGER_BRIDGE_SECRET is not set',
      'email.passwordEnv: environment variable SMTP_PASSWORD is not set',
    ]);
    const fix = channelProblems(examples[0] as ChannelConfig, {})[0]!.fix;
    expect(fix).toBe("set SLACK_INCIDENTS_WEBHOOK_URL to the Slack webhook URL in the server's environment, or change urlEnv");
  });

  it('refuses unknown kinds, unknown settings and bad env names in the schema', () => {
    expect(Value.Check(ChannelConfig, { kind: 'pagerduty', id: 'x' })).toBe(false);
    expect(Value.Check(ChannelConfig, { kind: 'teams', id: 'x', urlEnv: 'T', colour: 'red' })).toBe(false);
    expect(Value.Check(ChannelConfig, { kind: 'teams', id: 'x', urlEnv: 'not a name' })).toBe(false);
    expect(Value.Check(ChannelConfig, { kind: 'email', id: 'x', host: 'h', from: 'a@b.c', port: 70000 })).toBe(false);
  });

  it('says a URL given both ways, or neither, is a problem', () => {
    expect(channelProblems({ kind: 'discord', id: 'd', url: 'https://x.example', urlEnv: 'D' }, { D: 'https://y.example' })).toEqual([
      { path: 'urlEnv', message: 'both url and urlEnv are set', fix: 'keep one: urlEnv (the name of an environment variable holding the Discord webhook URL) or url' },
    ]);
    expect(channelProblems({ kind: 'teams', id: 't' }, {})[0]).toMatchObject({ path: 'urlEnv', message: 'the Teams workflow URL is missing' });
    expect(channelProblems({ kind: 'slack-webhook', id: 's', urlEnv: 'S' }, { S: 'hooks.slack.com/services/x' })[0]).toMatchObject({
      path: 'urlEnv',
      message: 'the Slack webhook URL is not a URL (from S)',
    });
  });

  it('knows which kinds thread', () => {
    expect(examples.filter((example) => channelThreads(example as ChannelConfig)).map((example) => (example as { kind: string }).kind)).toEqual(['slack-bot', 'email']);
  });

  it('answers an unvalidated unknown kind with a permanent failure instead of throwing', async () => {
    const result = await deliverTo({ kind: 'carrier-pigeon', id: 'p' } as unknown as ChannelConfig, declared(), { now: () => NOW });
    expect(result).toEqual({ ok: false, retryable: false, retryAfterMs: null, status: null, error: 'unknown channel kind carrier-pigeon' });
  });
});
