import { Type, type Static } from '@sinclair/typebox';
import { DomainError } from '../../core/errors.ts';
import { ALERT_LIMITS, type IncomingAlert } from '../model.ts';
import {
  child,
  describeJson,
  isObject,
  jsonSize,
  LABEL_LIMITS,
  own,
  parseTimestamp,
  Problems,
  safeUrl,
  sha256Hex,
  truncate,
} from './wire.ts';

// ---------------------------------------------------------------------------
// Paths: `a.b[0].c`, `["key.with.dots"]`, and `$` for the whole body.

// Each repetition starts with its own delimiter ('.', '[' + digit, '[' + '"') and
// names stop at delimiters, so this pattern matches in linear time.
const NAME_AFTER_DOT = String.raw`\.[^.\[\]]+`;
const INDEX = String.raw`\[\d{1,9}\]`;
const QUOTED_KEY = String.raw`\["(?:[^"\\]|\\.)*"\]`;
const STEP = `(?:${NAME_AFTER_DOT}|${INDEX}|${QUOTED_KEY})`;
const FIRST = String.raw`(?:[^.\[\]$][^.\[\]]*|${INDEX}|${QUOTED_KEY})`;
const PATH_PATTERN = String.raw`^(?:\$${STEP}*|${FIRST}${STEP}*)$`;

/** A path field of the mapping; each gets its own description. */
const Path = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 256,
    pattern: PATH_PATTERN,
    description: `${description} (a path such as data.title, alerts[0].labels or ["app.kubernetes.io/name"]; $ is the whole body)`,
  });

const GENERIC_STATUSES = ['firing', 'resolved'] as const;

/**
 * How a generic integration reads the JSON its sender posts. Every field is a path;
 * paths are read from each alert (the items of `alerts`, or the body itself), and
 * from the whole body when they start with `$`.
 */
export const GenericMapping = Type.Object(
  {
    alerts: Type.Optional(Path('the list of alerts (use $ when the body is a list); without it the body is one alert')),
    title: Type.Optional(Path('one line for people; the alert summary')),
    dedupKey: Type.Optional(Path('identity of the alert; without it, a hash of its labels and title')),
    status: Type.Optional(Path('firing or resolved, read through statusMap; without it, firing')),
    statusMap: Type.Optional(
      // Literals, not StringEnum: TypeBox's Value.Check (config validation) cannot check an Unsafe enum.
      Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Union(GENERIC_STATUSES.map((status) => Type.Literal(status))), {
        maxProperties: 100,
        description: 'extra status words (compared case-insensitively) and what they mean, e.g. {"alarm": "firing", "clear": "resolved"}',
      }),
    ),
    severity: Type.Optional(Path('the source’s severity word; also the severity label unless labels have one')),
    labels: Type.Optional(Path('an object whose entries become labels')),
    labelFields: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: ALERT_LIMITS.labelNameLength }), Path('where the label is'), {
        maxProperties: 64,
        description: 'label name → path, e.g. {"host": "data.hostname"}',
      }),
    ),
    annotations: Type.Optional(Path('an object whose entries become annotations')),
    annotationFields: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: ALERT_LIMITS.labelNameLength }), Path('where the annotation is'), {
        maxProperties: 64,
        description: 'annotation name → path, e.g. {"description": "data.message"}',
      }),
    ),
    startsAt: Type.Optional(Path('RFC 3339 text, or epoch seconds / milliseconds')),
    endsAt: Type.Optional(Path('RFC 3339 text, or epoch seconds / milliseconds')),
    link: Type.Optional(Path('an http(s) URL to show with the alert')),
  },
  { additionalProperties: false, description: 'where a generic webhook’s fields are in its JSON' },
);
export type GenericMapping = Static<typeof GenericMapping>;

/**
 * The mapping a generic integration uses when it has none: a body such as
 *
 * ```json
 * {"title": "Disk full on db-1", "status": "firing", "severity": "critical",
 *  "labels": {"service": "db", "host": "db-1"}, "dedup_key": "disk-db-1",
 *  "annotations": {"runbook_url": "https://…"}, "starts_at": "2024-05-01T12:00:00Z",
 *  "link": "https://monitoring.example.com/…"}
 * ```
 *
 * where everything but `title` is optional.
 */
export const DEFAULT_GENERIC_MAPPING: GenericMapping = Object.freeze({
  title: 'title',
  dedupKey: 'dedup_key',
  status: 'status',
  severity: 'severity',
  labels: 'labels',
  annotations: 'annotations',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  link: 'link',
});

