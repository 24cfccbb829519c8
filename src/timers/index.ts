/** Durable timers: rows in the database, fired exactly once by whichever instance claims them. */
export { Scheduler, type SchedulerOptions, type FiredTimer } from './scheduler.ts';
