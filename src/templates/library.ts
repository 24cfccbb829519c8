import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MessageTemplates, TemplateError, type ParsedTemplate, type TemplateFormat, type TemplateProblem } from './engine.ts';

/** One file of the templates folder: `update.liquid`, or `update.P0.liquid` for one severity. */
export interface MessageTemplate {
  name: string;
  /** The severity this variant is for; null for the one every other severity uses. */
  severity: string | null;
  file: string;
  source: string;
  parsed: ParsedTemplate;
}

export interface TemplateLibrary {
  readonly folder: string | null;
  readonly templates: readonly MessageTemplate[];
  /** The variant for the severity when there is one, else the general template. */
  pick(name: string, severity?: string | null): MessageTemplate | undefined;
  /** Parses text that is not (yet) in the folder, e.g. an edit being previewed. */
  parse(source: string): ParsedTemplate;
  render(template: ParsedTemplate, scope: Record<string, unknown>, format?: TemplateFormat): string;
}

export interface TemplateFileProblem extends TemplateProblem {
  file: string;
}

const FILE = /^([a-z0-9][a-z0-9_-]{0,62})(?:\.([A-Za-z0-9][A-Za-z0-9_-]{0,31}))?\.liquid$/;
const MAX_FILES = 200;

/**
 * Reads every `*.liquid` of the folder, relative to the config file. Every file must
 * parse: a broken template is found when the config loads, not when an incident needs it.
 */
export function loadTemplateLibrary(
  folder: string | undefined,
  configPath: string | null,
  severities: readonly string[],
): { library: TemplateLibrary; problems: TemplateFileProblem[] } {
  const engine = new MessageTemplates();
  const problems: TemplateFileProblem[] = [];
  const templates: MessageTemplate[] = [];
  let absolute: string | null = null;
  if (folder !== undefined) {
    const base = configPath === null ? process.cwd() : dirname(resolve(configPath));
    absolute = resolve(base, folder);
    let names: string[] = [];
    try {
      if (!statSync(absolute).isDirectory()) throw new Error('it is not a folder');
      names = readdirSync(absolute).filter((name) => name.endsWith('.liquid')).sort();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
      problems.push({ file: absolute, message: `the templates folder ${absolute} ${reason}`, line: null, column: null });
    }
    if (names.length > MAX_FILES) {
      problems.push({ file: absolute, message: `the templates folder holds ${names.length} templates; at most ${MAX_FILES} are read`, line: null, column: null });
      names = names.slice(0, MAX_FILES);
    }
    const bySeverity = new Map(severities.map((id) => [id.toLowerCase(), id]));
    for (const name of names) {
      const file = join(absolute, name);
      const match = FILE.exec(name);
      const severity = match?.[2] === undefined ? null : (bySeverity.get(match[2].toLowerCase()) ?? undefined);
      if (!match || severity === undefined) {
        problems.push({
          file,
          message: match
            ? `"${match[2]}" in ${name} is not a severity (known: ${severities.join(', ')})`
            : `${name} is not named NAME.liquid or NAME.SEVERITY.liquid (lower-case name, letters, digits, - and _)`,
          line: null,
          column: null,
        });
        continue;
      }
      let source: string;
      try {
        source = readFileSync(file, 'utf8');
      } catch (error) {
        problems.push({ file, message: `cannot be read (${(error as Error).message})`, line: null, column: null });
        continue;
      }
      try {
        templates.push({ name: match[1]!, severity, file, source, parsed: engine.parse(source) });
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        problems.push({ file, ...error.problem });
      }
    }
  }
  return { library: libraryOf(absolute, templates, engine), problems };
}

function libraryOf(folder: string | null, templates: MessageTemplate[], engine: MessageTemplates): TemplateLibrary {
  return {
    folder,
    templates,
    pick(name, severity) {
      const wanted = severity?.toLowerCase();
      const variant = wanted === undefined ? undefined : templates.find((t) => t.name === name && t.severity?.toLowerCase() === wanted);
      return variant ?? templates.find((t) => t.name === name && t.severity === null);
    },
    parse: (source) => engine.parse(source),
    render: (template, scope, format) => engine.render(template, scope, format),
  };
}

export const EMPTY_TEMPLATES: TemplateLibrary = libraryOf(null, [], new MessageTemplates());