/** Status words understood without a statusMap (compared case-insensitively). */
export const DEFAULT_STATUS_MAP: Readonly<Record<string, 'firing' | 'resolved'>> = Object.freeze({
  firing: 'firing',
  alerting: 'firing',
  alert: 'firing',
  triggered: 'firing',
  trigger: 'firing',
  problem: 'firing',
  open: 'firing',
  active: 'firing',
  down: 'firing',
  resolved: 'resolved',
  resolve: 'resolved',
  ok: 'resolved',
  recovered: 'resolved',
  recovery: 'resolved',
  closed: 'resolved',
  normal: 'resolved',
  inactive: 'resolved',
  up: 'resolved',
});

interface JsonPath {
  text: string;
  fromRoot: boolean;
  steps: Array<string | number>;
}

/** Parses a path; null when it is not one (the schema pattern already refuses most). */
function compilePath(text: string): JsonPath | null {
  if (text.length === 0 || text.length > 256) return null;
  const steps: Array<string | number> = [];
  let i = 0;
  const fromRoot = text[0] === '$';
  if (fromRoot) i = 1;
  let first = !fromRoot;
  while (i < text.length) {
    const c = text[i];
    if (c === '[') {
      const close = text[i + 1] === '"' ? findQuoteEnd(text, i + 2) : text.indexOf(']', i);
      if (close < 0 || text[close] !== ']') return null;
      const inner = text.slice(i + 1, close);
      if (inner.startsWith('"')) {
        try {
          steps.push(JSON.parse(inner) as string);
        } catch {
          return null;
        }
      } else if (/^\d{1,9}$/.test(inner)) steps.push(Number(inner));
      else return null;
      i = close + 1;
    } else {
      if (!first) {
        if (c !== '.') return null;
        i++;
      }
      const start = i;
      while (i < text.length && text[i] !== '.' && text[i] !== '[' && text[i] !== ']') i++;
      if (i === start || text[i] === ']') return null;
      steps.push(text.slice(start, i));
    }
    first = false;
  }
  return { text, fromRoot, steps };
}

/** Index of the `]` after a JSON string that starts at `from`, or -1. */
function findQuoteEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return text[i + 1] === ']' ? i + 1 : -1;
  }
  return -1;
}

function resolve(path: JsonPath, body: unknown, item: unknown): unknown {
  let value = path.fromRoot ? body : item;
  for (const step of path.steps) {
    if (typeof step === 'number') value = Array.isArray(value) && step < value.length ? value[step] : undefined;
    else value = isObject(value) ? own(value, step) : undefined;
    if (value === undefined) return undefined;
  }
  return value;
}

/** What is wrong with a mapping's paths (the schema checks their shape; this, that they parse). */
export function genericMappingProblems(mapping: GenericMapping): string[] {
  const problems: string[] = [];
  const check = (name: string, path: string | undefined) => {
    if (path !== undefined && compilePath(path) === null) problems.push(`${name}: ${JSON.stringify(path)} is not a path such as data.title or alerts[0].labels`);
  };
  for (const key of ['alerts', 'title', 'dedupKey', 'status', 'severity', 'labels', 'annotations', 'startsAt', 'endsAt', 'link'] as const) {
    check(key, mapping[key]);
  }
  for (const [name, path] of Object.entries(mapping.labelFields ?? {})) check(`labelFields.${name}`, path);
  for (const [name, path] of Object.entries(mapping.annotationFields ?? {})) check(`annotationFields.${name}`, path);
  return problems;
}

type Scalar = { text: string } | null | 'not scalar';

/** Text of a JSON scalar: strings as they are, numbers and booleans spelled out; null for absent. */
function scalar(value: unknown): Scalar {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return { text: value };
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return { text: String(value) };
  return 'not scalar';
}

interface CompiledMapping {
  alerts: JsonPath | null;
  fields: Partial<Record<'title' | 'dedupKey' | 'status' | 'severity' | 'labels' | 'annotations' | 'startsAt' | 'endsAt' | 'link', JsonPath>>;
  labelFields: Array<[string, JsonPath]>;
  annotationFields: Array<[string, JsonPath]>;
  statusMap: Map<string, 'firing' | 'resolved'>;
}

