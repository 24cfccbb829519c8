import { deepFreeze } from './freeze.ts';
import type { SeverityLevel, SeverityPresetName } from './schema.ts';

/**
 * Severity schemes a firebreak.yaml can name with `severities: { preset: … }`.
 * Each list is ordered most severe first. SLA targets are measured from the moment
 * an incident is declared; `next-business-day` and `Nbh` follow `businessHours`.
 */
export const SEVERITY_PRESETS: Record<SeverityPresetName, SeverityLevel[]> = deepFreeze({
  /**
   * P0–P3 exactly as the music platform emergency response playbook defines them
   * (shared/playbooks/music-platform-emergency-response.md). "Updates: Daily" is 1d.
   * P3's "Fix: Within sprint" is a planning goal, not a clock, so it has no target.
   */
  'p0-p3': [
    {
      id: 'P0',
      name: 'Critical',
      description: 'Complete system unavailability or imminent data loss',
      sla: { initialResponse: '15m', stakeholderNotification: '30m', mitigationStarted: '30m', updateCadence: '15m' },
      authorization: 'On-call engineer (immediate action)',
    },
    {
      id: 'P1',
      name: 'High',
      description: 'Significant service degradation affecting users',
      sla: { initialResponse: '1h', stakeholderNotification: '2h', mitigationStarted: '2h', updateCadence: '30m' },
      authorization: 'Engineering lead approval required',
    },
    {
      id: 'P2',
      name: 'Medium',
      description: 'Single service failure or moderate degradation',
      sla: { initialResponse: '4h', investigationStarted: '8h', updateCadence: '1d' },
      authorization: 'Team consensus',
    },
    {
      id: 'P3',
      name: 'Low',
      description: 'Minor issues with minimal user impact',
      sla: { initialResponse: 'next-business-day' },
      authorization: 'Standard development workflow',
    },
  ],

  /**
   * SEV1–SEV4 in the style of Atlassian's and PagerDuty's published handbooks:
   * SEV1 and SEV2 run on wall time around the clock, SEV3 on business hours
   * (a 4bh acknowledgement, investigation within a working day), SEV4 waits for
   * the next business day.
   */
  'sev1-sev4': [
    {
      id: 'SEV1',
      name: 'Critical',
      description: 'A critical service is down or data is being lost for all or most customers',
      sla: { initialResponse: '15m', stakeholderNotification: '30m', mitigationStarted: '1h', updateCadence: '30m' },
      authorization: 'Incident commander (immediate action)',
    },
    {
      id: 'SEV2',
      name: 'Major',
      description: 'A major feature is unavailable or badly degraded for a significant share of customers',
      sla: { initialResponse: '30m', stakeholderNotification: '1h', mitigationStarted: '2h', updateCadence: '1h' },
      authorization: 'Incident commander, with the engineering lead informed',
    },
    {
      id: 'SEV3',
      name: 'Minor',
      description: 'A minor feature is degraded or a workaround exists; few customers are affected',
      sla: { initialResponse: '4bh', investigationStarted: '8bh', updateCadence: '1d' },
      authorization: 'Owning team',
    },
    {
      id: 'SEV4',
      name: 'Low',
      description: 'Cosmetic issues, false alarms or internal-only problems with no customer impact',
      sla: { initialResponse: 'next-business-day' },
      authorization: 'Standard development workflow',
    },
  ],

  /**
   * Level 1–4 as used by many ITIL-style service desks: level 1 is the emergency.
   * The clocks match the priority matrix most desks publish: 15 minutes / 1 hour /
   * 4 business hours / next business day to first response.
   */
  'level1-level4': [
    {
      id: 'L1',
      name: 'Emergency',
      description: 'Total loss of a business-critical service, a security breach or data loss in progress',
      sla: { initialResponse: '15m', stakeholderNotification: '30m', mitigationStarted: '1h', updateCadence: '30m' },
      authorization: 'On-call engineer (immediate action)',
    },
    {
      id: 'L2',
      name: 'High',
      description: 'A business-critical service is degraded, or a non-critical service is down',
      sla: { initialResponse: '1h', stakeholderNotification: '2h', mitigationStarted: '4h', updateCadence: '1h' },
      authorization: 'Service owner approval required',
    },
    {
      id: 'L3',
      name: 'Moderate',
      description: 'A single user group or non-critical function is affected and a workaround exists',
      sla: { initialResponse: '4bh', investigationStarted: '8bh', updateCadence: '1d' },
      authorization: 'Owning team',
    },
    {
      id: 'L4',
      name: 'Low',
      description: 'Requests, cosmetic defects and questions with no service impact',
      sla: { initialResponse: 'next-business-day' },
      authorization: 'Standard development workflow',
    },
  ],
});

export const SEVERITY_PRESET_NAMES = Object.freeze(Object.keys(SEVERITY_PRESETS)) as readonly SeverityPresetName[];
