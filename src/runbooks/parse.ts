/**
 * Markdown runbooks → the runbook model. A file is one runbook, or each `## Runbook: …`
 * section of a file that holds several. The document's own structure is kept: metadata
 * lines (`**Severity:** P1`), sections by heading, resolution scenarios (`**Scenario A: …**`
 * paragraphs or headings under a resolution section), steps from code fences, and the
 * prose around them for approvals. Parsing never throws; what it cannot make sense of
 * becomes a diagnostic.
 */
import type { Code, Heading, Nodes, Paragraph, PhrasingContent, Root, RootContent } from 'mdast';
import { toString } from 'mdast-util-to-string';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { visit } from 'unist-util-visit';
import { readFenceInfo } from './attributes.ts';
import {
  FENCE_LANGUAGE_KINDS,
  type DecisionPoint,
  type Diagnostic,
  type DiagnosticSeverity,
  type MetadataEntry,
  type Runbook,
  type RunbookBlock,
  type RunbookFile,
  type RunbookParameter,
  type RunbookSection,
  type RunbookStep,
  type Scenario,
  type SectionKind,
} from './model.ts';
import { stepsFromFence } from './steps.ts';

const markdown = unified().use(remarkParse).use(remarkGfm).freeze();

const RUNBOOK_HEADING = /^runbook\s*:\s*(.+)$/i;
const OUTPUT_CAPTION = /\b(?:expected|example|sample)\s+(?:output|response|result)\b|^output\b/i;
const NOT_A_SCENARIO = /\b(?:output|example|template|note|warning|important|caution|tip)\b/i;

/** Reads every runbook of a Markdown file. `source` names the file in diagnostics. */
export function parseRunbooks(text: string, source: string): Runbook[] {
  return parseRunbookFile(text, source).runbooks;
}

/** Like parseRunbooks, with the diagnostics of the whole file (also those outside any runbook). */
export function parseRunbookFile(text: string, source: string): RunbookFile {
  const tree = markdown.parse(text) as Root;
  const lines = text.split(/\r\n|\r|\n/);
  const diagnostics: Diagnostic[] = [];
  const runbooks: Runbook[] = [];
  const ids = new Set<string>();

  for (const range of runbookRanges(tree, text, source)) {
    const runbook = new RunbookReader(tree, lines.length, source, range).read();
    if (ids.has(runbook.id)) {
      const original = runbook.id;
      let n = 2;
      while (ids.has(`${original}-${n}`)) n += 1;
      runbook.id = `${original}-${n}`;
      runbook.diagnostics.push(
        diagnostic('warning', 'duplicate-runbook-id', `Another runbook in this file is also called "${runbook.title}"; this one is ${runbook.id}`, source, runbook.line, runbook.id, null),
      );
      for (const entry of runbook.diagnostics) entry.runbook = runbook.id;
    }
    ids.add(runbook.id);
    runbooks.push(runbook);
    diagnostics.push(...runbook.diagnostics);
  }

  // An unclosed fence swallows everything after it, runbooks included: report it wherever it is.
  visit(tree, 'code', (node: Code) => {
    const line = node.position?.start.line ?? 1;
    if (isClosed(node, lines)) return;
    const owner = runbooks.find((runbook) => line >= runbook.line && line <= runbook.endLine) ?? null;
    const entry = diagnostic(
      'error',
      'unclosed-fence',
      'This code fence is never closed: everything after it up to the end of its block is read as code',
      source,
      line,
      owner?.id ?? null,
      null,
    );
    owner?.diagnostics.push(entry);
    diagnostics.push(entry);
  });
  diagnostics.sort((a, b) => a.line - b.line);
  return { source, runbooks, diagnostics };
}

interface Range {
  title: string;
  /** The runbook is the whole file rather than one `Runbook:` section of it. */
  wholeFile: boolean;
  /** Index in root.children of the title heading, or null when the file has none. */
  heading: number | null;
  from: number;
  to: number;
}

