import { arg, fetchAllPages, optionalLimit, optionalTime, required } from './args.ts';
import { segment, type ApiClient, type Query } from './client.ts';
import { REMOTE_OPTIONS, type Command, type Group, type Invocation } from './command.ts';
import { UsageError } from './errors.ts';
import { renderIncident, renderIncidentTable, type Incident, type Page, type TimelineEntry, type ViewContext } from './incident-view.ts';
import { printLine } from './io.ts';
import { styleFor } from './output.ts';
import { connect, respond } from './remote.ts';

const ID = { name: 'ID' } as const;
const incidentPath = (id: string, rest = ''): string => `/incidents/${segment(id)}${rest}`;

const viewOf = ({ io }: Invocation): ViewContext => ({ now: io.now(), timeZone: io.timeZone, style: styleFor(io) });

const declare: Command = {
  kind: 'command',
  name: 'declare',
  summary: 'Declare an incident',
  options: {
    title: { type: 'string', value: 'TITLE', description: 'what is wrong, in a few words (required)' },
    severity: { type: 'string', value: 'SEV', description: 'a severity id from the config, e.g. sev1 (required)' },
    service: { type: 'string', value: 'SERVICE', multiple: true, description: 'an affected service id' },
    summary: { type: 'string', value: 'TEXT', description: 'what is known so far' },
    commander: { type: 'string', value: 'USER', description: 'the incident commander (a user id)' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak incident declare --title "Checkout returns 502" --severity sev2 --service checkout'],
  async run(invocation) {
    const { options } = invocation;
    const body = {
      title: required(invocation, 'title'),
      severity: required(invocation, 'severity'),
      services: options.strings('service'),
      summary: options.string('summary'),
      commander: options.string('commander'),
    };
    const incident = await connect(invocation).post<Incident>('/incidents', body);
    return respond(invocation, incident, () => `Declared ${incident.id} [${incident.severity}] ${incident.title}`);
  },
};

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List incidents, newest first',
  options: {
    status: { type: 'string', value: 'STATUS', multiple: true, description: 'only incidents in this status' },
    severity: { type: 'string', value: 'SEV', multiple: true, description: 'only incidents of this severity' },
    service: { type: 'string', value: 'SERVICE', description: 'only incidents affecting this service' },
    since: { type: 'string', value: 'WHEN', description: 'declared at or after: an ISO time, or a duration ago such as 24h' },
    until: { type: 'string', value: 'WHEN', description: 'declared before: an ISO time, or a duration ago' },
    limit: { type: 'string', value: 'N', description: 'at most N incidents (per page with --all)' },
    all: { type: 'boolean', description: 'follow pages until every matching incident is listed' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak incident list --status investigating --status identified', 'firebreak incident list --since 24h --severity sev1 --all'],
  async run(invocation) {
    const query = listQuery(invocation);
    const client = connect(invocation);
    const page = invocation.options.flag('all') ? await fetchAllPages<Incident>(client, '/incidents', query) : await client.get<Page<Incident>>('/incidents', query);
    const code = respond(invocation, page, () => renderIncidentTable(page.items, viewOf(invocation)));
    if (page.nextCursor && !invocation.options.flag('json')) {
      printLine(invocation.io.stderr, 'More incidents match: add --all to list them all, or narrow with --since/--status/--severity.');
    }
    return code;
  },
};

export function listQuery(invocation: Invocation): Query {
  const { options, io } = invocation;
  const now = io.now();
  return {
    status: options.strings('status'),
    severity: options.strings('severity'),
    service: options.string('service'),
    from: optionalTime(invocation, 'since', now),
    to: optionalTime(invocation, 'until', now),
    limit: optionalLimit(invocation),
  };
}

const show: Command = {
  kind: 'command',
  name: 'show',
  summary: 'Show an incident: fields, SLA clocks, roles and timeline',
  positionals: [ID],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const client = connect(invocation);
    const [incident, timeline] = await Promise.all([
      client.get<Incident>(incidentPath(id)),
      client.get<{ items: TimelineEntry[] }>(incidentPath(id, '/timeline')),
    ]);
    return respond(invocation, { incident, timeline: timeline.items }, () => renderIncident(incident, timeline.items, viewOf(invocation)));
  },
};

const ack: Command = {
  kind: 'command',
  name: 'ack',
  summary: 'Acknowledge an incident (stops its initial-response clock)',
  positionals: [ID],
  options: { comment: { type: 'string', value: 'TEXT', description: 'a note for the timeline' }, ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const incident = await connect(invocation).post<Incident>(incidentPath(id, '/ack'), { comment: invocation.options.string('comment') });
    return respond(invocation, incident, () => `Acknowledged ${id}`);
  },
};

const status: Command = {
  kind: 'command',
  name: 'status',
  summary: 'Move an incident to another status',
  positionals: [ID, { name: 'STATUS' }],
  options: { ...REMOTE_OPTIONS },
  examples: ['firebreak incident status 01HXYZ mitigating'],
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const incident = await connect(invocation).patch<Incident>(incidentPath(id), { status: arg(invocation, 'STATUS') });
    return respond(invocation, incident, () => describeStatus(incident));
  },
};

function describeStatus(incident: Incident): string {
  const next = incident.allowedTransitions.length > 0 ? ` (next: ${incident.allowedTransitions.join(', ')})` : '';
  return `${incident.id} is now ${incident.status}${next}`;
}

const update: Command = {
  kind: 'command',
  name: 'update',
  summary: 'Post a stakeholder update, written or from a template',
  positionals: [ID, { name: 'MESSAGE', rest: true, optional: true }],
  options: {
    public: { type: 'boolean', description: 'also publish it on the public status page' },
    template: { type: 'string', value: 'NAME', description: 'render this message template instead of MESSAGE' },
    var: { type: 'string', value: 'NAME=VALUE', multiple: true, description: 'a template variable (vars.NAME); repeat a name for a list' },
    channel: { type: 'string', value: 'CHANNEL', multiple: true, description: "send to this channel instead of the severity's" },
    ...REMOTE_OPTIONS,
  },
  examples: [
    'firebreak incident update 01HXYZ "Failover done, error rate falling" --public',
    'firebreak incident update 01HXYZ --template update --var eta="30 minutes" --var next_steps="Replay the DLQ"',
  ],
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const isPublic = invocation.options.flag('public');
    const message = invocation.args.MESSAGE;
    const template = invocation.options.string('template');
    if ((message === undefined || message === '') === (template === undefined)) {
      throw new UsageError('give either MESSAGE or --template NAME', invocation.usage);
    }
    const vars = varsOf(invocation.options.strings('var'), invocation);
    const channels = invocation.options.strings('channel');
    const body: Record<string, unknown> = template === undefined ? { message, public: isPublic } : { template, vars, public: isPublic };
    if (channels.length > 0) body.channels = channels;
    const result = await connect(invocation).post<unknown>(incidentPath(id, '/updates'), body);
    return respond(invocation, result, () => `Posted ${isPublic ? 'a public' : 'an internal'} update to ${id}`);
  },
};

