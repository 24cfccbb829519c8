import { viewOf } from './alert.ts';
import {
  formatMatchers,
  renderMaintenanceTable,
  renderSilenceTable,
  windowState,
  type MaintenanceWindow,
  type Silence,
  type ViewContext,
} from './alert-view.ts';
import { arg, optionalDuration, optionalIsoTime, required } from './args.ts';
import { segment } from './client.ts';
import { REMOTE_OPTIONS, type Command, type Group, type Invocation, type OptionSpecs } from './command.ts';
import { UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { formatJson, formatLocalTime, formatRelative, parseTime, printable } from './output.ts';
import { connect, respond } from './remote.ts';

/** When a silence or a maintenance window applies: --duration or --until, optionally --start. */
const WINDOW_OPTIONS: OptionSpecs = {
  duration: { type: 'string', value: 'DURATION', description: 'how long from the start, e.g. 2h or 1h30m (or give --until)' },
  until: { type: 'string', value: 'ISO', description: 'when it ends, e.g. 2024-05-01T18:00:00Z (or give --duration)' },
  start: { type: 'string', value: 'ISO', description: 'when it starts (default: now)' },
  comment: { type: 'string', value: 'TEXT', description: 'why, for whoever finds it later (required)' },
};

export interface WindowBody {
  startsAt?: string;
  endsAt?: string;
  duration?: string;
  comment: string;
}

/** The body fields shared by silences and maintenance windows, checked before anything is sent. */
export function windowBody(invocation: Invocation): WindowBody {
  const duration = optionalDuration(invocation, 'duration');
  const endsAt = optionalIsoTime(invocation, 'until');
  if ((duration === undefined) === (endsAt === undefined)) {
    throw new UsageError(duration === undefined ? 'give --duration or --until' : 'give --duration or --until, not both', invocation.usage);
  }
  return {
    ...(duration === undefined ? {} : { duration }),
    ...(endsAt === undefined ? {} : { endsAt }),
    ...(invocation.options.has('start') ? { startsAt: optionalIsoTime(invocation, 'start') } : {}),
    comment: required(invocation, 'comment'),
  };
}

/** `until 2024-05-01 14:00:00 (in 2h)`, or `from … until …` when it starts later. */
function describeSpan(startsAt: string, endsAt: string, view: ViewContext): string {
  const at = (iso: string) => {
    const ms = parseTime(iso);
    return ms === undefined ? iso : `${formatLocalTime(ms, { timeZone: view.timeZone, zoneName: true })} (${formatRelative(ms, view.now)})`;
  };
  const start = parseTime(startsAt);
  return start !== undefined && start > view.now ? `from ${at(startsAt)} until ${at(endsAt)}` : `until ${at(endsAt)}`;
}

/**
 * Creating prints the new id alone on stdout (`ID=$(firebreak silence add …)`) and
 * says what it did on stderr; --json prints the whole record instead.
 */
function printCreated(invocation: Invocation, record: { id: string }, description: string): number {
  const { io, options } = invocation;
  if (options.flag('json')) {
    printLine(io.stdout, formatJson(record));
    return 0;
  }
  printLine(io.stderr, description);
  printLine(io.stdout, record.id);
  return 0;
}

// ---------------------------------------------------------------------------
// Silences

const silenceAdd: Command = {
  kind: 'command',
  name: 'add',
  summary: 'Silence alerts that match every matcher, for a while',
  description:
    'Matchers are Alertmanager\'s: name="value", name!="value", name=~"regex", name!~"regex".\n' +
    'Silenced alerts are still stored and listed; they open no incident while the silence lasts.\n' +
    'Prints the id of the new silence (for `firebreak silence expire`).',
  positionals: [{ name: 'MATCHER', many: true }],
  options: { ...WINDOW_OPTIONS, ...REMOTE_OPTIONS },
  examples: [
    `firebreak silence add 'alertname="DiskSpaceHigh"' 'instance=~"db.*"' --duration 2h --comment "resizing volumes"`,
    `firebreak silence add 'service="redis"' --start 2024-05-01T22:00:00Z --until 2024-05-02T02:00:00Z --comment "failover test"`,
  ],
  async run(invocation) {
    const matchers = [...(invocation.lists.MATCHER ?? [])];
    const body = { matchers, ...windowBody(invocation) };
    const silence = await connect(invocation).post<Silence>('/silences', body);
    const view = viewOf(invocation);
    const what = `Silenced alerts matching ${printable(formatMatchers(silence.matchers))} ${describeSpan(silence.startsAt, silence.endsAt, view)}.`;
    return printCreated(invocation, silence, what);
  },
};

const silenceList: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List silences in force or starting later',
  options: { all: { type: 'boolean', description: 'also list expired silences' }, ...REMOTE_OPTIONS },
  async run(invocation) {
    const response = await connect(invocation).get<{ items: Silence[] }>('/silences', invocation.options.flag('all') ? { all: 'true' } : undefined);
    return respond(invocation, response, () => renderSilenceTable(response.items, viewOf(invocation)));
  },
};

