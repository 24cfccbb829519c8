import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Value } from '@sinclair/typebox/value';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { createSchedule, type Schedule } from '../paging/schedules/engine.ts';
import { DEFAULT_BUSINESS_HOURS, createBusinessCalendar } from './businessHours.ts';
import { deepFreeze } from './freeze.ts';
import { SEVERITY_PRESETS } from './presets.ts';
import { loadRunbookLibrary, type RunbookLibrary } from '../runbooks/library.ts';
import { RunbookSettings } from '../runbooks/schema.ts';
import { SignInSettings } from '../accounts/schema.ts';
import { loadTemplateLibrary, type TemplateLibrary } from '../templates/index.ts';
import { closestName, configInvalid, formatPath, type ConfigPath, type ConfigProblem } from './problems.ts';
import { referenceProblems } from './referenceProblems.ts';
import { ConfigFile, type ChannelConfig, type Config, type IncidentRole, type SeverityLevel, type Service, type User } from './schema.ts';
import { schemaProblems, type SchemaProblem } from './schemaProblems.ts';

/**
 * Reads firebreak.yaml. Either the whole file is right and a frozen Config comes
 * back, or a DomainError('config_invalid') lists every problem with where it is and
 * how to fix it: an operator fixing a config should need one round trip, not ten.
 */
export function parseConfig(text: string, path: string | null, now: number): Config {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw configInvalid(document.errors.map((error) => syntaxProblem(error, lineCounter)));
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // The yaml package refuses alias chains that would expand without bound ("billion laughs").
    throw configInvalid([{ path: '', message: `the YAML cannot be read: ${(error as Error).message}`, fix: 'use fewer YAML aliases (*name)' }]);
  }
  if (data === null || data === undefined) {
    // An empty file is most likely a failed write or the wrong path, not an intent.
    throw configInvalid([{ path: '', message: 'the file is empty', fix: 'start with "version: 1" and "severities: { preset: p0-p3 }"; see examples/firebreak.yaml' }]);
  }
  const withDefaults: unknown = Value.Default(ConfigFile, data);
  const found = [...schemaProblems(ConfigFile, withDefaults), ...referenceProblems(withDefaults)];
  if (found.length > 0) throw configInvalid(inFileOrder(found.map((problem) => locate(problem, document, lineCounter))));
  const file = withDefaults as ConfigFile;
  const runbooks = loadRunbooks(file, path);
  const late = [...severityReferenceProblems(file), ...statusPageProblems(file), ...runbooks.problems];
  if (late.length > 0) throw configInvalid(inFileOrder(late.map((problem) => locate(problem, document, lineCounter))));
  const templates = loadTemplates(file, path);
  if (templates.problems.length > 0) throw configInvalid(inFileOrder(templates.problems.map((problem) => locate(problem, document, lineCounter))));
  // Editing only a template must count as a change on reload, so their text joins the digest.
  const digested = templates.library.templates.reduce((all, t) => `${all}\0${t.file}\0${t.source}`, text);
  return buildConfig(file, runbooks.library, templates.library, { path, sha256: sha256Of(digested), loadedAt: now });
}

export async function loadConfigFile(path: string, now: number): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw configInvalid([
      { path: '', message: `${path} ${reason}`, fix: 'point --config or FIREBREAK_CONFIG at a readable firebreak.yaml' },
    ]);
  }
  return parseConfig(text, path, now);
}

/** Sections added since the reference checks ran on the raw document name severities too; each must exist. */
function severityReferenceProblems(file: ConfigFile): SchemaProblem[] {
  const found: SchemaProblem[] = [];
  const severities = 'preset' in file.severities ? SEVERITY_PRESETS[file.severities.preset] : file.severities.levels;
  const references: Array<{ id: string; at: SchemaProblem['at'] }> = [
    ...Object.keys(file.runbooks?.authorization ?? {}).map((id) => ({ id, at: ['runbooks', 'authorization', id] })),
    ...(file.postIncident?.checklists ?? []).flatMap((list, i) => (list.severities ?? []).map((id, j) => ({ id, at: ['postIncident', 'checklists', i, 'severities', j] }))),
    ...(file.postIncident?.postmortemSeverities ?? []).map((id, i) => ({ id, at: ['postIncident', 'postmortemSeverities', i] })),
  ];
  for (const { id, at } of references) {
    if (severities.some((level) => level.id.toLowerCase() === id.toLowerCase())) continue;
    found.push({ at, message: `severity "${id}" does not exist`, fix: `use one of: ${severities.map((level) => level.id).join(', ')}` });
  }
  return found;
}

