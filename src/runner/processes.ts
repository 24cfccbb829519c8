import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from './retry.ts';

/**
 * Process groups: each step runs in a group of its own (a new session), so that stopping
 * it stops everything it started, pipelines and background jobs included.
 */

/** Set in every step's environment; tells a leftover process of ours from a stranger that reuses its group id. */
export const ASSIGNMENT_ENV = 'FIREBREAK_ASSIGNMENT_ID';

const PROC = '/proc';
const hasProc = (() => {
  try {
    readFileSync(`${PROC}/self/stat`, 'utf8');
    return true;
  } catch {
    return false;
  }
})();

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
}

/** `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses, so split after the last `)`. */
function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`${PROC}/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

/**
 * Processes of the group that still run, or null where /proc is missing. Zombies do not
 * count: they are dead, only not yet reaped by a parent that may never do it.
 */
export function groupMembers(pgid: number): number[] | null {
  if (!hasProc) return null;
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(PROC);
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== null && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat.pid);
  }
  return members;
}

export function groupAlive(pgid: number): boolean {
  // One syscall answers the usual case (the group is gone) without reading /proc.
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // The group still has processes, but they may all be zombies nobody has reaped yet.
  const members = groupMembers(pgid);
  return members === null || members.length > 0;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    // Gone already: nothing to stop.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGTERM to the group, then SIGKILL to what is left after `graceMs`. */
export async function stopGroup(pgid: number, graceMs: number, pollMs = 50): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  let waited = 0;
  while (waited < graceMs) {
    await sleep(Math.min(pollMs, graceMs - waited));
    waited += pollMs;
    if (!groupAlive(pgid)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

/**
 * Whether a group left behind by an earlier agent is still ours: some member carries our
 * marker in its environment. Without /proc we cannot tell, and trust the group id.
 */
export function groupCarriesMarker(pgid: number, assignmentId: string): boolean {
  const members = groupMembers(pgid);
  if (members === null) return groupAlive(pgid);
  const marker = `${ASSIGNMENT_ENV}=${assignmentId}`;
  return members.some((pid) => {
    try {
      return readFileSync(`${PROC}/${pid}/environ`, 'utf8').split('\0').includes(marker);
    } catch {
      return false;
    }
  });
}

/** Changes at every boot; a process group recorded before a reboot is certainly gone. */
export function bootId(): string | null {
  try {
    return readFileSync(`${PROC}/sys/kernel/random/boot_id`, 'utf8').trim();
  } catch {
    return null;
  }
}
