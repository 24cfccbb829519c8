import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, type CliResult } from '../support/cli.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/**
 * The runbook commands of the real CLI as a user runs them: offline checks of the
 * shared playbook, and list, show, run (dry and real) and step against a real server
 * whose runbooks are the test fixtures (embedded runner off, so steps wait).
 */

const CONFIG = fileURLToPath(new URL('../runs/fixtures/firebreak.yaml', import.meta.url));
let t: TestServer;
const { firebreak, ok } = cliFor(() => t.url, ADMIN_TOKEN);
const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T;

beforeAll(async () => {
  t = await startTestServer({ configPath: CONFIG });
});
afterAll(async () => {
  await t?.stop();
});

describe('runbook check', () => {
  it('checks the shared playbook offline: nine runbooks, approvals marked, exit 0', async () => {
    const result = await ok(['runbook', 'check', 'examples/runbooks/music-platform-runbooks.md', '--json']);
    const report = json<{ ok: boolean; runbooks: Array<{ id: string; steps: unknown[]; approvalSteps: Array<{ step: string }> }> }>(result);
    expect(report.ok).toBe(true);
    expect(report.runbooks).toHaveLength(9);
    const approvals = report.runbooks.flatMap((runbook) => runbook.approvalSteps.map((approval) => `${runbook.id}/${approval.step}`));
    expect(approvals).toEqual(expect.arrayContaining(['data-quality-issues/scenario-b-3', 'database-connection-pool-exhaustion/scenario-a-2']));
  });

  it('exits 2 for a file that does not exist', async () => {
    const result = await firebreak(['runbook', 'check', 'no-such-runbook.md']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: cannot read no-such-runbook.md: no such file');
  });
});

describe('runbooks on a server', () => {
  it('lists and shows the runbooks the server has', async () => {
    const list = await ok(['runbook', 'list']);
    expect(list.stdout).toMatch(/queue-replay\s+QueueStuck\s+P1\s+7\s+1\s+A B/);
    const show = await ok(['runbook', 'show', 'queue-replay']);
    expect(show.stdout).toContain('scenario-a-1  echo "replaying <message_id>"  (shell, scenario-a)  [approval]');
    expect(show.stdout).toContain('    echo "$MESSAGE_ID" > "$OUT_FILE"');
    expect(show.stdout).toContain('echo "replaying ${MESSAGE_ID}"');
    expect((await firebreak(['runbook', 'show', 'nope'])).code).toBe(3);
  });

  it('shows a dry run with each command and its environment, and starts a run whose steps wait for approval', async () => {
    const dry = await ok(['runbook', 'run', 'queue-replay', '--scenario', 'A', '--param', 'MESSAGE_ID=$(id)', '--param', 'OUT_FILE=/tmp/x=y', '--dry-run']);
    expect(dry.stdout).toContain('Dry run of Queue Replay (scenario-a): nothing runs.');
    expect(dry.stdout).toContain('env MESSAGE_ID="$(id)"');
    expect(dry.stdout).toContain('env OUT_FILE="/tmp/x=y"');
    expect(dry.stdout).toContain('missing: QUEUE_NAME');

    const responder = await t.token('responder');
    const run = json<{ id: string; steps: Array<{ id: string; state: string }> }>(
      await ok(['runbook', 'run', 'queue-replay', '--scenario', 'A', '--param', 'MESSAGE_ID=42', '--param', 'OUT_FILE=/tmp/out', '--json'], responder),
    );
    expect(run.steps.map((s) => s.id)).toContain('scenario-a-1');
    const asked = await ok(['runbook', 'step', run.id, 'scenario-a-1', 'start', '--comment', 'replaying the stuck batch'], responder);
    expect(asked.stdout).toContain('waiting for approval');
    const self = await firebreak(['runbook', 'step', run.id, 'scenario-a-1', 'approve'], responder);
    expect(self.code).toBe(5);
    expect(self.stderr).toContain('someone else must approve');
    await ok(['runbook', 'step', run.id, 'scenario-a-1', 'approve', '--comment', 'ok']);
    const status = await ok(['runbook', 'status', run.id]);
    expect(status.stdout).toMatch(/scenario-a-1\s+queued/);
    expect((await firebreak(['runbook', 'step', run.id, 'scenario-a-1', 'explode'])).code).toBe(2);
    expect((await firebreak(['runbook', 'run', 'queue-replay', '--param', 'NOEQUALS'])).code).toBe(2);
  });
});
