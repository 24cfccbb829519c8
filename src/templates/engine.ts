import { Context, Liquid, LiquidError, toValueSync, type Emitter, type FS, type Template } from 'liquidjs';

/** Where a rendered message goes decides how variables are escaped; the template's own text is never touched. */
export type TemplateFormat = 'plain' | 'html' | 'slack';
export const TEMPLATE_FORMATS: readonly TemplateFormat[] = ['plain', 'html', 'slack'];

/** Templates are short messages: anything near these sizes is a mistake or an attack. */
export const MAX_TEMPLATE_CHARS = 100_000;
export const MAX_OUTPUT_CHARS = 64_000;
export const RENDER_LIMIT_MS = 200;
/** LiquidJS's own count of what ranges, joins, appends and the like allocate. */
const MEMORY_LIMIT = 2_000_000;

export interface TemplateProblem {
  message: string;
  line: number | null;
  column: number | null;
}

export type ParsedTemplate = Readonly<Record<TemplateFormat, Template[]>>;

/** A template that does not parse or does not render: what is wrong and where. */
export class TemplateError extends Error {
  readonly line: number | null;
  readonly column: number | null;
  constructor(problem: TemplateProblem) {
    super(problem.message);
    this.name = 'TemplateError';
    this.line = problem.line;
    this.column = problem.column;
  }
  get problem(): TemplateProblem {
    return { message: this.message, line: this.line, column: this.column };
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SLACK_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escapeWith = (table: Record<string, string>, pattern: RegExp) => (value: unknown): string =>
  String(value ?? '').replace(pattern, (char) => table[char]!);
const ESCAPERS: Record<TemplateFormat, ((value: unknown) => string) | undefined> = {
  plain: undefined,
  html: escapeWith(HTML_ESCAPES, /[&<>"']/g),
  // Slack mrkdwn: only & < > are control characters (`<!channel>`, `<url|label>`).
  slack: escapeWith(SLACK_ESCAPES, /[&<>]/g),
};

/**
 * A file system with no files, for Liquid engines that must never read one:
 * {% include %}, {% render %} and {% layout %} find nothing, and reading fails with `refusal`.
 */
export function noFiles(refusal: (file: string) => string): FS {
  const refuse = (file: string): never => {
    throw new Error(refusal(file));
  };
  return {
    exists: async () => false,
    existsSync: () => false,
    readFile: async (file) => refuse(file),
    readFileSync: (file) => refuse(file),
    resolve: (_dir, file) => file,
    contains: async () => false,
    containsSync: () => false,
    dirname: () => '',
  };
}
const NO_FILES = noFiles((file) => `templates cannot read files (${file}); {% include %} and {% render %} are not available`);

/**
 * Message templates are the operator's text rendered with incident data that
 * people (and alert sources) typed: no file system, own properties only, and
 * bounded parse size, render time, allocations and output.
 */
export class MessageTemplates {
  private readonly engines: Record<TemplateFormat, Liquid>;

  constructor() {
    const make = (format: TemplateFormat) =>
      new Liquid({
        ownPropertyOnly: true,
        strictFilters: true,
        relativeReference: false,
        fs: NO_FILES,
        root: [],
        partials: [],
        layouts: [],
        parseLimit: MAX_TEMPLATE_CHARS,
        renderLimit: RENDER_LIMIT_MS,
        memoryLimit: MEMORY_LIMIT,
        // Times are written in UTC whatever the server's zone, so a message reads the same from every instance.
        timezoneOffset: 0,
        ...(ESCAPERS[format] ? { outputEscape: ESCAPERS[format] } : {}),
      });
    this.engines = { plain: make('plain'), html: make('html'), slack: make('slack') };
  }

  /**
   * Parses for every format at once: LiquidJS attaches the escaping filter to each
   * output while parsing. Throws TemplateError with the line and column.
   */
  parse(source: string): ParsedTemplate {
    if (source.length > MAX_TEMPLATE_CHARS) {
      throw new TemplateError({ message: `the template is longer than ${MAX_TEMPLATE_CHARS} characters`, line: null, column: null });
    }
    try {
      return { plain: this.engines.plain.parse(source), html: this.engines.html.parse(source), slack: this.engines.slack.parse(source) };
    } catch (error) {
      throw templateError(error);
    }
  }

  render(parsed: ParsedTemplate, scope: Record<string, unknown>, format: TemplateFormat = 'plain'): string {
    const liquid = this.engines[format];
    const template = parsed[format];
    const context = new Context(scope, liquid.options, { sync: true }, { liquid });
    const emitter = new BoundedEmitter(MAX_OUTPUT_CHARS);
    try {
      toValueSync(liquid.renderer.renderTemplates(template, context, emitter));
    } catch (error) {
      throw templateError(error);
    }
    return emitter.buffer;
  }
}

/**
 * The output stops growing at the limit: a loop that writes megabytes is cut at the
 * first write past it instead of building the whole string and measuring it after.
 */
class BoundedEmitter implements Emitter {
  buffer = '';
  constructor(private readonly max: number) {}
  write(html: unknown): void {
    const text = typeof html === 'string' ? html : html === null || html === undefined ? '' : String(html);
    if (this.buffer.length + text.length > this.max) throw new OutputTooLarge(this.max);
    this.buffer += text;
  }
}

class OutputTooLarge extends Error {
  constructor(max: number) {
    super(`stopped: the message grew past ${max} characters (a loop that writes too much?)`);
  }
}

const LIMIT_MESSAGES: Array<[RegExp, string]> = [
  [/template render limit exceeded/, `stopped: rendering took longer than ${RENDER_LIMIT_MS} ms (an endless or very long loop?)`],
  [/memory alloc limit exceeded/, 'stopped: the template allocates too much (a loop over a huge range, or text doubled again and again?)'],
  [/parse length limit exceeded/, `the template is longer than ${MAX_TEMPLATE_CHARS} characters`],
  [/Failed to lookup/, 'templates cannot include other files ({% include %}, {% render %} and {% layout %} are not available)'],
];

function templateError(error: unknown): TemplateError {
  if (error instanceof TemplateError) return error;
  const original = (error as { originalError?: unknown }).originalError;
  const raw = original instanceof Error ? original.message : error instanceof Error ? error.message : String(error);
  // LiquidJS appends ", line:3, col:7" to its messages; the position is reported separately.
  let message = raw.replace(/, (?:file:[^,]*, )?line:\d+, col:\d+$/, '');
  for (const [pattern, clear] of LIMIT_MESSAGES) if (pattern.test(message)) message = clear;
  let line: number | null = null;
  let column: number | null = null;
  if (LiquidError.is(error)) {
    const position = (error as { token?: { getPosition?: () => number[] } }).token?.getPosition?.();
    if (position && position.length >= 2) [line, column] = [position[0]!, position[1]!];
  }
  return new TemplateError({ message: message.slice(0, 500), line, column });
}