function compileMapping(mapping: GenericMapping): CompiledMapping {
  const problems = genericMappingProblems(mapping);
  // The integration's own configuration is wrong, not the sender's payload.
  if (problems.length > 0) throw new DomainError('config_invalid', `the generic integration's mapping is invalid: ${problems[0]}`, { problems });
  const fields: CompiledMapping['fields'] = {};
  for (const key of ['title', 'dedupKey', 'status', 'severity', 'labels', 'annotations', 'startsAt', 'endsAt', 'link'] as const) {
    const text = mapping[key];
    if (text !== undefined) fields[key] = compilePath(text)!;
  }
  const statusMap = new Map(Object.entries(DEFAULT_STATUS_MAP));
  for (const [word, status] of Object.entries(mapping.statusMap ?? {})) statusMap.set(word.trim().toLowerCase(), status);
  return {
    alerts: mapping.alerts !== undefined ? compilePath(mapping.alerts) : null,
    fields,
    labelFields: Object.entries(mapping.labelFields ?? {}).map(([name, path]) => [name, compilePath(path)!]),
    annotationFields: Object.entries(mapping.annotationFields ?? {}).map(([name, path]) => [name, compilePath(path)!]),
    statusMap,
  };
}

/** Epoch milliseconds from RFC 3339 text or a number (below 10^11 read as seconds). */
function readTime(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string') return parseTimestamp(value);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 1e14) return Math.round(value < 1e11 ? value * 1000 : value);
  return undefined;
}

/**
 * Alerts from any JSON webhook, read through the integration's `mapping` (see
 * GenericMapping and DEFAULT_GENERIC_MAPPING).
 *
 * - Labels come from the `labels` object and `labelFields`; numbers and booleans are
 *   spelled out as text, null entries are skipped, nested values are refused. The
 *   severity also becomes the `severity` label unless the labels already have one.
 * - status is read through statusMap (DEFAULT_STATUS_MAP plus the mapping's own words);
 *   an unknown word is refused, naming the words that are known; no status means firing.
 * - dedupKey, when missing or empty, is the SHA-256 (hex) of the sorted labels and the title.
 * - summary is the title, else annotations.summary, annotations.description, labels.alertname.
 * - details.payload is the alert's own JSON when it is at most 64 KiB.
 *
 * Throws DomainError `invalid` listing every problem as `{field, message}`, or
 * `config_invalid` when the mapping itself cannot be read.
 */
export function parseGenericWebhook(body: unknown, mapping: GenericMapping, now: number): IncomingAlert[] {
  const compiled = compileMapping(mapping);
  const problems = new Problems();
  let items: Array<{ item: unknown; at: string }>;
  if (compiled.alerts) {
    const list = resolve(compiled.alerts, body, body);
    if (!Array.isArray(list)) {
      problems.add(compiled.alerts.text, list === undefined ? 'is missing: the mapping says the alerts are here' : `must be a list of alerts, not ${describeJson(list)}`);
      items = [];
    } else if (list.length > ALERT_LIMITS.alertsPerRequest) {
      problems.add(compiled.alerts.text, `has ${list.length} alerts; at most ${ALERT_LIMITS.alertsPerRequest} are accepted per request`);
      items = [];
    } else {
      const base = compiled.alerts.text === '$' ? '' : compiled.alerts.text;
      items = list.map((item, index) => ({ item, at: `${base}[${index}]` }));
    }
  } else {
    items = [{ item: body, at: '' }];
  }

  const alerts: IncomingAlert[] = [];
  for (const { item, at } of items) {
    if (!isObject(item)) {
      problems.add(at === '' ? 'body' : at, `must be a JSON object, not ${describeJson(item)}`);
      continue;
    }
    const alert = readGenericAlert(body, item, at, compiled, now, problems);
    if (alert) alerts.push(alert);
  }
  problems.throwIfAny('generic webhook');
  return alerts;
}

