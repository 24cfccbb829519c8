/**
 * Ingest adapters: each turns one source's wire format into IncomingAlert values
 * (or a PagerDuty change event into an IncomingChange), refusing malformed or
 * oversized payloads with every problem listed. They are pure: no storage, no clock
 * (callers pass `now`), no global state.
 */
export { parseAlertmanagerWebhook } from './alertmanager.ts';
export { parseGrafanaWebhook } from './grafana.ts';
export {
  PAGERDUTY_ACTIONS,
  PAGERDUTY_SEVERITIES,
  PAGERDUTY_SUMMARY_LENGTH,
  pagerDutyAccepted,
  pagerDutyChangeAccepted,
  pagerDutyInvalid,
  parsePagerDutyChange,
  parsePagerDutyEvent,
  type PagerDutyAction,
  type PagerDutyChangeResult,
  type PagerDutyEventResult,
} from './pagerduty.ts';
export {
  DEFAULT_GENERIC_MAPPING,
  DEFAULT_STATUS_MAP,
  GenericMapping,
  genericMappingProblems,
  parseGenericWebhook,
} from './generic.ts';
export type { Problem } from './wire.ts';