/** Reads the runbook files the config names; an alert catalog entry must name a runbook that exists. */
/** Subscriber mail goes through an email channel that exists. */
function statusPageProblems(file: ConfigFile): SchemaProblem[] {
  const wanted = file.statusPage?.subscriptions?.channel;
  if (wanted === undefined) return [];
  const channel = file.channels.find((c) => c.id === wanted);
  if (channel?.kind === 'email') return [];
  const emails = file.channels.filter((c) => c.kind === 'email').map((c) => c.id);
  const at = ['statusPage', 'subscriptions', 'channel'];
  if (channel) return [{ at, message: `channel "${wanted}" is a ${channel.kind} channel, not email`, fix: emails.length > 0 ? `use one of: ${emails.join(', ')}` : 'add a channel of kind email under channels:' }];
  const near = closestName(wanted, emails);
  return [{ at, message: `channel "${wanted}" is not in channels`, fix: near ? `did you mean "${near}"?` : emails.length > 0 ? `use one of: ${emails.join(', ')}` : 'add a channel of kind email under channels:' }];
}

function loadRunbooks(file: ConfigFile, path: string | null): { library: RunbookLibrary; problems: SchemaProblem[] } {
  const paths = file.runbooks?.paths ?? [];
  const { library, problems } = loadRunbookLibrary(paths, path);
  const found: SchemaProblem[] = problems.map((problem) => ({ at: ['runbooks', 'paths', problem.pathIndex], message: problem.message, fix: problem.fix }));
  if (paths.length > 0 && found.length === 0) {
    const ids = library.runbooks.map((runbook) => runbook.id);
    (file.alerts?.catalog ?? []).forEach((entry, index) => {
      if (entry.runbook === undefined || library.get(entry.runbook)) return;
      const near = closestName(entry.runbook, ids);
      found.push({
        at: ['alerts', 'catalog', index, 'runbook'],
        message: `runbook "${entry.runbook}" is not in runbooks.paths`,
        fix: near ? `did you mean "${near}"? (known: ${ids.join(', ')})` : `use one of: ${ids.join(', ')}`,
      });
    });
  }
  return { library, problems: found };
}

/**
 * Reads and parses the message templates the config names (a template that does not
 * parse is a config problem, with its file, line and column), and checks that
 * `communications` names severities, channels and people that exist.
 */
function loadTemplates(file: ConfigFile, path: string | null): { library: TemplateLibrary; problems: SchemaProblem[] } {
  const severities = 'preset' in file.severities ? SEVERITY_PRESETS[file.severities.preset] : file.severities.levels;
  const severityIds = severities.map((level) => level.id);
  const { library, problems } = loadTemplateLibrary(file.templates?.path, path, severityIds);
  const found: SchemaProblem[] = problems.map((problem) => ({
    at: ['templates', 'path'],
    message: problem.line === null ? `${problem.file}: ${problem.message}` : `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`,
    fix: problem.line === null ? 'name template files NAME.liquid or NAME.SEVERITY.liquid in an existing folder' : 'fix the Liquid syntax at that line and column',
  }));
  const channelIds = file.channels.map((channel) => channel.id);
  const userIds = file.users.map((user) => user.id);
  for (const [id, settings] of Object.entries(file.communications ?? {})) {
    if (!severityIds.some((known) => known.toLowerCase() === id.toLowerCase())) {
      found.push({ at: ['communications', id], message: `severity "${id}" does not exist`, fix: `use one of: ${severityIds.join(', ')}` });
    }
    settings.channels.forEach((channel, index) => {
      if (channelIds.includes(channel)) return;
      const near = closestName(channel, channelIds);
      found.push({
        at: ['communications', id, 'channels', index],
        message: `channel "${channel}" is not in channels`,
        fix: near ? `did you mean "${near}"?` : `use one of: ${channelIds.join(', ') || '(add a channel under channels:)'}`,
      });
    });
    (settings.recipients ?? []).forEach((user, index) => {
      if (userIds.includes(user)) return;
      const near = closestName(user, userIds);
      found.push({ at: ['communications', id, 'recipients', index], message: `user "${user}" is not in users`, fix: near ? `did you mean "${near}"?` : 'add the person under users:' });
    });
  }
  return { library, problems: found };
}