function runbookRanges(tree: Root, text: string, source: string): Range[] {
  const top = tree.children;
  const marked: Range[] = [];
  top.forEach((node, index) => {
    if (node.type !== 'heading') return;
    const match = RUNBOOK_HEADING.exec(toString(node).trim());
    if (match === null) return;
    let to = index + 1;
    while (to < top.length && !(top[to]!.type === 'heading' && (top[to] as Heading).depth <= node.depth)) to += 1;
    marked.push({ title: match[1]!.trim(), wholeFile: false, heading: index, from: index, to });
  });
  if (marked.length > 0) return marked;
  if (text.trim() === '') return [];
  const h1 = top.findIndex((node) => node.type === 'heading' && node.depth === 1);
  const first = h1 >= 0 ? h1 : top.findIndex((node) => node.type === 'heading');
  const fallback = source.split(/[\\/]/).pop()?.replace(/\.(?:md|markdown)$/i, '') || 'runbook';
  const title = first >= 0 ? toString(top[first]!).trim() || fallback : fallback;
  return [{ title, wholeFile: true, heading: first >= 0 ? first : null, from: 0, to: top.length }];
}

function isClosed(node: Code, lines: string[]): boolean {
  const start = node.position?.start;
  const end = node.position?.end;
  if (start === undefined || end === undefined) return true;
  const opening = (lines[start.line - 1] ?? '').slice(start.column - 1);
  const fence = /^(`{3,}|~{3,})/.exec(opening);
  if (fence === null) return true; // indented code has no fence to close
  if (end.line === start.line) return false;
  const closing = (lines[end.line - 1] ?? '').replace(/^[\s>]*/, '');
  const char = fence[1]![0] === '`' ? '`' : '~';
  return new RegExp(`^\\${char}{${fence[1]!.length},}\\s*$`).test(closing);
}

export function slugify(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80)
      .replace(/-+$/, '') || 'untitled'
  );
}

function camelKey(label: string): string {
  const words = label.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  return words.map((word, index) => (index === 0 ? word.toLowerCase() : word[0]!.toUpperCase() + word.slice(1).toLowerCase())).join('') || 'field';
}

/** Classifies a heading by how it starts, after a `Phase 2:` / `3.` prefix: `Resolution Steps`, `Mitigation (15-30 minutes)`. */
export function sectionKindOf(title: string): SectionKind {
  const bare = title
    .replace(/^(?:phase|step|stage|part)\s*[\w.]+\s*[:.)\-–—]\s*/i, '')
    .replace(/^\d+[a-z]?[.)]\s*/i, '')
    .trim();
  if (/^symptoms?\b/i.test(bare)) return 'symptoms';
  if (/^(?:investigat|diagnos|assess|triage)/i.test(bare)) return 'investigation';
  if (/^(?:resolution|resolv|resolve|mitigat|remediat|fix\b|workaround)/i.test(bare)) return 'resolution';
  if (/^(?:verif|validat|success criteria)/i.test(bare)) return 'verification';
  if (/^prevent/i.test(bare)) return 'prevention';
  if (/^escalat/i.test(bare)) return 'escalation';
  return 'other';
}

function diagnostic(
  severity: DiagnosticSeverity,
  code: string,
  message: string,
  source: string,
  line: number,
  runbook: string | null,
  step: string | null,
): Diagnostic {
  return { severity, code, message, source, line, runbook, step };
}

/** Splits a paragraph into its source lines, each as a list of inline nodes. */
function paragraphLines(paragraph: Paragraph): PhrasingContent[][] {
  const result: PhrasingContent[][] = [[]];
  for (const child of paragraph.children) {
    if (child.type === 'break') {
      result.push([]);
      continue;
    }
    if (child.type !== 'text') {
      result[result.length - 1]!.push(child);
      continue;
    }
    child.value.split('\n').forEach((part, index) => {
      if (index > 0) result.push([]);
      if (part !== '') result[result.length - 1]!.push({ type: 'text', value: part });
    });
  }
  return result;
}

function metadataLine(nodes: PhrasingContent[]): { label: string; value: string } | null {
  const meaningful = nodes.filter((node) => !(node.type === 'text' && node.value.trim() === ''));
  const first = meaningful[0];
  if (first === undefined || first.type !== 'strong') return null;
  const strongText = toString(first).trim();
  const rest = nodes.slice(nodes.indexOf(first) + 1).map((node) => toString(node)).join('');
  let label: string;
  let value: string;
  if (strongText.endsWith(':')) {
    label = strongText.slice(0, -1).trim();
    value = rest;
  } else if (rest.trimStart().startsWith(':')) {
    label = strongText;
    value = rest.trimStart().slice(1);
  } else {
    return null;
  }
  if (label === '' || label.length > 60) return null;
  return { label, value: value.trim() };
}

/** A paragraph that is only bold text (`**Scenario A: …**`), as its text; else null. */
function boldLabel(paragraph: Paragraph): string | null {
  const meaningful = paragraph.children.filter((node) => !(node.type === 'text' && node.value.trim() === ''));
  if (meaningful.length === 1 && meaningful[0]!.type === 'strong') return toString(meaningful[0]!).trim();
  const first = meaningful[0];
  if (first?.type === 'strong' && /^scenario\b/i.test(toString(first).trim())) return toString(paragraph).trim();
  return null;
}

function scenarioKey(label: string): { key: string | null; title: string } {
  const named = /^(?:scenario|option|case)\s+([A-Za-z0-9]{1,8})\s*(?:[:.)\-–—]\s*(.*))?$/i.exec(label);
  if (named !== null) return { key: named[1]!, title: named[2]?.trim() || label };
  const numbered = /^(\d{1,3}[a-z]?|[A-Z])[.):]\s+(.+)$/.exec(label);
  if (numbered !== null) return { key: numbered[1]!, title: numbered[2]!.trim() };
  return { key: null, title: label };
}

class RunbookReader {
  private readonly top: RootContent[];
  private readonly runbook: Runbook;
  private readonly sectionStack: RunbookSection[] = [];
  private scenario: Scenario | null = null;
  private readonly stepIds = new Set<string>();
  private readonly structureIds = new Set<string>();
  private readonly parameters = new Map<string, RunbookParameter>();
  private readonly prefixCounts = new Map<string, number>();
  private readonly descriptionParts: string[] = [];

  constructor(
    tree: Root,
    lineCount: number,
    private readonly source: string,
    private readonly range: Range,
  ) {
    this.top = tree.children;
    const first = this.top[range.heading ?? range.from];
    const last = this.top[range.to - 1];
    const nextStart = this.top[range.to]?.position?.start.line;
    this.runbook = {
      id: slugify(range.title),
      title: range.title,
      source,
      line: range.wholeFile ? 1 : (first?.position?.start.line ?? 1),
      endLine: nextStart !== undefined ? nextStart - 1 : Math.max(lineCount, last?.position?.end.line ?? 1),
      alertName: null,
      severity: null,
      metadata: [],
      description: '',
      sections: [],
      scenarios: [],
      steps: [],
      blocks: [],
      parameters: [],
      decisions: [],
      diagnostics: [],
    };
  }

  read(): Runbook {
    for (let index = this.range.from; index < this.range.to; index += 1) {
      if (index === this.range.heading) continue;
      this.node(this.top[index]!, index);
    }
    this.finish();
    return this.runbook;
  }

  private get section(): RunbookSection | null {
    return this.sectionStack[this.sectionStack.length - 1] ?? null;
  }

  private inResolution(): RunbookSection | null {
    return [...this.sectionStack].reverse().find((section) => section.kind === 'resolution') ?? null;
  }

  private node(node: RootContent, index: number): void {
    switch (node.type) {
      case 'heading':
        this.heading(node);
        return;
      case 'paragraph':
        this.paragraph(node);
        return;
      case 'code':
        this.fence(node, this.top, index);
        return;
      case 'list':
        if (this.section !== null) this.section.items.push(...node.children.map((item) => toString(item).trim()));
        else this.descriptionParts.push(toString(node));
        break;
      case 'blockquote':
        this.addText(toString(node));
        break;
      default:
        break;
    }
    visit(node, 'code', (code: Code, childIndex, parent) => {
      if (parent !== undefined && childIndex !== undefined) this.fence(code, parent.children as Nodes[], childIndex);
    });
  }

  private addText(text: string): void {
    const trimmed = text.trim();
    if (trimmed === '') return;
    if (this.section !== null) this.section.text = this.section.text === '' ? trimmed : `${this.section.text}\n\n${trimmed}`;
    else this.descriptionParts.push(trimmed);
  }

  private heading(node: Heading): void {
    const title = toString(node).trim();
    const line = node.position?.start.line ?? 1;
    while (this.section !== null && this.section.depth >= node.depth) this.sectionStack.pop();
    this.closeScenario(line - 1);
    const resolution = this.inResolution();
    if (resolution !== null) {
      this.openScenario(title, resolution, line);
      return;
    }
    const id = this.uniqueId(slugify(title));
    const section: RunbookSection = {
      id,
      title,
      kind: sectionKindOf(title),
      depth: node.depth,
      parentId: this.section?.id ?? null,
      line,
      endLine: line,
      text: '',
      items: [],
      steps: [],
    };
    this.runbook.sections.push(section);
    this.sectionStack.push(section);
  }

  private paragraph(node: Paragraph): void {
    const line = node.position?.start.line ?? 1;
    if (this.runbook.sections.length === 0) {
      const rest: string[] = [];
      paragraphLines(node).forEach((nodes, offset) => {
        const entry = metadataLine(nodes);
        if (entry === null) {
          const text = nodes.map((child) => toString(child)).join('').trim();
          if (text !== '') rest.push(text);
          return;
        }
        this.runbook.metadata.push({ key: camelKey(entry.label), label: entry.label, value: entry.value, line: line + offset });
      });
      if (rest.length > 0) this.descriptionParts.push(rest.join('\n'));
      return;
    }
    const label = boldLabel(node);
    const resolution = this.inResolution() ?? (this.section?.kind === 'resolution' ? this.section : null);
    if (label !== null) {
      const bare = label.replace(/:$/, '').trim();
      if (/^scenario\b/i.test(bare) || (resolution !== null && !NOT_A_SCENARIO.test(bare))) {
        this.closeScenario(line - 1);
        this.openScenario(bare, resolution ?? this.section, line);
        return;
      }
    }
    this.addText(toString(node));
  }

  private openScenario(label: string, section: RunbookSection | null, line: number): void {
    const { key, title } = scenarioKey(label);
    const id = this.uniqueId(key !== null ? `scenario-${slugify(key)}` : slugify(title));
    this.scenario = { id, key, title, label, section: section?.id ?? null, line, endLine: line, steps: [] };
    this.runbook.scenarios.push(this.scenario);
  }

  /** Section and scenario ids share one namespace so that step ids built on them never collide. */
  private uniqueId(base: string): string {
    let id = base;
    for (let n = 2; this.structureIds.has(id); n += 1) id = `${base}-${n}`;
    this.structureIds.add(id);
    return id;
  }

  private closeScenario(endLine: number): void {
    if (this.scenario !== null) this.scenario.endLine = Math.max(this.scenario.line, endLine);
    this.scenario = null;
  }

  /** Paragraphs and blockquotes right before a fence, nearest last. */
  private proseBefore(siblings: Nodes[], index: number): string[] {
    const prose: string[] = [];
    for (let k = index - 1; k >= 0 && prose.length < 3; k -= 1) {
      const sibling = siblings[k]!;
      if (sibling.type !== 'paragraph' && sibling.type !== 'blockquote' && sibling.type !== 'html') break;
      prose.unshift(toString(sibling).trim());
    }
    return prose;
  }

  private fence(node: Code, siblings: Nodes[], index: number): void {
    const fenceLine = node.position?.start.line ?? 1;
    const endLine = node.position?.end.line ?? fenceLine;
    // Commands run in bash, where a carriage return would be part of the last word.
    const value = node.value.replace(/\r\n?/g, '\n');
    const info = readFenceInfo(node.lang, node.meta);
    for (const problem of info.problems) {
      this.runbook.diagnostics.push(diagnostic('error', problem.code, problem.message, this.source, fenceLine, this.runbook.id, null));
    }
    const prose = this.proseBefore(siblings, index);
    const caption = prose[prose.length - 1] ?? null;
    const kind = info.attributes?.kind ?? (info.language !== null ? FENCE_LANGUAGE_KINDS[info.language] : undefined) ?? null;
    const isOutput = info.attributes?.kind == null && caption !== null && OUTPUT_CAPTION.test(caption);
    if (kind === null || isOutput) {
      if (info.attributes !== null && kind === null) {
        this.runbook.diagnostics.push(
          diagnostic(
            'warning',
            'not-a-step-language',
            `A fence in ${info.language ?? 'no language'} has step attributes but is not a step; use bash, sh, shell, sql, promql or http, or set "kind"`,
            this.source,
            fenceLine,
            this.runbook.id,
            null,
          ),
        );
      }
      const block: RunbookBlock = {
        language: info.language,
        text: value,
        caption,
        reason: isOutput ? 'output' : 'not-a-step-language',
        section: this.section?.id ?? null,
        line: fenceLine,
        endLine,
      };
      this.runbook.blocks.push(block);
      return;
    }
    const drafts = stepsFromFence({
      text: value,
      kind,
      language: info.language,
      attributes: info.attributes,
      firstLine: fenceLine + 1,
      prose,
    });
    for (const draft of drafts) {
      const id = this.stepId(info.attributes?.name ?? null, draft.number, fenceLine);
      const decisions: DecisionPoint[] = draft.decisions.map((decision, k) => ({
        id: `${id}-decision-${k + 1}`,
        question: decision.question,
        text: decision.text,
        condition: decision.condition,
        action: decision.action,
        step: id,
        gatesStep: decision.gatesStep,
        line: decision.line,
      }));
      const step: RunbookStep = {
        id,
        title: draft.title,
        kind: draft.kind,
        language: info.language,
        number: draft.number,
        section: this.section?.id ?? null,
        scenario: this.scenario?.id ?? null,
        command: draft.command,
        renderedCommand: draft.renderedCommand,
        parameters: [...new Set(draft.parameters.map((use) => use.name))],
        approval: draft.approval,
        timeoutMs: draft.timeoutMs,
        timeoutSource: draft.timeoutSource,
        interactive: draft.interactive,
        runner: draft.runner,
        waits: draft.facts.waits,
        waitOnly: draft.facts.waitOnly,
        neverEnding: draft.facts.neverEnding,
        destructive: draft.facts.destructive,
        decisions: decisions.map((decision) => decision.id),
        expectedOutput: draft.expectedOutput,
        attributes: info.attributes?.raw ?? null,
        source: this.source,
        line: draft.line,
        endLine: draft.endLine,
        fenceLine,
      };
      this.runbook.steps.push(step);
      this.runbook.decisions.push(...decisions);
      this.section?.steps.push(id);
      this.scenario?.steps.push(id);
      for (const use of draft.parameters) this.addParameter(id, use);
      for (const problem of draft.problems) {
        this.runbook.diagnostics.push(diagnostic(problem.severity, problem.code, problem.message, this.source, problem.line, this.runbook.id, id));
      }
    }
  }

  private stepId(name: string | null, number: number | null, line: number): string {
    if (name !== null) {
      if (!this.stepIds.has(name)) {
        this.stepIds.add(name);
        return name;
      }
      this.runbook.diagnostics.push(
        diagnostic('warning', 'duplicate-step-name', `Another step of this runbook is already named "${name}"`, this.source, line, this.runbook.id, null),
      );
    }
    const prefix = name ?? this.scenario?.id ?? this.section?.id ?? 'step';
    const count = (this.prefixCounts.get(prefix) ?? 0) + 1;
    this.prefixCounts.set(prefix, count);
    let id = `${prefix}-${number ?? count}`;
    for (let n = 2; this.stepIds.has(id); n += 1) id = `${prefix}-${number ?? count}-${n}`;
    this.stepIds.add(id);
    return id;
  }

  private addParameter(step: string, use: { name: string; placeholder: string; line: number; required: boolean; defaultValue: string | null }): void {
    let parameter = this.parameters.get(use.name);
    if (parameter === undefined) {
      parameter = { name: use.name, required: false, defaultValue: null, usedIn: [] };
      this.parameters.set(use.name, parameter);
      this.runbook.parameters.push(parameter);
    }
    if (use.required) parameter.required = true;
    if (parameter.defaultValue === null && use.defaultValue !== null) parameter.defaultValue = use.defaultValue;
    parameter.usedIn.push({ step, line: use.line, placeholder: use.placeholder });
  }

  private finish(): void {
    const { runbook } = this;
    this.closeScenario(runbook.endLine);
    // A section ends where the next heading of its depth or shallower begins.
    const open: RunbookSection[] = [];
    for (const section of runbook.sections) {
      while (open.length > 0 && open[open.length - 1]!.depth >= section.depth) open.pop()!.endLine = section.line - 1;
      open.push(section);
    }
    for (const section of open) section.endLine = runbook.endLine;
    const sections = new Map(runbook.sections.map((section) => [section.id, section]));
    runbook.scenarios.forEach((scenario, index) => {
      const next = runbook.scenarios[index + 1];
      const sectionEnd = (scenario.section !== null ? sections.get(scenario.section)?.endLine : undefined) ?? runbook.endLine;
      const nextStart = next !== undefined ? next.line - 1 : runbook.endLine;
      scenario.endLine = Math.max(scenario.line, Math.min(sectionEnd, nextStart));
    });
    const entry = (...keys: string[]) =>
      runbook.metadata.find((candidate: MetadataEntry) => keys.includes(candidate.key))?.value.replace(/^`|`$/g, '') ?? null;
    runbook.alertName = entry('alertName', 'alert');
    runbook.severity = entry('severity', 'priority');
    runbook.description = this.descriptionParts.join('\n\n').trim();
  }
}
