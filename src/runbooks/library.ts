import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic, Runbook } from './model.ts';
import { parseRunbookFile } from './parse.ts';

/** The runbooks the configuration names, read once per configuration load. */
export interface RunbookLibrary {
  readonly runbooks: readonly Runbook[];
  /** Parser diagnostics of every file, for `GET /api/v1/runbooks` and the linter. */
  readonly diagnostics: readonly Diagnostic[];
  get(id: string): Runbook | undefined;
}

export interface LibraryProblem {
  /** Index into `runbooks.paths`. */
  pathIndex: number;
  message: string;
  fix: string;
}

export const EMPTY_LIBRARY: RunbookLibrary = Object.freeze({ runbooks: [], diagnostics: [], get: () => undefined });

/**
 * Reads the files and folders of `runbooks.paths` (relative to the config file). A
 * path that cannot be read, or a runbook id used twice, is a problem of the config:
 * a runbook that quietly disappears on reload is worse than a reload refused.
 */
export function loadRunbookLibrary(
  paths: readonly string[],
  configPath: string | null,
): { library: RunbookLibrary; problems: LibraryProblem[] } {
  if (paths.length === 0) return { library: EMPTY_LIBRARY, problems: [] };
  const base = configPath === null ? process.cwd() : dirname(resolve(configPath));
  const problems: LibraryProblem[] = [];
  const byId = new Map<string, Runbook>();
  const diagnostics: Diagnostic[] = [];
  paths.forEach((path, pathIndex) => {
    let files: string[];
    try {
      files = markdownFiles(resolve(base, path));
    } catch (error) {
      problems.push({ pathIndex, message: `cannot be read: ${reasonOf(error)}`, fix: 'point it at a Markdown file or a folder of .md files, relative to the config file' });
      return;
    }
    if (files.length === 0) {
      problems.push({ pathIndex, message: 'holds no .md files', fix: 'add runbooks to the folder or remove the path' });
      return;
    }
    for (const file of files) {
      const parsed = parseRunbookFile(readFileSync(file, 'utf8'), file);
      diagnostics.push(...parsed.diagnostics);
      for (const runbook of parsed.runbooks) {
        const earlier = byId.get(runbook.id);
        if (earlier) {
          problems.push({
            pathIndex,
            message: `runbook "${runbook.id}" (${file}:${runbook.line}) has the same id as the one in ${earlier.source}:${earlier.line}`,
            fix: 'rename one of the two runbook headings; ids come from the title',
          });
          continue;
        }
        byId.set(runbook.id, runbook);
      }
    }
  });
  const runbooks = [...byId.values()];
  return { library: Object.freeze({ runbooks, diagnostics, get: (id: string) => byId.get(id) }), problems };
}

function markdownFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.toLowerCase().endsWith('.md'))
    .sort()
    .map((name) => join(path, name));
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