function buildConfig(file: ConfigFile, runbooks: RunbookLibrary, templates: TemplateLibrary, source: Config['source']): Config {
  const severities: readonly SeverityLevel[] = 'preset' in file.severities ? SEVERITY_PRESETS[file.severities.preset] : file.severities.levels;
  // Alert labels and people write severities as "p1" as often as "P1".
  const severityById = new Map(severities.map((level) => [level.id.toLowerCase(), level]));
  const serviceById = new Map<string, Service>(file.services.map((service) => [service.id, service]));
  const roleById = new Map<string, IncidentRole>(file.roles.map((role) => [role.id, role]));
  const userById = new Map<string, User>(file.users.map((user) => [user.id, user]));
  const channelById = new Map<string, ChannelConfig>(file.channels.map((channel) => [channel.id, channel]));
  const data = deepFreeze({
    file,
    severities,
    roles: file.roles,
    users: file.users,
    teams: file.teams,
    services: file.services,
    businessHours: file.businessHours ?? DEFAULT_BUSINESS_HOURS,
    alerts: file.alerts ?? { catalog: [], routes: [], inhibitRules: [], reopenWindow: '30m' },
    channels: file.channels,
    schedules: file.schedules,
    escalationPolicies: file.escalationPolicies,
    paging: file.paging ?? { ackLinkTtl: '24h' },
    publicUrl: file.publicUrl?.replace(/\/+$/, '') ?? null,
    runbookSettings: file.runbooks ?? (Value.Default(RunbookSettings, {}) as RunbookSettings),
    signIn: file.signIn ?? (Value.Default(SignInSettings, {}) as SignInSettings),
    communications: file.communications ?? {},
    source,
    severity: (id: string) => severityById.get(id.toLowerCase()),
    service: (id: string) => serviceById.get(id),
    role: (id: string) => roleById.get(id),
    user: (id: string) => userById.get(id),
    channel: (id: string) => channelById.get(id),
  });
  // Calendars and schedules keep their own caches, so they join after the data is frozen.
  const schedules = new Map<string, Schedule>();
  const schedule = (id: string): Schedule | undefined => {
    const found = schedules.get(id);
    if (found) return found;
    const config = data.schedules.find((s) => s.id === id);
    if (!config) return undefined;
    const built = createSchedule(config);
    schedules.set(id, built);
    return built;
  };
  return Object.freeze({ ...data, runbooks, templates, calendar: createBusinessCalendar(data.businessHours), schedule });
}

const sha256Of = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const SYNTAX_FIXES: Record<string, string> = {
  DUPLICATE_KEY: 'remove or rename one of the two keys with the same name',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MISSING_CHAR: 'check that every quote and bracket is closed and that list items start with "- "',
  BLOCK_AS_IMPLICIT_KEY: 'put a nested mapping on its own indented lines, or quote a value that contains ": "',
};

function syntaxProblem(error: YAMLError, lineCounter: LineCounter): ConfigProblem {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return {
    path: '',
    message: `YAML syntax error at line ${line}, column ${col}: ${error.message}`,
    fix: SYNTAX_FIXES[error.code] ?? 'check the indentation near that line (spaces, children indented under their parent) and quote values containing ": " or " #"',
    line,
    column: col,
  };
}

/** Pins a problem to the line of its key, or of the nearest enclosing node that exists in the file. */
function locate(problem: SchemaProblem, document: Document, lineCounter: LineCounter): ConfigProblem {
  const located: ConfigProblem = { path: formatPath(problem.at), message: problem.message, fix: problem.fix };
  const offset = offsetOf(problem.at, document);
  if (offset !== undefined) {
    const { line, col } = lineCounter.linePos(offset);
    located.line = line;
    located.column = col;
  }
  return located;
}

function offsetOf(path: ConfigPath, document: Document): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const parent = depth === 0 ? document.contents : document.getIn(path.slice(0, depth - 1), true);
    if (depth === 0) return (parent as { range?: number[] } | null)?.range?.[0];
    const last = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
      const range = (pair?.key as { range?: number[] } | undefined)?.range;
      if (range) return range[0];
    } else if (isSeq(parent) && typeof last === 'number') {
      const range = (parent.items[last] as { range?: number[] } | undefined)?.range;
      if (range) return range[0];
    }
  }
  return undefined;
}

function inFileOrder(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || a.index - b.index)
    .map(({ problem }) => problem);
}
