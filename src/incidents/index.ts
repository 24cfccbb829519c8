/** Incidents: declare, acknowledge, change, communicate; lifecycle, roles, SLA clocks, timeline. */
export { declareIncident, declareIncidentIn, COMMANDER_ROLE, COMMUNICATIONS_ROLE } from './declare.ts';
export { acknowledgeIncident, acknowledgeIncidentIn, unacknowledgeIncidentIn } from './acknowledge.ts';
export { changeIncident, changeStatusIn } from './change.ts';
export { postStakeholderUpdate, addNote, scheduleReminder, type Reminder, REMINDER_TIMER } from './communicate.ts';
export { assignRole, unassignRole } from './roles.ts';
export { getIncident, listIncidents, incidentTimeline, viewOf, MAX_PAGE, type IncidentView, type IncidentQuery } from './queries.ts';
export { INCIDENT_STATUSES, OPEN_STATUSES, allowedTransitions, isOpen, type IncidentStatus } from './lifecycle.ts';
export { CLOCK_LABELS, SLA_DUE_TIMER } from './clocks.ts';
export { appendTimeline } from './timeline.ts';
export { isOpen as isOpenStatus } from './lifecycle.ts';
export { incidentTimerHandlers, type TimerHandler } from './timers.ts';
export * from './schemas.ts';
