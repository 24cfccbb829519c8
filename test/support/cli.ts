import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real CLI (`bin/firebreak.js`) in a process of its own: only the environment
 * given (no FIREBREAK_* from the developer's shell), no colour, UTC, and `input`
 * on its standard input (closed at once when there is none).
 */
export function runCli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', TZ: 'UTC', ...options.env };
    const child = spawn(process.execPath, ['bin/firebreak.js', ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The CLI as a user runs it against a server: its URL and a token in the environment. */
export function cliFor(server: () => string, defaultToken: string) {
  const firebreak = (args: string[], token = defaultToken): Promise<CliResult> => runCli(args, { env: { FIREBREAK_URL: server(), FIREBREAK_TOKEN: token } });
  /** Runs and expects exit code 0, showing stderr when it is not. */
  const ok = async (args: string[], token?: string): Promise<CliResult> => {
    const result = await firebreak(args, token);
    expect(result.code, `firebreak ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result;
  };
  return { firebreak, ok, root: ROOT };
}
