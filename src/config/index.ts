/**
 * config/ — firebreak.yaml: its schema, loading with every problem reported at
 * once, severity presets, business-hours SLA arithmetic, and reload without risk.
 */
export * from './schema.ts';
export { SEVERITY_PRESETS, SEVERITY_PRESET_NAMES } from './presets.ts';
export {
  DEFAULT_BUSINESS_HOURS,
  createBusinessCalendar,
  isBusinessTime,
  slaDueAt,
  type BusinessCalendar,
} from './businessHours.ts';
export { loadConfigFile, parseConfig } from './load.ts';
export { configProblemsOf, formatConfigProblems, type ConfigProblem } from './problems.ts';
export { ConfigHolder, type ConfigChangeListener, type ConfigHolderOptions, type ConfigReloadResult } from './holder.ts';
export { isValidTimeZone } from './timeZone.ts';
