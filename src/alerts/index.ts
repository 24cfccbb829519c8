/** Alerts: ingest from monitoring, dedup, grouping into incidents, silences, inhibition, maintenance. */
export { AlertPipeline, type IngestSummary, type PipelineObserver } from './pipeline.ts';
export type { IngestOutcome, IngestResult } from './ingest.ts';
export {
  INTEGRATION_KINDS,
  CreateIntegrationInput,
  createIntegration,
  deleteIntegration,
  findIntegrationByKey,
  listIntegrations,
  type IntegrationKind,
} from './integrations.ts';
export {
  CreateSilenceInput,
  CreateMaintenanceInput,
  PreviewSilenceInput,
  createSilence,
  previewSilence,
  expireSilence,
  listSilences,
  createMaintenanceWindow,
  cancelMaintenanceWindow,
  listMaintenanceWindows,
} from './silences.ts';
export { listAlerts, getAlert, type AlertQuery } from './queries.ts';
export { AlertRules, createTemplateEngine } from './rules.ts';
export * from './adapters/index.ts';
export { parseMatchers, parseMatcher, matches, formatMatcher, type Matcher } from './matchers/index.ts';
export type { IncomingAlert, IncomingChange } from './model.ts';
export { ReceivedAlerts, contentOf, type ParsedAlerts } from './received.ts';
export type { OpenAlertsFeed, OpenAlertsUpdate } from './open-alerts.ts';
export { ALERT_LIMITS } from './model.ts';
