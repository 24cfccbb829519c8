import { Type, type Static } from '@sinclair/typebox';

/**
 * The `postIncident:` section of firebreak.yaml: the checklist a resolved incident
 * turns into (per severity), and which severities get a post-mortem draft.
 */

const Duration = Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'a duration after resolution: 0h, 24h, 1w' });
const SeverityId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$' });

export const ChecklistStage = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    due: Duration,
    items: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const Checklist = Type.Object(
  {
    severities: Type.Optional(Type.Array(SeverityId, { minItems: 1, description: 'the severities it applies to; all when absent' })),
    stages: Type.Array(ChecklistStage, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false },
);

export const PostIncidentSettings = Type.Object(
  {
    checklists: Type.Array(Checklist, { default: [], description: 'the first one whose severities match applies' }),
    postmortemSeverities: Type.Optional(Type.Array(SeverityId, { description: 'severities that get a post-mortem draft on resolution; all when absent' })),
  },
  { additionalProperties: false },
);

export type PostIncidentSettings = Static<typeof PostIncidentSettings>;
export type Checklist = Static<typeof Checklist>;
