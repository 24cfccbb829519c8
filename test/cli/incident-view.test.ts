import { describe, expect, it } from 'vitest';
import { renderIncident, renderIncidentTable } from '../../src/cli/incident-view.ts';
import { createStyle } from '../../src/cli/output.ts';
import { incident, NOW } from './helpers.ts';

const view = { now: NOW, timeZone: 'UTC', style: createStyle(false) };

describe('incident table', () => {
  it('shows ID, SEV, STATUS, TITLE, AGE and ACK in aligned columns', () => {
    const rows = [
      incident(),
      incident({ id: 'B', status: 'mitigating', title: 'DB slow', acknowledgedAt: '2024-05-01T11:57:00Z', declaredAt: '2024-04-29T10:00:00Z' }),
    ];
    expect(renderIncidentTable(rows, view)).toBe(
      [
        'ID                          SEV  STATUS         TITLE                 AGE    ACK',
        '01HXINCIDENT0000000000000A  P1   investigating  Checkout returns 502  12m    no',
        'B                           P1   mitigating     DB slow               2d 2h  3m ago',
      ].join('\n'),
    );
  });

  it('says so when nothing matches', () => {
    expect(renderIncidentTable([], view)).toBe('No incidents.');
  });
});

describe('incident detail', () => {
  const detailed = incident({
    status: 'identified',
    identifiedAt: '2024-05-01T11:55:00Z',
    summary: 'Error rate 40% since deploy 812',
    acknowledgedAt: '2024-05-01T11:50:00Z',
    acknowledgedBy: 'token:alice',
    roles: { commander: 'alice' },
    clocks: [
      { kind: 'initialResponse', seq: 1, startedAt: '2024-05-01T11:48:00Z', dueAt: '2024-05-01T12:03:00Z', state: 'met', metAt: '2024-05-01T11:50:00Z', breachedAt: null },
      { kind: 'updateCadence', seq: 2, startedAt: '2024-05-01T11:42:00Z', dueAt: '2024-05-01T12:12:00Z', state: 'pending', metAt: null, breachedAt: null },
      { kind: 'stakeholderNotification', seq: 1, startedAt: '2024-05-01T11:48:00Z', dueAt: '2024-05-01T11:58:00Z', state: 'pending', metAt: null, breachedAt: null },
    ],
    allowedTransitions: ['mitigating', 'monitoring', 'resolved'],
  });
  const timeline = [
    { id: 't1', at: '2024-05-01T11:48:00Z', actor: 'token:admin', kind: 'declared', text: 'Declared P1', data: {} },
    { id: 't2', at: '2024-05-01T11:50:00Z', actor: { kind: 'token', name: 'alice' }, kind: 'acknowledged', text: 'On it\nchecking the deploy', data: {} },
  ];
  const text = renderIncident(detailed, timeline, view);

  it('shows the fields with local times and relative ages', () => {
    expect(text).toContain('01HXINCIDENT0000000000000A  Checkout returns 502');
    expect(text).toContain('status        identified  (next: mitigating, monitoring, resolved)');
    expect(text).toContain('identified    2024-05-01 11:55:00 UTC (5m ago)');
    expect(text).toContain('declared      2024-05-01 11:48:00 UTC (12m ago) by token:admin');
    expect(text).toContain('acknowledged  2024-05-01 11:50:00 UTC (10m ago) by token:alice');
    expect(text).toContain('summary       Error rate 40% since deploy 812');
  });

  it('shows each SLA clock with its due time, state and when it was met', () => {
    expect(text).toMatch(/initialResponse\s+2024-05-01 12:03:00 UTC \(in 3m\)\s+met\s+2024-05-01 11:50:00 UTC \(10m ago\)/);
    expect(text).toMatch(/updateCadence #2\s+2024-05-01 12:12:00 UTC \(in 12m\)\s+pending/);
    expect(text).toMatch(/stakeholderNotification\s+2024-05-01 11:58:00 UTC \(2m ago\)\s+pending \(overdue\)/);
  });

  it('shows roles and the timeline, with multi-line text kept aligned', () => {
    expect(text).toContain('Roles\n  commander  alice');
    expect(text).toContain('2024-05-01 11:48:00  token:admin  declared      Declared P1');
    expect(text).toContain(`2024-05-01 11:50:00  token:alice  acknowledged  On it\n${' '.repeat(50)}checking the deploy`);
  });
});
