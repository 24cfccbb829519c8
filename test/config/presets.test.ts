import { describe, expect, it } from 'vitest';
import { SEVERITY_PRESETS, SLA_CLOCK_KINDS } from '../../src/config/index.ts';

describe('severity presets', () => {
  it('p0-p3 is exactly the emergency response playbook', () => {
    expect(SEVERITY_PRESETS['p0-p3']).toEqual([
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
    ]);
  });

  it('orders every preset most severe first, with four levels and an initial response target each', () => {
    expect(SEVERITY_PRESETS['sev1-sev4'].map((level) => level.id)).toEqual(['SEV1', 'SEV2', 'SEV3', 'SEV4']);
    expect(SEVERITY_PRESETS['level1-level4'].map((level) => level.id)).toEqual(['L1', 'L2', 'L3', 'L4']);
    for (const levels of Object.values(SEVERITY_PRESETS)) {
      expect(levels).toHaveLength(4);
      for (const level of levels) {
        expect(level.sla?.initialResponse).toBeTruthy();
        expect(Object.keys(level.sla ?? {}).every((kind) => (SLA_CLOCK_KINDS as readonly string[]).includes(kind))).toBe(true);
      }
    }
  });

  it('cannot be changed by accident at run time', () => {
    const p0 = SEVERITY_PRESETS['p0-p3'][0]!;
    expect(() => {
      (p0 as { name: string }).name = 'Changed';
    }).toThrow(TypeError);
    expect(Object.isFrozen(p0.sla)).toBe(true);
  });
});