/** `NAME=VALUE` words into template variables; a name given twice becomes a list. */
function varsOf(words: readonly string[], invocation: Invocation): Record<string, string | string[]> {
  const vars: Record<string, string | string[]> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var takes NAME=VALUE, not '${word}'`, invocation.usage);
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const before = vars[name];
    vars[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return vars;
}

const postUpdate = (client: ApiClient, id: string, message: string, isPublic: boolean): Promise<unknown> =>
  client.post<unknown>(incidentPath(id, '/updates'), { message, public: isPublic });

const edit: Command = {
  kind: 'command',
  name: 'edit',
  summary: "Change an incident's title, severity, summary or services",
  positionals: [ID],
  options: {
    title: { type: 'string', value: 'TITLE', description: 'new title' },
    severity: { type: 'string', value: 'SEV', description: 'new severity id' },
    summary: { type: 'string', value: 'TEXT', description: 'new summary' },
    service: { type: 'string', value: 'SERVICE', multiple: true, description: 'the affected services (replaces the list)' },
    ...REMOTE_OPTIONS,
  },
  async run(invocation) {
    const { options } = invocation;
    const id = arg(invocation, 'ID');
    const changes = {
      title: options.string('title'),
      severity: options.string('severity'),
      summary: options.string('summary'),
      services: options.has('service') ? options.strings('service') : undefined,
    };
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new UsageError('nothing to change: give --title, --severity, --summary or --service', invocation.usage);
    }
    const incident = await connect(invocation).patch<Incident>(incidentPath(id), changes);
    return respond(invocation, incident, () => `Updated ${id}`);
  },
};

const note: Command = {
  kind: 'command',
  name: 'note',
  summary: "Add a note to an incident's timeline",
  positionals: [ID, { name: 'TEXT', rest: true }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const entry = await connect(invocation).post<unknown>(incidentPath(id, '/notes'), { text: arg(invocation, 'TEXT') });
    return respond(invocation, entry, () => `Added a note to ${id}`);
  },
};

const assign: Command = {
  kind: 'command',
  name: 'assign',
  summary: 'Give an incident role (commander, scribe, …) to a user',
  positionals: [ID, { name: 'ROLE' }, { name: 'USER' }],
  options: { ...REMOTE_OPTIONS },
  examples: ['firebreak incident assign 01HXYZ commander alice'],
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const role = arg(invocation, 'ROLE');
    const user = arg(invocation, 'USER');
    const result = await connect(invocation).put<unknown>(incidentPath(id, `/roles/${segment(role)}`), { assignee: user });
    return respond(invocation, result, () => `${role} of ${id} is now ${user}`);
  },
};

const unassign: Command = {
  kind: 'command',
  name: 'unassign',
  summary: 'Clear an incident role',
  positionals: [ID, { name: 'ROLE' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const role = arg(invocation, 'ROLE');
    const result = await connect(invocation).delete<unknown>(incidentPath(id, `/roles/${segment(role)}`));
    return respond(invocation, result, () => `${id} has no ${role} now`);
  },
};

const resolve: Command = {
  kind: 'command',
  name: 'resolve',
  summary: 'Resolve an incident, optionally posting a final update first',
  positionals: [ID],
  options: {
    message: { type: 'string', value: 'TEXT', description: 'a final stakeholder update, posted before resolving' },
    public: { type: 'boolean', description: 'publish that update on the public status page' },
    ...REMOTE_OPTIONS,
  },
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const client = connect(invocation);
    const message = invocation.options.string('message');
    if (message !== undefined) await postUpdate(client, id, message, invocation.options.flag('public'));
    const incident = await client.patch<Incident>(incidentPath(id), { status: 'resolved' });
    return respond(invocation, incident, () => `Resolved ${id}`);
  },
};

const REASON = { reason: { type: 'string', value: 'TEXT', description: 'why, for the timeline' } } as const;

const escalate: Command = {
  kind: 'command',
  name: 'escalate',
  summary: 'Page the next escalation level now, without waiting for its timeout',
  description: 'Exits 4 for an incident that is not paging (resolved, or no escalation policy applies).',
  positionals: [ID],
  options: { ...REASON, ...REMOTE_OPTIONS },
  examples: ['firebreak incident escalate 01HXYZ --reason "primary is on a flight"'],
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const result = await connect(invocation).post<{ status: string }>(incidentPath(id, '/escalate'), { reason: invocation.options.string('reason') });
    return respond(invocation, result, () => `Escalated ${id} to the next level`);
  },
};

const reassign: Command = {
  kind: 'command',
  name: 'reassign',
  summary: 'Page someone else instead: a user, or whoever is on call in a schedule',
  description: 'Give exactly one of --user and --schedule.',
  positionals: [ID],
  options: {
    user: { type: 'string', value: 'USER', description: 'page this user (a user id)' },
    schedule: { type: 'string', value: 'SCHEDULE', description: 'page whoever is on call in this schedule' },
    ...REASON,
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak incident reassign 01HXYZ --user tomasz --reason "knows the payment service"', 'firebreak incident reassign 01HXYZ --schedule platform'],
  async run(invocation) {
    const id = arg(invocation, 'ID');
    const body = reassignBody(invocation);
    const result = await connect(invocation).post<{ status: string }>(incidentPath(id, '/reassign'), body);
    const who = body.user !== undefined ? body.user : `whoever is on call in ${body.schedule ?? ''}`;
    return respond(invocation, result, () => `Reassigned ${id}: paging ${who}`);
  },
};

/** `--user` or `--schedule`, exactly one, checked before anything is sent. */
export function reassignBody(invocation: Invocation): { user?: string; schedule?: string; reason?: string } {
  const { options, usage } = invocation;
  const user = options.string('user');
  const schedule = options.string('schedule');
  if ((user === undefined) === (schedule === undefined)) {
    throw new UsageError(user === undefined ? 'give --user or --schedule' : 'give --user or --schedule, not both', usage);
  }
  if ((user ?? schedule ?? '').trim() === '') throw new UsageError(`--${user === undefined ? 'schedule' : 'user'} must not be empty`, usage);
  const reason = options.string('reason');
  return { ...(user === undefined ? {} : { user }), ...(schedule === undefined ? {} : { schedule }), ...(reason === undefined ? {} : { reason }) };
}

export const incidentGroup: Group = {
  kind: 'group',
  name: 'incident',
  summary: 'Declare, inspect and drive incidents',
  children: [declare, list, show, ack, status, update, edit, note, assign, unassign, escalate, reassign, resolve],
};