const silenceExpire: Command = {
  kind: 'command',
  name: 'expire',
  summary: 'End a silence now',
  positionals: [{ name: 'ID' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const silence = await connect(invocation).delete<Silence>(`/silences/${segment(id)}`);
    return respond(invocation, silence, () => `Expired silence ${silence.id} (${printable(formatMatchers(silence.matchers))})`);
  },
};

export const silenceGroup: Group = {
  kind: 'group',
  name: 'silence',
  summary: 'Silence alerts by label for a while',
  children: [silenceAdd, silenceList, silenceExpire],
};

// ---------------------------------------------------------------------------
// Maintenance windows

const maintenanceAdd: Command = {
  kind: 'command',
  name: 'add',
  summary: "Plan a maintenance window: the service's alerts open no incident during it",
  description: 'Prints the id of the new window (for `firebreak maintenance cancel`).',
  positionals: [{ name: 'SERVICE' }],
  options: { ...WINDOW_OPTIONS, ...REMOTE_OPTIONS },
  examples: [
    'firebreak maintenance add postgres --duration 1h --comment "minor version upgrade"',
    'firebreak maintenance add redis --start 2024-05-04T01:00:00Z --until 2024-05-04T03:00:00Z --comment "cluster resize"',
  ],
  async run(invocation) {
    const body = { service: arg(invocation, 'SERVICE'), ...windowBody(invocation) };
    const window = await connect(invocation).post<MaintenanceWindow>('/maintenance-windows', body);
    const what = `Maintenance window for ${window.service} ${describeSpan(window.startsAt, window.endsAt, viewOf(invocation))}.`;
    return printCreated(invocation, window, what);
  },
};

const maintenanceList: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List current and upcoming maintenance windows',
  options: { all: { type: 'boolean', description: 'also list past and cancelled windows' }, ...REMOTE_OPTIONS },
  async run(invocation) {
    const query = invocation.options.flag('all') ? { all: 'true' } : undefined;
    const response = await connect(invocation).get<{ items: MaintenanceWindow[] }>('/maintenance-windows', query);
    return respond(invocation, response, () => renderMaintenanceTable(response.items, viewOf(invocation)));
  },
};

const maintenanceCancel: Command = {
  kind: 'command',
  name: 'cancel',
  summary: 'Cancel a maintenance window',
  positionals: [{ name: 'ID' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const window = await connect(invocation).delete<MaintenanceWindow>(`/maintenance-windows/${segment(id)}`);
    const was = windowState({ ...window, cancelledAt: null }, invocation.io.now());
    return respond(invocation, window, () => `Cancelled ${was === 'upcoming' ? 'upcoming ' : ''}maintenance window ${window.id} for ${window.service}`);
  },
};

export const maintenanceGroup: Group = {
  kind: 'group',
  name: 'maintenance',
  summary: 'Plan maintenance windows, during which alerts open no incidents',
  children: [maintenanceAdd, maintenanceList, maintenanceCancel],
};
