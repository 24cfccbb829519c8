import { createApiToken, isRole, ROLES } from '../auth/index.ts';
import { systemClock } from '../core/clock.ts';
import { segment } from './client.ts';
import { JSON_OPTION, REMOTE_OPTIONS, type Command, type Group, type Invocation } from './command.ts';
import { DATA_DIR_OPTION, withDatabase } from './database.ts';
import { EXIT, UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { formatJson, formatRelative, formatTable } from './output.ts';
import { connect, respond } from './remote.ts';

/** What the API lists; times may come as ISO text or epoch milliseconds. */
interface TokenSummary {
  id: string;
  name: string;
  role: string;
  createdAt?: string | number | null;
  lastUsedAt?: string | number | null;
  revokedAt?: string | number | null;
}

function requireOption(invocation: Invocation, name: string): string {
  const value = invocation.options.string(name);
  if (value === undefined || value.trim() === '') throw new UsageError(`missing --${name}`, invocation.usage);
  return value;
}

const toMs = (value: string | number | null | undefined): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

const toIso = (value: string | number | null | undefined): string | null => {
  const ms = toMs(value);
  return ms === undefined ? null : new Date(ms).toISOString();
};

const create: Command = {
  kind: 'command',
  name: 'create',
  summary: 'Create an API token directly in the database (no server needed)',
  description:
    'Works on the database the server uses: SQLite in --data-dir, or PostgreSQL when DATABASE_URL is set.\n' +
    'The token is printed once on stdout (notes go to stderr), so TOKEN=$(firebreak token create …) works.',
  options: {
    role: { type: 'string', value: 'ROLE', description: `one of ${ROLES.join(', ')} (required)` },
    name: { type: 'string', value: 'NAME', description: 'who or what will use it, e.g. ci or alice (required)' },
    ...DATA_DIR_OPTION,
    ...JSON_OPTION,
  },
  examples: ['firebreak token create --role responder --name alice'],
  async run(invocation) {
    const { io, options } = invocation;
    const role = requireOption(invocation, 'role');
    const name = requireOption(invocation, 'name');
    if (!isRole(role)) throw new UsageError(`unknown role '${role}'; use one of ${ROLES.join(', ')}`, invocation.usage);
    return withDatabase(invocation, async (store) => {
      const { token, record } = await createApiToken(store, { name, role }, systemClock);
      const created = { id: record.id, name: record.name, role: record.role, createdAt: toIso(record.createdAt) };
      if (options.flag('json')) {
        printLine(io.stdout, formatJson({ token, record: created }));
        return EXIT.ok;
      }
      printLine(io.stderr, `Created ${record.role} token "${record.name}" (id ${record.id}). It is shown only this once:`);
      printLine(io.stdout, token);
      return EXIT.ok;
    });
  },
};

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List API tokens (admin)',
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const response = await connect(invocation).get<{ items: TokenSummary[] } | TokenSummary[]>('/tokens');
    const tokens = Array.isArray(response) ? response : response.items;
    return respond(invocation, response, () => renderTokens(tokens, invocation.io.now()));
  },
};

export function renderTokens(tokens: readonly TokenSummary[], now: number): string {
  if (tokens.length === 0) return 'No tokens.';
  const when = (value: TokenSummary['createdAt']) => {
    const ms = toMs(value);
    return ms === undefined ? '-' : formatRelative(ms, now);
  };
  const rows = tokens.map((token) => [token.id, token.name, token.role, when(token.createdAt), when(token.lastUsedAt), when(token.revokedAt)]);
  return formatTable(['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'], rows);
}

const revoke: Command = {
  kind: 'command',
  name: 'revoke',
  summary: 'Revoke an API token (admin)',
  positionals: [{ name: 'ID' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const id = invocation.args.ID ?? '';
    const result = await connect(invocation).delete<unknown>(`/tokens/${segment(id)}`);
    return respond(invocation, result, () => `Revoked token ${id}`);
  },
};

export const tokenGroup: Group = {
  kind: 'group',
  name: 'token',
  summary: 'Create, list and revoke API tokens',
  children: [create, list, revoke],
};
