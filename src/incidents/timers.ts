import type { Context } from '../core/context.ts';
import type { TimerRecord, Tx } from '../store/index.ts';
import { breachIfDue, remindUpdateDue, SLA_DUE_TIMER, UPDATE_DUE_TIMER } from './clocks.ts';
import { fireReminder, REMINDER_TIMER } from './communicate.ts';

export type TimerHandler = (ctx: Context, tx: Tx, timer: TimerRecord) => Promise<void>;

/** What the incident domain does when its timers come due. */
export const incidentTimerHandlers: Record<string, TimerHandler> = {
  [SLA_DUE_TIMER]: (ctx, tx, timer) => breachIfDue(ctx, tx, String(timer.payload.clockId), timer.id, timer.lateMs ?? 0),
  [REMINDER_TIMER]: (ctx, tx, timer) => fireReminder(ctx, tx, timer.payload, timer.lateMs ?? 0),
  [UPDATE_DUE_TIMER]: (ctx, tx, timer) => remindUpdateDue(ctx, tx, String(timer.payload.clockId)),
};