function readGenericAlert(
  body: unknown,
  item: Record<string, unknown>,
  at: string,
  mapping: CompiledMapping,
  now: number,
  problems: Problems,
): IncomingAlert | null {
  const before = problems.count;
  const where = (path: JsonPath) => (path.fromRoot || at === '' ? path.text : path.text.startsWith('[') ? `${at}${path.text}` : `${at}.${path.text}`);
  const get = (key: keyof CompiledMapping['fields']) => {
    const path = mapping.fields[key];
    return path ? { value: resolve(path, body, item), field: where(path) } : { value: undefined, field: key };
  };
  /** A scalar field as text, or null; anything nested is a problem. */
  const text = (key: keyof CompiledMapping['fields'], maxLength: number): string | null => {
    const { value, field } = get(key);
    const s = scalar(value);
    if (s === 'not scalar') {
      problems.add(field, `must be text, a number or true/false, not ${describeJson(value)}`);
      return null;
    }
    if (s !== null && s.text.length > maxLength) {
      problems.add(field, `is ${s.text.length} characters long; at most ${maxLength} are accepted`);
      return null;
    }
    return s?.text ?? null;
  };

  const labels = readEntries('labels', get('labels'), mapping.labelFields, body, item, where, problems);
  const annotations = readEntries('annotations', get('annotations'), mapping.annotationFields, body, item, where, problems);
  const title = text('title', Number.MAX_SAFE_INTEGER);
  const severity = text('severity', LABEL_LIMITS.valueLength);
  if (severity !== null && severity.length > 0 && !Object.hasOwn(labels, 'severity')) {
    if (Object.keys(labels).length >= LABEL_LIMITS.entries) problems.add(get('labels').field, `has more than ${LABEL_LIMITS.entries - 1} labels besides severity`);
    else labels.severity = severity;
  }

  const statusWord = text('status', 64);
  let status: 'firing' | 'resolved' = 'firing';
  if (statusWord !== null && statusWord.trim().length > 0) {
    const known = mapping.statusMap.get(statusWord.trim().toLowerCase());
    if (known) status = known;
    else {
      const words = [...mapping.statusMap.keys()];
      problems.add(get('status').field, `is ${JSON.stringify(statusWord)}, which is not a known status; add it to the mapping's statusMap (known: ${words.slice(0, 20).join(', ')}${words.length > 20 ? ', …' : ''})`);
    }
  }

  const dedupText = text('dedupKey', ALERT_LIMITS.dedupKeyLength);
  const times = (['startsAt', 'endsAt'] as const).map((key) => {
    const { value, field } = get(key);
    const time = readTime(value);
    if (time === undefined) problems.add(field, `must be an RFC 3339 time such as "2024-05-01T12:00:00Z" or epoch seconds, not ${typeof value === 'string' ? JSON.stringify(truncate(value, 40)) : describeJson(value)}`);
    return time ?? null;
  });
  const linkText = text('link', 8192);
  if (problems.count > before) return null;

  const summary = title ?? annotations.summary ?? annotations.description ?? labels.alertname ?? null;
  const sortedLabels = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const link = safeUrl(linkText);
  const payloadFits = jsonSize(item, ALERT_LIMITS.detailsJsonLength) <= ALERT_LIMITS.detailsJsonLength;
  return {
    dedupKey: dedupText !== null && dedupText.length > 0 ? dedupText : sha256Hex(JSON.stringify({ labels: sortedLabels, title })),
    status,
    labels,
    annotations,
    summary: summary === null ? null : truncate(summary, ALERT_LIMITS.summaryLength),
    sourceSeverity: severity !== null && severity.length > 0 ? severity : null,
    startsAt: times[0] ?? now,
    endsAt: times[1] ?? (status === 'resolved' ? now : null),
    generatorUrl: null,
    groupKey: null,
    externalUrl: null,
    links: link ? [{ href: link, text: null }] : [],
    images: [],
    details: payloadFits ? { payload: item } : { payloadOmitted: `larger than ${ALERT_LIMITS.detailsJsonLength} bytes of JSON or nested too deeply` },
  };
}

/** Labels or annotations: the entries of an object at one path, plus single fields at their own paths. */
function readEntries(
  kind: 'labels' | 'annotations',
  source: { value: unknown; field: string },
  fields: Array<[string, JsonPath]>,
  body: unknown,
  item: Record<string, unknown>,
  where: (path: JsonPath) => string,
  problems: Problems,
): Record<string, string> {
  const entries: Array<[string, string]> = [];
  const add = (name: string, value: unknown, field: string) => {
    const s = scalar(value);
    if (s === 'not scalar') problems.add(field, `must be text, a number or true/false, not ${describeJson(value)}`);
    else if (s === null) return;
    else if (name.length === 0) problems.add(source.field, 'has an entry with an empty name');
    else if (name.length > LABEL_LIMITS.nameLength) problems.add(source.field, `has a name of ${name.length} characters; at most ${LABEL_LIMITS.nameLength} are accepted`);
    else if (s.text.length > LABEL_LIMITS.valueLength) problems.add(field, `is ${s.text.length} characters long; at most ${LABEL_LIMITS.valueLength} are accepted`);
    else entries.push([name, s.text]);
  };
  if (source.value !== undefined && source.value !== null) {
    if (!isObject(source.value)) problems.add(source.field, `must be an object, not ${describeJson(source.value)}`);
    else {
      const names = Object.keys(source.value);
      if (names.length > LABEL_LIMITS.entries) problems.add(source.field, `has ${names.length} entries; at most ${LABEL_LIMITS.entries} are accepted`);
      else for (const name of names) add(name, source.value[name], child(source.field, name));
    }
  }
  for (const [name, path] of fields) add(name, resolve(path, body, item), where(path));
  if (entries.length > LABEL_LIMITS.entries) {
    problems.add(source.field, `has ${entries.length} ${kind} in all; at most ${LABEL_LIMITS.entries} are accepted`);
    return {};
  }
  return Object.fromEntries(entries);
}
