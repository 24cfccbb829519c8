/**
 * Runme-style fence attributes: ```` ```bash {"name":"replay-dlq","approval":"required","timeout":"5m"} ````.
 * They override what the parser infers from the text. Keys Firebreak does not know are
 * kept as written (Runme has many) and otherwise ignored.
 */
import { isDuration, parseDuration } from '../core/duration.ts';
import { STEP_KINDS, type StepKind } from './model.ts';

export interface FenceAttributes {
  raw: Record<string, unknown>;
  name: string | null;
  title: string | null;
  kind: StepKind | null;
  approval: boolean | null;
  timeoutMs: number | null;
  runner: string | null;
  interactive: boolean | null;
}

export interface AttributeProblem {
  code: 'malformed-attributes' | 'unknown-step-kind' | 'invalid-attribute';
  message: string;
}

export interface FenceInfo {
  /** Lower-cased language, null when the fence has none. */
  language: string | null;
  attributes: FenceAttributes | null;
  problems: AttributeProblem[];
}

const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const APPROVAL_REQUIRED = new Set(['required', 'yes', 'true']);
const APPROVAL_NONE = new Set(['none', 'no', 'false', 'not-required', 'not required']);

/** Reads `lang` and `meta` of an mdast code node. Never throws. */
export function readFenceInfo(lang: string | null | undefined, meta: string | null | undefined): FenceInfo {
  let language = lang?.trim() || null;
  let attributeText = meta?.trim() || null;
  const brace = language?.indexOf('{') ?? -1;
  if (language !== null && brace >= 0) {
    // ```{"name":"x"} and ```bash{"name":"x"}: the attributes were read as part of the language.
    attributeText = [language.slice(brace), attributeText ?? ''].join(' ').trim();
    language = language.slice(0, brace) || null;
  }
  const info: FenceInfo = { language: language?.toLowerCase() ?? null, attributes: null, problems: [] };
  if (attributeText === null) return info;
  const start = attributeText.indexOf('{');
  if (start === -1) return info; // free text after the language, like ```bash title; not attributes
  const json = attributeText.slice(start, attributeText.lastIndexOf('}') + 1);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    info.problems.push({
      code: 'malformed-attributes',
      message: `Fence attributes are not valid JSON (${(error as Error).message}): ${attributeText}`,
    });
    return info;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    info.problems.push({ code: 'malformed-attributes', message: `Fence attributes must be a JSON object: ${attributeText}` });
    return info;
  }
  info.attributes = interpret(raw as Record<string, unknown>, info.problems);
  return info;
}

function interpret(raw: Record<string, unknown>, problems: AttributeProblem[]): FenceAttributes {
  const attributes: FenceAttributes = {
    raw,
    name: null,
    title: null,
    kind: null,
    approval: null,
    timeoutMs: null,
    runner: null,
    interactive: null,
  };
  const bad = (message: string) => problems.push({ code: 'invalid-attribute', message });

  if (raw.name !== undefined) {
    if (typeof raw.name === 'string' && STEP_NAME.test(raw.name)) attributes.name = raw.name;
    else bad(`"name" must be letters, digits, ".", "_" or "-" (at most 100), not ${JSON.stringify(raw.name)}`);
  }
  if (raw.title !== undefined) {
    if (typeof raw.title === 'string' && raw.title.trim() !== '') attributes.title = raw.title.trim();
    else bad(`"title" must be text, not ${JSON.stringify(raw.title)}`);
  }
  if (raw.kind !== undefined) {
    if (typeof raw.kind === 'string' && (STEP_KINDS as readonly string[]).includes(raw.kind)) {
      attributes.kind = raw.kind as StepKind;
    } else {
      problems.push({
        code: 'unknown-step-kind',
        message: `Unknown step kind ${JSON.stringify(raw.kind)}; use one of ${STEP_KINDS.join(', ')}`,
      });
    }
  }
  if (raw.approval !== undefined) {
    const value = typeof raw.approval === 'string' ? raw.approval.trim().toLowerCase() : raw.approval;
    if (value === true || (typeof value === 'string' && APPROVAL_REQUIRED.has(value))) attributes.approval = true;
    else if (value === false || (typeof value === 'string' && APPROVAL_NONE.has(value))) attributes.approval = false;
    else bad(`"approval" must be "required" or "none", not ${JSON.stringify(raw.approval)}`);
  }
  if (raw.timeout !== undefined) {
    if (typeof raw.timeout === 'number' && Number.isFinite(raw.timeout) && raw.timeout > 0) {
      attributes.timeoutMs = Math.round(raw.timeout * 1000);
    } else if (typeof raw.timeout === 'string' && isDuration(raw.timeout) && parseDuration(raw.timeout) > 0) {
      attributes.timeoutMs = parseDuration(raw.timeout);
    } else {
      bad(`"timeout" must be a duration like "30s", "5m" or "1h30m" (or seconds), not ${JSON.stringify(raw.timeout)}`);
    }
  }
  if (raw.runner !== undefined) {
    if (typeof raw.runner === 'string' && raw.runner.trim() !== '') attributes.runner = raw.runner.trim();
    else bad(`"runner" must be text naming a runner or its labels, not ${JSON.stringify(raw.runner)}`);
  }
  if (raw.interactive !== undefined) {
    // Runme writes booleans as strings as often as not.
    if (raw.interactive === true || raw.interactive === 'true') attributes.interactive = true;
    else if (raw.interactive === false || raw.interactive === 'false') attributes.interactive = false;
    else bad(`"interactive" must be true or false, not ${JSON.stringify(raw.interactive)}`);
  }
  return attributes;
}
