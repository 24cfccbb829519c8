/** Paging: schedules, escalation policies, pages through people's notification rules, acknowledge links. */
export { pagingHooks, pagingTimerHandlers } from './hooks.ts';
export { AckLinks, type AckClaim } from './links.ts';
export { escalateNow, reassign, policyFor } from './escalation.ts';
export { whoIsOnCall, renderedShifts, scheduleOf } from './oncall.ts';
export type { PagingRuntime } from './page.ts';
export { renderICalendar } from './schedules/index.ts';
export * from './schema.ts';
