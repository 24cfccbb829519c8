import type { Alert, Integration, MaintenanceWindow, Silence } from '../../src/cli/alert-view.ts';

/** API answers for the alert, silence, maintenance and integration commands, as the server presents them. */

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: '01HXALERT00000000000000000',
    integrationId: '01HXINTEGRATION00000000000',
    dedupKey: 'disk-db1',
    name: 'DiskSpaceHigh',
    status: 'firing',
    severity: 'P2',
    service: 'postgres',
    summary: 'Disk 91% full on db1',
    labels: { alertname: 'DiskSpaceHigh', instance: 'db1' },
    annotations: { summary: 'Disk 91% full on db1' },
    details: {},
    groupKey: 'alertname=DiskSpaceHigh',
    runbook: null,
    generatorUrl: null,
    startsAt: '2024-05-01T11:30:00.000Z',
    endsAt: null,
    firstSeenAt: '2024-05-01T11:30:00.000Z',
    lastSeenAt: '2024-05-01T11:57:00.000Z',
    count: 4,
    suppressedBy: null,
    incidentId: '01HXINCIDENT0000000000000A',
    ...overrides,
  };
}

export function silence(overrides: Partial<Silence> = {}): Silence {
  return {
    id: '01HXSILENCE000000000000000',
    matchers: [
      { name: 'alertname', op: '=', value: 'DiskSpaceHigh' },
      { name: 'instance', op: '=~', value: 'db.*' },
    ],
    startsAt: '2024-05-01T12:00:00.000Z',
    endsAt: '2024-05-01T14:00:00.000Z',
    state: 'active',
    createdBy: 'token:alice',
    comment: 'resizing volumes',
    createdAt: '2024-05-01T12:00:00.000Z',
    expiredAt: null,
    ...overrides,
  };
}

export function maintenanceWindow(overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  return {
    id: '01HXWINDOW0000000000000000',
    service: 'postgres',
    startsAt: '2024-05-01T12:00:00.000Z',
    endsAt: '2024-05-01T13:00:00.000Z',
    createdBy: 'token:alice',
    comment: 'minor upgrade',
    createdAt: '2024-05-01T12:00:00.000Z',
    cancelledAt: null,
    ...overrides,
  };
}

export function integration(overrides: Partial<Integration> = {}): Integration {
  return {
    id: '01HXINTEGRATION00000000000',
    kind: 'alertmanager',
    name: 'prod alertmanager',
    service: null,
    keyPrefix: 'fbi_AbCd',
    mapping: null,
    createdAt: '2024-05-01T10:00:00.000Z',
    createdBy: 'token:admin',
    deletedAt: null,
    ...overrides,
  };
}
