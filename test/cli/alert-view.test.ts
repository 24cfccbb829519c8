import { describe, expect, it } from 'vitest';
import {
  formatMatcher,
  renderAlert,
  renderAlertTable,
  renderIntegrationTable,
  renderMaintenanceTable,
  renderSilenceTable,
  windowState,
} from '../../src/cli/alert-view.ts';
import { createStyle, printable, shellQuote } from '../../src/cli/output.ts';
import { alert, integration, maintenanceWindow, silence } from './alert-fixtures.ts';
import { NOW } from './helpers.ts';

const view = { now: NOW, timeZone: 'UTC', style: createStyle(false) };

describe('alert table', () => {
  it('shows ID, STATUS, SEV, NAME, SERVICE, COUNT, LAST SEEN, INCIDENT and SUPPRESSED', () => {
    const rows = [
      alert(),
      alert({ id: 'B', status: 'firing', service: null, incidentId: null, suppressedBy: 'silence:01HXSILENCE000000000000000', count: 1, lastSeenAt: '2024-05-01T09:00:00.000Z' }),
    ];
    expect(renderAlertTable(rows, view)).toBe(
      [
        'ID                          STATUS  SEV  NAME           SERVICE   COUNT  LAST SEEN  INCIDENT                    SUPPRESSED',
        '01HXALERT00000000000000000  firing  P2   DiskSpaceHigh  postgres  4      3m ago     01HXINCIDENT0000000000000A  -',
        'B                           firing  P2   DiskSpaceHigh  -         1      3h ago     -                           silence:01HXSILENCE000000000000000',
      ].join('\n'),
    );
  });

  it('says so when nothing matches', () => {
    expect(renderAlertTable([], view)).toBe('No alerts.');
  });

  it('colours the status when colour is on', () => {
    const coloured = renderAlertTable([alert({ status: 'resolved' })], { ...view, style: createStyle(true) });
    expect(coloured).toContain('\u001b[32mresolved\u001b[39m');
  });
});

describe('alert detail', () => {
  it('shows the fields, labels and annotations sorted by name, and the history', () => {
    const text = renderAlert(
      alert({ labels: { zone: 'b', alertname: 'DiskSpaceHigh' }, runbook: 'https://runbooks.example/disk', endsAt: '2024-05-01T11:58:00.000Z', status: 'resolved' }),
      [
        { id: 'h1', at: '2024-05-01T11:30:00.000Z', kind: 'fired', text: 'Fired' },
        { id: 'h2', at: '2024-05-01T11:58:00.000Z', kind: 'resolved', text: 'Resolved after 28m' },
      ],
      view,
    );
    expect(text).toMatch(/^01HXALERT00000000000000000 {2}DiskSpaceHigh\n/);
    expect(text).toMatch(/^ {2}status\s+resolved$/m);
    expect(text).toMatch(/^ {2}ended\s+2024-05-01 11:58:00 UTC \(2m ago\)$/m);
    expect(text).toMatch(/^ {2}runbook\s+https:\/\/runbooks\.example\/disk$/m);
    expect(text).toContain('Labels\n  alertname  DiskSpaceHigh\n  zone       b');
    expect(text).toContain('Annotations\n  summary  Disk 91% full on db1');
    expect(text).toContain('History\n  2024-05-01 11:30:00  fired     Fired\n  2024-05-01 11:58:00  resolved  Resolved after 28m');
  });

  it('says when there are no annotations or history', () => {
    const text = renderAlert(alert({ annotations: {} }), [], view);
    expect(text).toContain('Annotations\n  (none)');
    expect(text).toContain('History\n  (empty)');
  });

  it('never lets a label drive the terminal: escapes, newlines and bidi overrides are shown escaped', () => {
    const hostile = 'a\u001b[2J\u001b]0;pwned\u0007b\nc\u202ed';
    const text = renderAlert(alert({ name: hostile, summary: hostile, labels: { [hostile]: hostile } }), [], view);
    // Nothing below U+0020 but the line breaks of the layout, no DEL, no bidi override.
    expect([...text].filter((c) => (c < ' ' && c !== '\n') || c === '\u007f' || c === '\u202e')).toEqual([]);
    expect(text).toContain('a\\u001b[2J\\u001b]0;pwned\\u0007b\\nc\\u202ed');
    const table = renderAlertTable([alert({ name: hostile })], view);
    expect(table.split('\n')).toHaveLength(2);
  });
});

describe('silence, maintenance and integration tables', () => {
  it('writes matchers as Alertmanager does', () => {
    expect(formatMatcher({ name: 'instance', op: '=~', value: 'db.*' })).toBe('instance=~"db.*"');
    expect(formatMatcher({ name: 'msg', op: '!=', value: 'say "hi"\\' })).toBe('msg!="say \\"hi\\"\\\\"');
  });

  it('lists silences with their matchers, times and comment', () => {
    expect(renderSilenceTable([silence()], view)).toBe(
      [
        'ID                          STATE   MATCHERS                                     STARTS                     ENDS                         BY           COMMENT',
        '01HXSILENCE000000000000000  active  alertname="DiskSpaceHigh", instance=~"db.*"  2024-05-01 12:00:00 (now)  2024-05-01 14:00:00 (in 2h)  token:alice  resizing volumes',
      ].join('\n'),
    );
    expect(renderSilenceTable([], view)).toBe('No silences.');
  });

  it('shows when an expired silence really ended', () => {
    expect(renderSilenceTable([silence({ state: 'expired', expiredAt: '2024-05-01T11:00:00.000Z' })], view)).toContain('2024-05-01 11:00:00 (1h ago)');
  });

  it('derives the state of a maintenance window from its times', () => {
    expect(windowState(maintenanceWindow(), NOW)).toBe('active');
    expect(windowState(maintenanceWindow({ startsAt: '2024-05-01T12:00:01.000Z' }), NOW)).toBe('upcoming');
    expect(windowState(maintenanceWindow({ endsAt: '2024-05-01T12:00:00.000Z' }), NOW)).toBe('over');
    expect(windowState(maintenanceWindow({ cancelledAt: '2024-05-01T12:00:00.000Z' }), NOW)).toBe('cancelled');
    expect(renderMaintenanceTable([], view)).toBe('No maintenance windows.');
    expect(renderMaintenanceTable([maintenanceWindow()], view)).toMatch(/^01HXWINDOW0000000000000000\s+postgres\s+active\s+2024-05-01 12:00:00 \(now\)\s+2024-05-01 13:00:00 \(in 1h\)\s+token:alice\s+minor upgrade$/m);
  });

  it('lists integrations by key prefix', () => {
    expect(renderIntegrationTable([integration({ service: 'rest-api' })], NOW)).toMatch(/fbi_AbCd…/);
    expect(renderIntegrationTable([], NOW)).toBe('No integrations.');
  });
});

describe('printable and shellQuote', () => {
  it('leaves ordinary text alone and escapes control characters', () => {
    expect(printable('DiskSpaceHigh é 漢字 🔥')).toBe('DiskSpaceHigh é 漢字 🔥');
    expect(printable('a\tb\r\n\u0000\u009b')).toBe('a\\tb\\r\\n\\u0000\\u009b');
  });

  it('quotes for a POSIX shell only when needed', () => {
    expect(shellQuote('http://fb.test:8080/v2/enqueue')).toBe('http://fb.test:8080/v2/enqueue');
    expect(shellQuote(`{"a":"it's"}`)).toBe(`'{"a":"it'\\''s"}'`);
  });
});
