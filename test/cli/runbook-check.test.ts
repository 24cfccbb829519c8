import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LintReport } from '../../src/runbooks/index.ts';
import { runCli } from './helpers.ts';

/** `firebreak runbook check`: local, so the real files are read and nothing is fetched. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PLAYBOOK = '../shared/playbooks/music-platform-runbooks.md';
const hasPlaybook = existsSync(join(ROOT, PLAYBOOK));

const CLEAN = ['# Disk full', '', '## Resolution Steps', '', '```bash', '# 1. Check disk', 'df -h', '```', ''].join('\n');
const UNCLOSED = ['# Disk full', '', '## Resolution Steps', '', '```bash', '# 1. Check disk', 'df -h', ''].join('\n');

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'firebreak-runbook-check-'));
  writeFileSync(join(dir, 'clean.md'), CLEAN);
  writeFileSync(join(dir, 'unclosed.md'), UNCLOSED);
  mkdirSync(join(dir, 'only-clean'));
  writeFileSync(join(dir, 'only-clean', 'disk.md'), CLEAN);
  writeFileSync(join(dir, 'only-clean', 'notes.txt'), 'not a runbook');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const check = (args: string[], cwd = dir) => runCli(['runbook', 'check', ...args], { cwd });

describe('runbook check', () => {
  it.skipIf(!hasPlaybook)('finds the nine runbooks of the shared playbook with scenarios, numbered steps and approvals', async () => {
    const { code, stdout, stderr } = await check([PLAYBOOK, '--json'], ROOT);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as LintReport;
    expect(report.ok).toBe(true);
    expect(report.errors).toBe(0);
    expect(report.runbooks).toHaveLength(9);
    expect(report.files).toEqual([{ path: PLAYBOOK, runbooks: report.runbooks.map((runbook) => runbook.id) }]);
    const byId = new Map(report.runbooks.map((runbook) => [runbook.id, runbook]));
    for (const id of ['dlq-overflow', 'data-quality-issues', 'database-connection-pool-exhaustion', 'disk-space-critical', 'api-gateway-high-error-rate']) {
      expect(byId.has(id), id).toBe(true);
    }
    expect(report.runbooks.every((runbook) => runbook.steps.length > 0)).toBe(true);
    expect(byId.get('dlq-overflow')!.scenarios.length).toBeGreaterThan(1);
    const approvals = report.runbooks.flatMap((runbook) => runbook.approvalSteps.map((approval) => `${runbook.id}/${approval.step}`));
    expect(approvals).toEqual(expect.arrayContaining(['data-quality-issues/scenario-b-3', 'database-connection-pool-exhaustion/scenario-a-2']));
    const step = (runbook: string, id: string) => byId.get(runbook)!.steps.find((candidate) => candidate.id === id);
    expect(step('data-quality-issues', 'scenario-b-3')?.approval.required).toBe(true);
    expect(step('database-connection-pool-exhaustion', 'scenario-a-2')?.approval.required).toBe(true);
  });

  it.skipIf(!hasPlaybook)('prints the human report, naming the file as given, with the totals last', async () => {
    const { code, stdout } = await check([PLAYBOOK], ROOT);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${PLAYBOOK.replace(/\./g, '\\.')}: 9 runbooks$`, 'm'));
    expect(stdout).toContain('approval: scenario-b-3');
    expect(stdout).toMatch(/^9 runbooks, \d+ steps, 0 errors, \d+ warnings\n$/m);
  });

  it('exits 0 for a clean file, 6 for a file with an unclosed fence (and says so on stderr)', async () => {
    const clean = await check(['clean.md']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toContain('1 runbook, 1 step, 0 errors, 0 warnings');

    const bad = await check(['unclosed.md']);
    expect(bad.code).toBe(6);
    expect(bad.stdout).toMatch(/^unclosed\.md:5: error \[unclosed-fence\] /m);
    expect(bad.stderr).toBe('error: 1 runbook error; see above\n');

    const both = await check(['clean.md', 'unclosed.md', '--json']);
    expect(both.code).toBe(6);
    const report = JSON.parse(both.stdout) as LintReport;
    expect(report).toMatchObject({ ok: false, errors: 1 });
    expect(report.files.map((file) => file.path)).toEqual(['clean.md', 'unclosed.md']);
    expect(report.issues.filter((issue) => issue.severity === 'error')).toEqual([
      expect.objectContaining({ code: 'unclosed-fence', path: 'unclosed.md', line: 5 }),
    ]);
    expect(both.stderr).toBe('');
  });

  it('reads the .md files under a directory', async () => {
    const { code, stdout } = await check(['only-clean', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as LintReport).files.map((file) => file.path)).toEqual([join('only-clean', 'disk.md')]);
  });

  it('exits 2 for a missing file or no path, before linting anything', async () => {
    const missing = await check(['clean.md', 'nope.md']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error: cannot read nope\.md: no such file$/m);
    expect(missing.stderr).toContain('Usage: firebreak runbook check PATH... [options]');
    expect((await check([])).code).toBe(2);
  });

  it('documents the exit codes and needs no server options', async () => {
    const { stdout } = await runCli(['runbook', 'check', '--help']);
    expect(stdout).toContain('6 when there are errors');
    expect(stdout).not.toContain('--server');
    expect((await check(['clean.md', '--server', 'http://x'])).code).toBe(2);
  });
});
