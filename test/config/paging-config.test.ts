import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { isDomainError } from '../../src/core/errors.ts';

const base = `
version: 1
severities: { preset: p0-p3 }
users:
  - { id: amara, name: Amara }
  - { id: tomasz, name: Tomasz }
teams:
  - { id: platform, name: Platform, members: [amara] }
channels:
  - { kind: webhook, id: bridge, url: "http://127.0.0.1:9/x" }
`;

function problemsOf(text: string): Array<{ path: string; message: string; fix: string }> {
  try {
    parseConfig(text, null, 0);
  } catch (error) {
    if (isDomainError(error) && error.code === 'config_invalid') return error.details as Array<{ path: string; message: string; fix: string }>;
    throw error;
  }
  return [];
}

describe('paging configuration', () => {
  it('accepts a complete setup', () => {
    const config = parseConfig(
      `${base}
schedules:
  - id: primary
    name: Primary
    timezone: Europe/London
    layers:
      - { start: "2025-01-06T09:00", rotation: { type: weekly }, handoff: "09:00", handoffDay: mon, users: [amara, tomasz] }
escalationPolicies:
  - id: main
    name: Main
    levels:
      - { targets: [{ schedule: primary }], timeout: 10m }
      - { targets: [{ team: platform }, { schedule: primary, next: true }], timeout: 10m }
paging:
  defaultEscalationPolicy: main
  defaultNotificationRules: [{ channel: bridge }]
`,
      null,
      0,
    );
    expect(config.escalationPolicies[0]!.levels).toHaveLength(2);
    expect(config.paging.defaultNotificationRules).toEqual([{ channel: 'bridge', after: '0m' }]);
  });

  it('refuses unknown users, empty rotations, bad time zones and dangling references, all at once', () => {
    const withRule = base.replace('- { id: amara, name: Amara }', '- { id: amara, name: Amara, notificationRules: [{ channel: pager, after: 1m }] }');
    const problems = problemsOf(`${withRule}
schedules:
  - id: primary
    name: Primary
    timezone: Europe/Londn
    layers:
      - { start: "2025-01-06T09:00", rotation: { type: daily }, handoff: "09:00", users: [] }
      - { start: "2025-01-06T09:00", rotation: { type: daily }, handoff: "09:00", users: [mallory] }
escalationPolicies:
  - id: main
    name: Main
    levels:
      - { targets: [{ schedule: secondary }, { user: bob }], timeout: 10m }
services:
  - { id: api, name: API, escalationPolicy: nope, escalationBySeverity: { P7: main } }
`);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'schedules[0].timezone',
        'schedules[0].layers[0].users',
        'schedules[0].layers[1].users[0]',
        'escalationPolicies[0].levels[0].targets[0].schedule',
        'escalationPolicies[0].levels[0].targets[1].user',
        'services[0].escalationPolicy',
        'services[0].escalationBySeverity.P7',
        'users[0].notificationRules[0].channel',
      ]),
    );
    expect(problems.every((p) => p.fix.length > 0)).toBe(true);
  });

  it('refuses a channel whose secret is named but not set in the environment', () => {
    const problems = problemsOf(`${base.replace('channels:\n', 'channels:\n  - { kind: slack-webhook, id: slack, urlEnv: FIREBREAK_TEST_UNSET_SLACK_URL }\n')}`);
    expect(problems.some((p) => p.path.startsWith('channels[0]') && /FIREBREAK_TEST_UNSET_SLACK_URL/.test(`${p.message} ${p.fix}`))).toBe(true);
  });
});
