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
 * The real CLI (`bin/firebreak.js`) in a process of its own, as a user runs it: a
 * clean environment with the server's URL and a token, no colour, UTC.
 */
export function cliFor(server: () => string, defaultToken: string) {
  const firebreak = (args: string[], token = defaultToken): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', TZ: 'UTC', FIREBREAK_URL: server(), FIREBREAK_TOKEN: token };
      const child = spawn(process.execPath, ['bin/firebreak.js', ...args], { cwd: ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  /** Runs and expects exit code 0, showing stderr when it is not. */
  const ok = async (args: string[], token?: string): Promise<CliResult> => {
    const result = await firebreak(args, token);
    expect(result.code, `firebreak ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result;
  };
  return { firebreak, ok, root: ROOT };
}
