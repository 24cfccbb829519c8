import { Type, type Static } from '@sinclair/typebox';

/**
 * The `runbooks:` section of firebreak.yaml: where the Markdown runbooks are, who may
 * approve their steps at each severity, which values to mask, and the local runner.
 */

const Duration = Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'a duration such as 30s, 5m, 1h' });
const SeverityId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$' });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$', description: 'an environment variable name' });
const ApproverRole = Type.Union([Type.Literal('admin'), Type.Literal('responder')]);
const LabelKey = Type.String({ pattern: '^[a-z0-9_.-]{1,63}$' });

export const ApprovalRule = Type.Object(
  {
    steps: Type.Optional(Type.Union([Type.Literal('marked'), Type.Literal('all')], {
      description: 'marked: only the steps the runbook says need approval; all: every step that runs a command',
    })),
    approverRoles: Type.Optional(Type.Array(ApproverRole, { minItems: 1, description: 'API roles that may approve' })),
    approvals: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'how many different people must approve' })),
    note: Type.Optional(Type.String({ description: 'the rule as the playbook says it, shown to the approver' })),
  },
  { additionalProperties: false },
);

export const LocalRunnerSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    labels: Type.Record(LabelKey, Type.String({ maxLength: 200 }), { default: { local: '' } }),
    workdir: Type.Optional(Type.String({ minLength: 1, description: 'relative to the config file; default: the current directory' })),
    concurrency: Type.Integer({ minimum: 1, maximum: 32, default: 2 }),
  },
  { additionalProperties: false },
);

export const RunbookSettings = Type.Object(
  {
    paths: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Markdown files or folders of runbooks, relative to the config file',
    }),
    secrets: Type.Array(EnvName, {
      default: [],
      description: 'environment variables whose values are masked in step output, in the API, the event stream and the timeline',
    }),
    defaultTimeout: Type.String({ ...Duration, default: '15m', description: 'time limit of a step whose runbook sets none' }),
    maxOutput: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'bytes of output kept per step attempt' }),
    runnerLease: Type.String({ ...Duration, default: '30s', description: 'a step whose runner is silent this long becomes unknown' }),
    approval: Type.Object(
      {
        approverRoles: Type.Array(ApproverRole, { minItems: 1, default: ['admin', 'responder'] }),
        approvals: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    authorization: Type.Record(SeverityId, ApprovalRule, {
      default: {},
      description: "per severity, who must approve before a run's steps run (a run without an incident uses approval)",
    }),
    localRunner: Type.Optional(LocalRunnerSettings),
  },
  { additionalProperties: false },
);

export type RunbookSettings = Static<typeof RunbookSettings>;
export type ApprovalRule = Static<typeof ApprovalRule>;
export type LocalRunnerSettings = Static<typeof LocalRunnerSettings>;
