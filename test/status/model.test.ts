import { describe, expect, it } from 'vitest';
import {
  componentStatusOfImpact,
  impactOfSeverity,
  maintenanceStatus,
  pageIndicator,
  publicIncidentStatus,
} from '../../src/status/model.ts';

describe('status page vocabulary', () => {
  it('maps severities to impact by rank, whatever the scheme calls them', () => {
    expect(['P0', 'P1', 'P2', 'P3'].map((s) => impactOfSeverity(['P0', 'P1', 'P2', 'P3'], s))).toEqual(['critical', 'major', 'minor', 'none']);
    expect(['SEV1', 'SEV4'].map((s) => impactOfSeverity(['SEV1', 'SEV2', 'SEV3', 'SEV4'], s))).toEqual(['critical', 'none']);
    expect(impactOfSeverity(['P0'], 'gone-from-config')).toBe('none');
    expect(['critical', 'major', 'minor', 'none'].map((i) => componentStatusOfImpact(i as never))).toEqual([
      'major_outage',
      'partial_outage',
      'degraded_performance',
      'operational',
    ]);
  });

  it("speaks Statuspage's incident statuses", () => {
    expect(['investigating', 'identified', 'mitigating', 'monitoring', 'resolved', 'closed'].map(publicIncidentStatus)).toEqual([
      'investigating',
      'identified',
      'identified',
      'monitoring',
      'resolved',
      'resolved',
    ]);
  });

  it('gives the page the worst of its components and unresolved incidents; maintenance only when nothing is wrong', () => {
    expect(pageIndicator(['operational'], [])).toEqual({ indicator: 'none', description: 'All Systems Operational' });
    expect(pageIndicator(['operational', 'degraded_performance'], [])).toEqual({ indicator: 'minor', description: 'Minor Service Outage' });
    expect(pageIndicator(['operational'], ['major'])).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    expect(pageIndicator(['major_outage', 'under_maintenance'], ['minor'])).toEqual({ indicator: 'critical', description: 'Major System Outage' });
    expect(pageIndicator(['under_maintenance', 'operational'], ['none'])).toEqual({ indicator: 'maintenance', description: 'Service Under Maintenance' });
  });

  it('derives a maintenance state from the clock: the start is in progress, the end is completed', () => {
    const window = { scheduledFor: 1000, scheduledUntil: 2000 };
    expect([999, 1000, 1999, 2000].map((now) => maintenanceStatus(now, window))).toEqual(['scheduled', 'in_progress', 'in_progress', 'completed']);
  });
});
