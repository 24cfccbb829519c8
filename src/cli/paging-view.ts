import { formatLocalTime, formatRelative, formatTable, parseTime, printable, truncate, type Style, type TimeContext } from './output.ts';

/**
 * On-call schedules, shifts, overrides and the outbox as the API presents them
 * (times are ISO-8601 UTC), and how the CLI shows them. Error text from a
 * delivery came from another system, so it goes through `printable`.
 */

export interface ScheduleSummary {
  id: string;
  name: string;
  timezone: string;
  onCall: string | null;
}

/** `{kind: "layer", layerId}` or `{kind: "override", overrideId}`; null when nobody is on call. */
export type ShiftSource = { kind: 'layer'; layerId: string } | { kind: 'override'; overrideId: string } | null;

export interface OnCall {
  scheduleId: string;
  at: string;
  userId: string | null;
  source: unknown;
}

export interface Shift {
  userId: string | null;
  start: string;
  end: string;
  source: unknown;
}

export interface Override {
  id: string;
  scheduleId: string;
  userId: string;
  replaces: string | null;
  start: string;
  end: string;
  createdBy: string;
  createdAt: string;
}

export interface OutboxMessage {
  id: string;
  idempotencyKey: string;
  channelId: string;
  incidentId: string | null;
  kind: string;
  headline: string;
  recipient: string | null;
  state: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface PagingView extends TimeContext {
  readonly style: Style;
}

const ERROR_WIDTH = 60;
const NOBODY = '(nobody)';

/** `2024-05-01 14:00:00 BST`, or the text itself when it is not a time. */
export function formatAt(iso: string, view: TimeContext): string {
  const at = parseTime(iso);
  return at === undefined ? iso : formatLocalTime(at, { timeZone: view.timeZone, zoneName: true });
}

/** `layer weekly`, `override 01HX…`, or `-` for a source the CLI does not know. */
export function describeSource(source: unknown): string {
  if (typeof source !== 'object' || source === null) return '-';
  const record = source as Record<string, unknown>;
  if (record.kind === 'layer' && typeof record.layerId === 'string') return `layer ${record.layerId}`;
  if (record.kind === 'override' && typeof record.overrideId === 'string') return `override ${record.overrideId}`;
  return typeof record.kind === 'string' ? record.kind : '-';
}

export function renderScheduleTable(schedules: readonly ScheduleSummary[]): string {
  if (schedules.length === 0) return 'No schedules are configured.';
  const rows = schedules.map((schedule) => [schedule.id, printable(schedule.name), schedule.onCall ?? NOBODY]);
  return formatTable(['SCHEDULE', 'NAME', 'ON CALL'], rows);
}

/** Who is on call in each schedule at one time, with where it comes from. */
export function renderOnCallTable(schedules: readonly ScheduleSummary[], answers: readonly OnCall[]): string {
  if (schedules.length === 0) return 'No schedules are configured.';
  const rows = schedules.map((schedule) => {
    const answer = answers.find((candidate) => candidate.scheduleId === schedule.id);
    return [schedule.id, printable(schedule.name), answer?.userId ?? NOBODY, answer?.userId ? describeSource(answer.source) : '-'];
  });
  return formatTable(['SCHEDULE', 'NAME', 'ON CALL', 'FROM'], rows);
}

/** `amara is on call in platform at 2024-05-01 12:00:00 UTC (layer weekly)`. */
export function renderOnCall(answer: OnCall, view: TimeContext): string {
  const when = `at ${formatAt(answer.at, view)}`;
  if (answer.userId === null) return `Nobody is on call in ${answer.scheduleId} ${when}`;
  return `${answer.userId} is on call in ${answer.scheduleId} ${when} (${describeSource(answer.source)})`;
}

export function renderShiftTable(shifts: readonly Shift[], view: TimeContext): string {
  if (shifts.length === 0) return 'No shifts in that time.';
  const rows = shifts.map((shift) => [formatAt(shift.start, view), formatAt(shift.end, view), shift.userId ?? NOBODY, shift.userId ? describeSource(shift.source) : '-']);
  return formatTable(['START', 'END', 'ON CALL', 'FROM'], rows);
}

/** `tomasz covers platform (instead of amara) from … until …`. */
export function describeOverride(override: Override, view: TimeContext): string {
  const instead = override.replaces === null ? '' : ` instead of ${override.replaces}`;
  return `${override.userId} covers ${override.scheduleId}${instead} from ${formatAt(override.start, view)} until ${formatAt(override.end, view)}.`;
}

/** Dead letters in red, delivered in green, still trying in yellow. */
export function colorOutboxState(state: string, style: Style): string {
  if (state === 'dead') return style.red(state);
  if (state === 'delivered') return style.green(state);
  if (state === 'pending' || state === 'sending') return style.yellow(state);
  return style.dim(state);
}

export function renderOutboxTable(messages: readonly OutboxMessage[], view: PagingView): string {
  if (messages.length === 0) return 'No outbox messages.';
  const rows = messages.map((message) => {
    const created = parseTime(message.createdAt);
    return [
      message.id,
      colorOutboxState(message.state, view.style),
      message.channelId,
      message.kind || '-',
      message.recipient ?? '-',
      String(message.attempts),
      message.lastError === null ? '-' : printable(truncate(message.lastError, ERROR_WIDTH)),
      created === undefined ? '-' : formatRelative(created, view.now),
    ];
  });
  return formatTable(['ID', 'STATE', 'CHANNEL', 'KIND', 'RECIPIENT', 'ATTEMPTS', 'LAST ERROR', 'CREATED'], rows);
}
