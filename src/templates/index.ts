/**
 * templates — message templates in Liquid, kept in a folder beside the config
 * (declaration, update, resolution, stakeholder email, status page message; a
 * NAME.SEVERITY.liquid file is one severity's variant). Loaded and parsed with the
 * config, rendered sandboxed: no files, own properties only, bounded time, memory
 * and output, variables escaped for the markup the text goes into.
 */
export { MessageTemplates, TemplateError, TEMPLATE_FORMATS, MAX_OUTPUT_CHARS, RENDER_LIMIT_MS, type ParsedTemplate, type TemplateFormat, type TemplateProblem } from './engine.ts';
export { loadTemplateLibrary, EMPTY_TEMPLATES, type MessageTemplate, type TemplateLibrary, type TemplateFileProblem } from './library.ts';
export { templateScope, sampleFacts, type IncidentFacts } from './scope.ts';
export { incidentFacts, findTemplate, renderMessage, previewTemplate, listTemplates, type Preview, type PreviewInput } from './compose.ts';
export { TemplateSettings, CommunicationsSettings, SeverityCommunications } from './schema.ts';
