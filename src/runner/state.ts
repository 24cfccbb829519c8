import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The agent's state directory: its stable id (runner.json), a lock against a second agent
 * on the same directory, and one file per step in progress (assignments/<id>.json) so that
 * an agent that died mid-step can, when it starts again, stop what that step left running
 * and tell the server — instead of running the step a second time.
 */

export interface AssignmentRecord {
  assignmentId: string;
  runId: string;
  stepId: string;
  /** Null until the process is started. */
  pid: number | null;
  pgid: number | null;
  startedAt: number;
  /** The machine's boot id when the step started: after a reboot the group is certainly gone. */
  bootId: string | null;
  /** Set once the process has ended; the result was not yet acknowledged by the server. */
  ended?: { exitCode: number | null; signal: string | null };
}

export class StateDirectoryLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`another runner agent (pid ${pid}) uses the state directory ${dir}; give each agent its own --state-dir`);
    this.name = 'StateDirectoryLockedError';
  }
}

export function defaultStateDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'firebreak-runner');
}

/** Assignment ids come from the server; one that is not a plain name is encoded before it names a file. */
const fileNameOf = (assignmentId: string): string =>
  /^[A-Za-z0-9_-]{1,128}$/.test(assignmentId) ? `${assignmentId}.json` : `x-${Buffer.from(assignmentId).toString('base64url').slice(0, 200)}.json`;

/** Write-then-rename: a crash leaves the old file or the new one, never half of one. */
function writeAtomically(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunnerState {
  readonly dir: string;
  readonly runnerId: string;
  private readonly assignmentsDir: string;
  private readonly lockPath: string;

  private constructor(dir: string, runnerId: string) {
    this.dir = dir;
    this.runnerId = runnerId;
    this.assignmentsDir = join(dir, 'assignments');
    this.lockPath = join(dir, 'runner.lock');
  }

  /** Creates the directory and the runner id on first use; takes the lock. */
  static open(dir: string, newId: () => string): RunnerState {
    mkdirSync(join(dir, 'assignments'), { recursive: true, mode: 0o700 });
    RunnerState.lock(dir);
    const identityPath = join(dir, 'runner.json');
    let id: string | undefined;
    try {
      const parsed = JSON.parse(readFileSync(identityPath, 'utf8')) as { id?: unknown };
      if (typeof parsed.id === 'string' && parsed.id !== '') id = parsed.id;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${identityPath}: ${(error as Error).message}`);
    }
    if (id === undefined) {
      id = newId();
      writeAtomically(identityPath, { id, createdAt: new Date().toISOString() });
    }
    return new RunnerState(dir, id);
  }

  /** A lock held by a live process other than this one refuses; a stale one is taken over. */
  private static lock(dir: string): void {
    const path = join(dir, 'runner.lock');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new StateDirectoryLockedError(dir, holder);
      }
      rmSync(path, { force: true });
    }
    throw new Error(`cannot take the lock ${path}`);
  }

  release(): void {
    try {
      if (Number(readFileSync(this.lockPath, 'utf8').trim()) === process.pid) rmSync(this.lockPath, { force: true });
    } catch {
      // Already gone.
    }
  }

  saveAssignment(record: AssignmentRecord): void {
    writeAtomically(join(this.assignmentsDir, fileNameOf(record.assignmentId)), record);
  }

  removeAssignment(assignmentId: string): void {
    rmSync(join(this.assignmentsDir, fileNameOf(assignmentId)), { force: true });
  }

  /** Steps an earlier agent on this directory started and never saw acknowledged. */
  leftovers(): { records: AssignmentRecord[]; unreadable: string[] } {
    const records: AssignmentRecord[] = [];
    const unreadable: string[] = [];
    for (const name of readdirSync(this.assignmentsDir)) {
      const path = join(this.assignmentsDir, name);
      if (name.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const record = JSON.parse(readFileSync(path, 'utf8')) as AssignmentRecord;
        if (typeof record.assignmentId !== 'string') throw new Error('no assignmentId');
        records.push(record);
      } catch {
        unreadable.push(path);
      }
    }
    return { records, unreadable };
  }
}
