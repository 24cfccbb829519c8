import { parseDuration } from '../core/duration.ts';
import { arg, optionalDuration, optionalIsoTime, optionalLimit, required } from './args.ts';
import { segment, type Query } from './client.ts';
import { REMOTE_OPTIONS, type Command, type Group, type Invocation } from './command.ts';
import { UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { formatJson, styleFor } from './output.ts';
import {
  describeOverride,
  renderOnCall,
  renderOnCallTable,
  renderOutboxTable,
  renderScheduleTable,
  renderShiftTable,
  type OnCall,
  type OutboxMessage,
  type Override,
  type PagingView,
  type ScheduleSummary,
  type Shift,
} from './paging-view.ts';
import { connect, respond } from './remote.ts';

/** On call (`firebreak oncall`, `firebreak schedule …`) and the outbox of outbound messages (`firebreak outbox …`). */

const viewOf = ({ io }: Invocation): PagingView => ({ now: io.now(), timeZone: io.timeZone, style: styleFor(io) });
const schedulePath = (id: string, rest = ''): string => `/schedules/${segment(id)}${rest}`;

// ---------------------------------------------------------------------------
// On call

export const oncallCommand: Command = {
  kind: 'command',
  name: 'oncall',
  summary: 'Who is on call now (or at a time), in every schedule or in one',
  description: 'Without SCHEDULE, lists every schedule with who is on call (at --at, or now).',
  positionals: [{ name: 'SCHEDULE', optional: true }],
  options: {
    at: { type: 'string', value: 'ISO', description: 'at this time instead of now, e.g. 2024-05-04T03:00:00Z' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak oncall', 'firebreak oncall platform --at 2024-05-04T03:00:00Z'],
  async run(invocation) {
    const schedule = invocation.args.SCHEDULE;
    const at = optionalIsoTime(invocation, 'at');
    const client = connect(invocation);
    if (schedule !== undefined) {
      const answer = await client.get<OnCall>(schedulePath(schedule, '/oncall'), { at });
      return respond(invocation, answer, () => renderOnCall(answer, viewOf(invocation)));
    }
    const list = await client.get<{ items: ScheduleSummary[] }>('/schedules');
    if (at === undefined) return respond(invocation, list, () => renderScheduleTable(list.items));
    // The list answers for now only; at another time, ask each schedule.
    const answers = await Promise.all(list.items.map((item) => client.get<OnCall>(schedulePath(item.id, '/oncall'), { at })));
    return respond(invocation, { items: answers }, () => renderOnCallTable(list.items, answers));
  },
};

// ---------------------------------------------------------------------------
// Schedules

const shifts: Command = {
  kind: 'command',
  name: 'shifts',
  summary: "A schedule's shifts between two times (default: the next 14 days), overrides included",
  positionals: [{ name: 'SCHEDULE' }],
  options: {
    from: { type: 'string', value: 'ISO', description: 'from this time (default: now)' },
    to: { type: 'string', value: 'ISO', description: 'until this time (default: 14 days after --from)' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak schedule shifts platform --from 2024-05-01T00:00:00Z --to 2024-05-08T00:00:00Z'],
  async run(invocation) {
    const schedule = arg(invocation, 'SCHEDULE');
    const query: Query = { from: optionalIsoTime(invocation, 'from'), to: optionalIsoTime(invocation, 'to') };
    if (query.from !== undefined && query.to !== undefined && Date.parse(String(query.to)) <= Date.parse(String(query.from))) {
      throw new UsageError('--to must come after --from', invocation.usage);
    }
    const result = await connect(invocation).get<{ items: Shift[] }>(schedulePath(schedule, '/shifts'), query);
    return respond(invocation, result, () => renderShiftTable(result.items, viewOf(invocation)));
  },
};

export interface OverrideBody {
  user: string;
  replaces?: string;
  start: string;
  end: string;
}

/** The body of `schedule override`, checked before anything is sent: --end or --duration, not both. */
export function overrideBody(invocation: Invocation): OverrideBody {
  const { options, usage } = invocation;
  const user = required(invocation, 'user');
  const duration = optionalDuration(invocation, 'duration');
  const endText = optionalIsoTime(invocation, 'end');
  if ((duration === undefined) === (endText === undefined)) {
    throw new UsageError(duration === undefined ? 'give --end or --duration' : 'give --end or --duration, not both', usage);
  }
  const start = optionalIsoTime(invocation, 'start') ?? new Date(invocation.io.now()).toISOString();
  const end = endText ?? new Date(Date.parse(start) + parseDuration(duration ?? '0s')).toISOString();
  if (Date.parse(end) <= Date.parse(start)) throw new UsageError('the override must end after it starts', usage);
  const replaces = options.string('replaces');
  return { user, ...(replaces === undefined ? {} : { replaces }), start, end };
}

const override: Command = {
  kind: 'command',
  name: 'override',
  summary: 'Have someone cover a schedule (or one person on it) for a while',
  description:
    'With --replaces, USER covers only the shifts of that person; without it, USER is on call\n' +
    'for the whole time. Prints the id of the new override.',
  positionals: [{ name: 'SCHEDULE' }],
  options: {
    user: { type: 'string', value: 'USER', description: 'who covers (a user id; required)' },
    replaces: { type: 'string', value: 'USER', description: 'only instead of this user' },
    start: { type: 'string', value: 'ISO', description: 'when it starts (default: now)' },
    end: { type: 'string', value: 'ISO', description: 'when it ends (or give --duration)' },
    duration: { type: 'string', value: 'DURATION', description: 'how long from the start, e.g. 8h (or give --end)' },
    ...REMOTE_OPTIONS,
  },
  examples: [
    'firebreak schedule override platform --user tomasz --replaces amara --start 2024-05-04T09:00:00Z --duration 1d',
    'firebreak schedule override platform --user priya --start 2024-05-04T18:00:00Z --end 2024-05-05T09:00:00Z',
  ],
  async run(invocation) {
    const schedule = arg(invocation, 'SCHEDULE');
    const body = overrideBody(invocation);
    const created = await connect(invocation).post<Override>(schedulePath(schedule, '/overrides'), body);
    const { io, options } = invocation;
    if (options.flag('json')) {
      printLine(io.stdout, formatJson(created));
      return 0;
    }
    printLine(io.stderr, `Override: ${describeOverride(created, viewOf(invocation))}`);
    printLine(io.stdout, created.id);
    return 0;
  },
};

export const scheduleGroup: Group = {
  kind: 'group',
  name: 'schedule',
  summary: 'On-call schedules: shifts and overrides',
  children: [shifts, override],
};

// ---------------------------------------------------------------------------
// Outbox

export const OUTBOX_STATES = ['pending', 'sending', 'delivered', 'dead', 'cancelled'] as const;

/** The query of `outbox list`, checked before anything is sent. */
export function outboxQuery(invocation: Invocation): Query {
  const { options, usage } = invocation;
  const states = options.strings('state');
  for (const state of states) {
    if (!(OUTBOX_STATES as readonly string[]).includes(state)) {
      throw new UsageError(`--state '${state}' is not one of ${OUTBOX_STATES.join(', ')}`, usage);
    }
  }
  const limit = optionalLimit(invocation);
  if (limit !== undefined && limit > 500) throw new UsageError('--limit is at most 500', usage);
  return { state: states, incident: options.string('incident'), channel: options.string('channel'), limit };
}

const outboxList: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List outbound messages (pages, notifications), newest first',
  description: 'Needs an admin token. Dead letters (--state dead) can be sent again with `firebreak outbox replay`.',
  options: {
    state: { type: 'string', value: 'STATE', multiple: true, description: `only messages in this state (${OUTBOX_STATES.join(', ')})` },
    incident: { type: 'string', value: 'ID', description: 'only messages about this incident' },
    channel: { type: 'string', value: 'ID', description: 'only messages through this channel' },
    limit: { type: 'string', value: 'N', description: 'at most N messages (default 100, at most 500)' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak outbox list --state dead', 'firebreak outbox list --incident 01HXYZ --channel pager-bridge'],
  async run(invocation) {
    const query = outboxQuery(invocation);
    const result = await connect(invocation).get<{ items: OutboxMessage[] }>('/outbox', query);
    return respond(invocation, result, () => renderOutboxTable(result.items, viewOf(invocation)));
  },
};

const outboxReplay: Command = {
  kind: 'command',
  name: 'replay',
  summary: 'Send a dead letter again',
  description: 'Needs an admin token. Only dead letters are replayed: any other message exits 4.',
  positionals: [{ name: 'ID' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const message = await connect(invocation).post<OutboxMessage>(`/outbox/${segment(id)}/replay`);
    const to = message.recipient === null ? '' : ` to ${message.recipient}`;
    return respond(invocation, message, () => `Replaying ${message.id} (${message.kind || 'message'}${to} through ${message.channelId}): it is ${message.state} again`);
  },
};

export const outboxGroup: Group = {
  kind: 'group',
  name: 'outbox',
  summary: 'Inspect outbound messages and replay dead letters',
  children: [outboxList, outboxReplay],
};
