import { randomBytes } from 'node:crypto';
import { ACCOUNT_ROLES, changeAccount, createAccount, findAccount, isAccountRole, listAccounts, summarizeAccount, type AccountSummary } from '../accounts/index.ts';
import { systemClock } from '../core/clock.ts';
import type { Store } from '../store/index.ts';
import { JSON_OPTION, type Command, type Group, type Invocation } from './command.ts';
import { resolveConfigPath } from './config.ts';
import { DATA_DIR_OPTION, withDatabase } from './database.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { printLine, type InputStream, type Io } from './io.ts';
import { formatJson, formatRelative, formatTable } from './output.ts';

/**
 * Web UI accounts, managed on the server's database directly (like `token create`),
 * so the first administrator can be made before anyone can sign in.
 */

const PASSWORD_OPTIONS = {
  'password-stdin': { type: 'boolean', description: 'read the password from standard input (the first line)' },
  'generate-password': { type: 'boolean', description: 'make up a strong password and print it once' },
} as const;

const describe = (account: AccountSummary) => `${account.username} (${account.role}${account.disabledAt !== null ? ', disabled' : ''})`;

async function readAll(stream: InputStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

/** Reads one line from a terminal without echoing it. */
function promptHidden(io: Io, question: string): Promise<string> {
  const { stdin } = io;
  return new Promise((resolve, reject) => {
    io.stderr.write(question);
    let typed = '';
    stdin.setRawMode?.(true);
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string | Buffer) => {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004') return finish(new CliError('cancelled', EXIT.usage));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The new password: from stdin, made up, or typed twice at a terminal. */
async function newPassword(invocation: Invocation): Promise<{ password: string; generated: boolean }> {
  const { io, options } = invocation;
  if (options.flag('password-stdin') && options.flag('generate-password')) {
    throw new UsageError('choose one of --password-stdin and --generate-password', invocation.usage);
  }
  if (options.flag('generate-password')) {
    // A password must not contain the username: a short one turns up in random text now and then.
    const name = username(invocation).toLowerCase();
    let password: string;
    do password = randomBytes(18).toString('base64url');
    while (name !== '' && password.toLowerCase().includes(name));
    return { password, generated: true };
  }
  if (options.flag('password-stdin')) {
    const password = (await readAll(io.stdin)).split(/\r?\n/)[0] ?? '';
    if (password === '') throw new UsageError('standard input held no password', invocation.usage);
    return { password, generated: false };
  }
  if (!io.stdin.isTTY) throw new UsageError('not a terminal: pass --password-stdin (and pipe the password in) or --generate-password', invocation.usage);
  const password = await promptHidden(io, 'New password: ');
  const again = await promptHidden(io, 'Again: ');
  if (password !== again) throw new CliError('the two passwords differ; nothing was changed', EXIT.invalid);
  return { password, generated: false };
}

/** The configuration's people, to name an account after the person it is; a config that does not load names nobody. */
async function configuredPeople(invocation: Invocation): Promise<ReadonlyArray<{ id: string; name: string }>> {
  const path = resolveConfigPath(invocation.io, invocation.options.string('config'));
  try {
    const { loadConfigFile } = await import('../config/index.ts');
    return (await loadConfigFile(path, Date.now())).users;
  } catch {
    printLine(invocation.io.stderr, `note: ${path} did not load; the account is not matched to a person of the configuration`);
    return [];
  }
}

function report(invocation: Invocation, account: AccountSummary, text: string, generated: string | null): number {
  const { io, options } = invocation;
  if (options.flag('json')) {
    printLine(io.stdout, formatJson(generated === null ? { account } : { account, password: generated }));
    return EXIT.ok;
  }
  printLine(generated === null ? io.stdout : io.stderr, text);
  // The password alone on stdout, so PASSWORD=$(firebreak user create … --generate-password) works.
  if (generated !== null) printLine(io.stdout, generated);
  return EXIT.ok;
}

const database = (invocation: Invocation, work: (deps: { store: Store; clock: typeof systemClock }) => Promise<number>) =>
  withDatabase(invocation, (store) => work({ store, clock: systemClock }));

const username = (invocation: Invocation) => invocation.args.USERNAME ?? '';

const create: Command = {
  kind: 'command',
  name: 'create',
  summary: 'Create an account that signs in to the web UI (directly in the database)',
  description:
    'The username should be the person\'s id under users: in the configuration, so that the account is that person\n' +
    '(paging, on-call, incident roles). Without --password-stdin or --generate-password it asks twice at the terminal.',
  positionals: [{ name: 'USERNAME' }],
  options: {
    role: { type: 'string', value: 'ROLE', description: `one of ${ACCOUNT_ROLES.join(', ')} (required)` },
    name: { type: 'string', value: 'NAME', description: 'display name (default: the person\'s name in the configuration)' },
    config: { type: 'string', value: 'FILE', description: 'the configuration whose people to match (as serve finds it)' },
    ...PASSWORD_OPTIONS,
    ...DATA_DIR_OPTION,
    ...JSON_OPTION,
  },
  examples: ['firebreak user create amara --role admin', 'printf %s "$PASSWORD" | firebreak user create kenji --role responder --password-stdin'],
  async run(invocation) {
    const role = invocation.options.string('role');
    if (role === undefined) throw new UsageError('missing --role', invocation.usage);
    if (!isAccountRole(role)) throw new UsageError(`unknown role '${role}'; use one of ${ACCOUNT_ROLES.join(', ')}`, invocation.usage);
    const people = await configuredPeople(invocation);
    const { password, generated } = await newPassword(invocation);
    return database(invocation, async (deps) => {
      const name = invocation.options.string('name');
      const account = await createAccount(deps, { username: username(invocation), password, role, createdBy: 'cli', ...(name !== undefined && { name }) }, people);
      const person = people.some((p) => p.id === account.username) ? `, the person ${account.name}` : ', not a person of the configuration';
      return report(invocation, account, `Created ${describe(account)}${person}.${generated ? ' Its password, shown once:' : ''}`, generated ? password : null);
    });
  },
};

const passwd: Command = {
  kind: 'command',
  name: 'passwd',
  summary: "Set an account's password; its sessions end",
  positionals: [{ name: 'USERNAME' }],
  options: { ...PASSWORD_OPTIONS, ...DATA_DIR_OPTION, ...JSON_OPTION },
  async run(invocation) {
    const { password, generated } = await newPassword(invocation);
    return database(invocation, async (deps) => {
      const account = await changeAccount(deps, username(invocation), { password });
      return report(invocation, account, `New password for ${describe(account)}; every session of it has ended.${generated ? ' The password, shown once:' : ''}`, generated ? password : null);
    });
  },
};

const toggle = (disabled: boolean): Command => ({
  kind: 'command',
  name: disabled ? 'disable' : 'enable',
  summary: disabled ? 'Disable an account: it cannot sign in and its sessions end' : 'Enable a disabled account again',
  positionals: [{ name: 'USERNAME' }],
  options: { ...DATA_DIR_OPTION, ...JSON_OPTION },
  async run(invocation) {
    return database(invocation, async (deps) => {
      const account = await changeAccount(deps, username(invocation), { disabled });
      return report(invocation, account, disabled ? `Disabled ${account.username}; its sessions have ended.` : `Enabled ${account.username}.`, null);
    });
  },
});

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'List accounts',
  options: { ...DATA_DIR_OPTION, ...JSON_OPTION },
  async run(invocation) {
    const { io, options } = invocation;
    return database(invocation, async (deps) => {
      const accounts = await listAccounts(deps);
      if (options.flag('json')) {
        printLine(io.stdout, formatJson({ items: accounts }));
        return EXIT.ok;
      }
      const when = (ms: number | null) => (ms === null ? '-' : formatRelative(ms, io.now()));
      printLine(
        io.stdout,
        accounts.length === 0
          ? 'No accounts. Create one with: firebreak user create USERNAME --role admin'
          : formatTable(
              ['USERNAME', 'NAME', 'ROLE', 'LAST SIGN-IN', 'DISABLED'],
              accounts.map((a) => [a.username, a.name, a.role, when(a.lastLoginAt), when(a.disabledAt)]),
            ),
      );
      return EXIT.ok;
    });
  },
};

const show: Command = {
  kind: 'command',
  name: 'show',
  summary: 'One account',
  positionals: [{ name: 'USERNAME' }],
  options: { ...DATA_DIR_OPTION, ...JSON_OPTION },
  async run(invocation) {
    return database(invocation, async (deps) => {
      const account = summarizeAccount(await findAccount(deps, username(invocation)));
      const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
      const rows = [
        ['username', account.username],
        ['name', account.name],
        ['role', account.role],
        ['created', `${when(account.createdAt)} by ${account.createdBy}`],
        ['password changed', when(account.passwordChangedAt)],
        ['last sign-in', when(account.lastLoginAt)],
        ['disabled', when(account.disabledAt)],
      ];
      return report(invocation, account, formatTable(null, rows), null);
    });
  },
};

export const userGroup: Group = {
  kind: 'group',
  name: 'user',
  summary: 'Accounts that sign in to the web UI: create, passwd, disable, enable, list',
  children: [create, passwd, toggle(true), toggle(false), list, show],
};
