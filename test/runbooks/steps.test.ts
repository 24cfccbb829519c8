import { describe, expect, it } from 'vitest';
import { lintRunbooks, parseRunbookFile, parseRunbooks, type RunbookStep } from '../../src/runbooks/index.ts';

const FENCE = '```';
const fence = (info: string, ...body: string[]) => [`${FENCE}${info}`, ...body, FENCE].join('\n');
const stepsOf = (info: string, ...body: string[]): RunbookStep[] => parseRunbooks(`# R\n\n${fence(info, ...body)}\n`, 'x.md')[0]!.steps;
const lintOf = (info: string, ...body: string[]) => lintRunbooks([{ path: 'x.md', text: `# R\n\n${fence(info, ...body)}\n` }]);

describe('splitting a fence into numbered steps', () => {
  it('keeps heredocs whole whatever their delimiter form, even when they hold numbered lines', () => {
    const steps = stepsOf(
      'bash',
      '# 1. Quoted delimiter',
      "cat <<'EOF' > /tmp/out",
      '# 2. inside the heredoc, not a step',
      'EOF',
      '# 2. Tab-stripping delimiter',
      'cat <<-END',
      '\t# 3. still inside',
      '\tEND',
      '# 3. Double-quoted delimiter',
      'psql <<"SQL"',
      '-- 4. not a step either',
      'SELECT 1;',
      'SQL',
      'echo after',
    );
    expect(steps.map((step) => [step.number, step.title, step.command.split('\n').length])).toEqual([
      [1, 'Quoted delimiter', 4],
      [2, 'Tab-stripping delimiter', 4],
      [3, 'Double-quoted delimiter', 6],
    ]);
    expect(steps[0]!.command).toBe("# 1. Quoted delimiter\ncat <<'EOF' > /tmp/out\n# 2. inside the heredoc, not a step\nEOF");
  });

  it('keeps backslash continuations, multi-line quotes and compound commands whole', () => {
    const steps = stepsOf(
      'bash',
      '# 1. Post',
      'curl -X POST http://localhost/api \\',
      "  -d '{",
      '# 2. inside a quoted string',
      "}'",
      '# 2. Loop',
      'for host in a b; do',
      '  # 3. inside the loop',
      '  ssh "$host" uptime',
      'done',
      '# 3. Last',
      'echo done',
    );
    expect(steps.map((step) => [step.number, step.title, step.line, step.endLine])).toEqual([
      [1, 'Post', 4, 8],
      [2, 'Loop', 9, 13],
      [3, 'Last', 14, 15],
    ]);
  });

  it('reads "STEP n:" and "n)" numbering, and SQL "-- n." comments', () => {
    expect(stepsOf('bash', '# STEP 1: Stop', 'systemctl stop x', '# 2) Start', 'systemctl start x').map((step) => step.title)).toEqual([
      'Stop',
      'Start',
    ]);
    const sql = stepsOf('sql', '-- 1. Count', 'SELECT count(*) FROM jobs;', "-- 2. Show 'odd", "SELECT '-- 3. not a step", "';");
    expect(sql.map((step) => [step.kind, step.title, step.command.split('\n').length])).toEqual([
      ['sql', 'Count', 2],
      ['sql', "Show 'odd", 3],
    ]);
  });

  it('makes commands before the first number a step of their own', () => {
    const steps = stepsOf('bash', 'export REGION=eu', '# 1. Use it', 'echo "$REGION"');
    expect(steps.map((step) => [step.id, step.number])).toEqual([
      ['step-1', null],
      ['step-1-2', 1],
    ]);
  });

  it('warns when a later step uses a variable an earlier step set, since each runs in its own shell', () => {
    const report = lintOf('bash', '# 1. Find', 'TOP=$(curl -s http://localhost/top)', '# 2. Use', 'echo "$TOP"');
    expect(report.runbooks[0]!.parameters).toEqual([]);
    expect(report.issues.map((issue) => [issue.code, issue.step, issue.line])).toEqual([['variable-crosses-steps', 'step-2', 7]]);
  });

  it('warns about a heredoc that is never closed', () => {
    const report = lintOf('bash', 'psql <<EOF', 'SELECT 1;');
    expect(report.issues.map((issue) => [issue.severity, issue.code])).toEqual([['warning', 'unclosed-heredoc']]);
  });
});

describe('waits, time limits and decisions', () => {
  it('reads sleep durations with units and marks waits inside loops as nested', () => {
    const [step] = stepsOf('bash', 'sleep 90', 'sleep 2m', 'sleep 1.5 # seconds', 'until pg_isready; do', '  sleep 2', 'done');
    expect(step!.waits).toEqual([
      { seconds: 90, line: 4, nested: false },
      { seconds: 120, line: 5, nested: false },
      { seconds: 1.5, line: 6, nested: false },
      { seconds: 2, line: 8, nested: true },
    ]);
  });

  it.each([
    ['watch -n 30 date', true],
    ["watch 'df -h'", true],
    ['tail -f /var/log/syslog', false],
    ['tail -n 100 -F app.log | grep ERROR', false],
    ['docker logs -f api', false],
    ['docker compose logs api -f', false],
    ['docker compose logs --follow api', false],
    ['docker-compose logs -tf api', false],
    ['kubectl logs -f deploy/api', false],
    ['journalctl -u nginx -f', false],
    ['sudo journalctl --follow', false],
    ['top', true],
    ['htop', true],
    ['docker stats', false],
  ])('gives "%s" a default time limit (terminal: %s)', (command, terminal) => {
    const [step] = stepsOf('bash', command);
    // A pipeline is reported by the command in it that never ends.
    expect(step!.neverEnding).toEqual([{ command: command.split(' | ')[0], line: 4, terminal }]);
    expect(step).toMatchObject({ timeoutMs: 300_000, timeoutSource: 'never-ending-default', interactive: terminal });
  });

  it.each([
    'tail -n 50 /var/log/syslog',
    'docker compose logs scraper --tail=50',
    'docker compose -f docker-compose.yml logs api',
    'timeout 60 tail -f /var/log/syslog',
    'top -b -n 1',
    'docker stats --no-stream',
    'tail -f app.log | head -n 5',
    'echo watch -n 1',
  ])('lets "%s" end by itself', (command) => {
    const [step] = stepsOf('bash', command);
    expect(step!.neverEnding).toEqual([]);
    expect(step!.timeoutMs).toBeNull();
  });

  it('asks a person when a comment is a condition', () => {
    const steps = stepsOf(
      'bash',
      '# 1. If still open after 5 minutes, reset it',
      'curl -X POST http://localhost/reset',
      '# 2. Check if the queue drains',
      'curl http://localhost/queue',
      '# If it does not drain then page the owner',
    );
    const [runbook] = parseRunbooks(`# R\n\n${fence('bash', ...steps.map((step) => step.command))}\n`, 'x.md');
    expect(runbook!.decisions).toEqual([
      {
        id: 'step-1-decision-1',
        question: 'Still open after 5 minutes?',
        text: 'If still open after 5 minutes, reset it',
        condition: 'still open after 5 minutes',
        action: 'reset it',
        step: 'step-1',
        gatesStep: true,
        line: 4,
      },
      {
        id: 'step-2-decision-1',
        question: 'It does not drain?',
        text: 'If it does not drain then page the owner',
        condition: 'it does not drain',
        action: 'page the owner',
        step: 'step-2',
        gatesStep: false,
        line: 8,
      },
    ]);
    expect(runbook!.steps[1]!.decisions).toEqual(['step-2-decision-1']);
  });
});

describe('destructive commands', () => {
  const destructive = [
    ['rm -rf /var/cache/app', 'rm -rf'],
    ['sudo rm -r -f /tmp/x', 'rm -rf'],
    ['docker system prune -af', 'docker system prune'],
    ['docker compose down -v', 'docker compose down -v'],
    ['kubectl delete pod api-0', 'kubectl delete'],
    ['systemctl stop postgresql', 'systemctl stop'],
    ['psql -c "DROP TABLE jobs"', 'DROP'],
    ['psql -c "truncate table jobs"', 'TRUNCATE'],
    ['psql -c "DELETE FROM jobs"', 'DELETE without WHERE'],
  ] as const;

  it.each(destructive)('warns about "%s" without an approval mark', (command, rule) => {
    const report = lintOf('bash', command);
    expect(report.issues.map((issue) => [issue.code, issue.message])).toEqual([
      ['destructive-without-approval', expect.stringContaining(`Destructive command (${rule}) has no approval mark: ${command}`)],
    ]);
  });

  it.each(destructive)('accepts "%s" once the text asks for approval', (command) => {
    expect(lintOf('bash', '# Get approval first', command).issues).toEqual([]);
    expect(lintOf('bash {"approval":"required"}', command).issues).toEqual([]);
  });

  it('reads SQL in heredocs and SQL fences, and tells DELETE with WHERE apart', () => {
    const heredoc = lintOf('bash', 'psql <<EOF', 'DELETE FROM jobs', "  WHERE state = 'done';", 'DROP INDEX jobs_state;', 'EOF');
    expect(heredoc.issues.map((issue) => [issue.message.split(' has no')[0], issue.line])).toEqual([['Destructive command (DROP)', 7]]);
    const sql = lintOf('sql', '-- 1. Clean', 'DELETE FROM sessions;', '-- 2. Keep', "DELETE FROM jobs WHERE id = 1; -- DROP TABLE jobs");
    expect(sql.issues.map((issue) => [issue.step, issue.message.split(' has no')[0]])).toEqual([
      ['step-1', 'Destructive command (DELETE without WHERE)'],
    ]);
  });

  it.each(['rm -f /tmp/x.pid', 'docker compose down', 'kubectl get pods', 'systemctl restart nginx', 'echo "drop the table"'])(
    'does not warn about "%s"',
    (command) => {
      expect(lintOf('bash', command).issues).toEqual([]);
    },
  );
});

describe('parameters', () => {
  it('declares placeholders and outside variables, not well-known or assigned ones', () => {
    const file = parseRunbookFile(
      `# R\n\n${fence(
        'bash',
        '# 1. Replay one message',
        `curl -X POST "http://localhost:8024/dlq/replay/<message_id>?by=$OPERATOR" -H 'X-Provider: <provider>'`,
        'echo <message_id> ${LIMIT:-10} $HOME $PATH $PWD $? $1 $#',
        'COUNT=3',
        'echo $COUNT',
        'for host in a b; do echo "$host"; done',
        "awk '{print $2}' file",
      )}\n`,
      'x.md',
    );
    const [runbook] = file.runbooks;
    expect(runbook!.parameters).toEqual([
      { name: 'OPERATOR', required: true, defaultValue: null, usedIn: [{ step: 'step-1', line: 5, placeholder: '$OPERATOR' }] },
      {
        name: 'LIMIT',
        required: false,
        defaultValue: '10',
        usedIn: [{ step: 'step-1', line: 6, placeholder: '${LIMIT:-10}' }],
      },
      {
        name: 'MESSAGE_ID',
        required: true,
        defaultValue: null,
        usedIn: [
          { step: 'step-1', line: 5, placeholder: '<message_id>' },
          { step: 'step-1', line: 6, placeholder: '<message_id>' },
        ],
      },
      { name: 'PROVIDER', required: true, defaultValue: null, usedIn: [{ step: 'step-1', line: 5, placeholder: '<provider>' }] },
    ]);
    expect(runbook!.steps[0]!.parameters).toEqual(['OPERATOR', 'LIMIT', 'MESSAGE_ID', 'PROVIDER']);
  });

  it('rewrites placeholders into quoted variable references that fit their quoting', () => {
    const [step] = stepsOf(
      'bash',
      `curl "http://localhost/replay/<message_id>" -H 'X-Provider: <provider>'`,
      'echo <message_id> # <not_a_parameter>',
      'psql <<EOF',
      "SELECT * FROM messages WHERE id = '<message_id>';",
      'EOF',
      "cat <<'EOF'",
      'literal <kept>',
      'EOF',
    );
    expect(step!.renderedCommand).toBe(
      [
        `curl "http://localhost/replay/\${MESSAGE_ID}" -H 'X-Provider: '"\${PROVIDER}"''`,
        'echo "${MESSAGE_ID}" # <not_a_parameter>',
        'psql <<EOF',
        "SELECT * FROM messages WHERE id = '${MESSAGE_ID}';",
        'EOF',
        "cat <<'EOF'",
        'literal <kept>',
        'EOF',
      ].join('\n'),
    );
    expect(step!.command).toContain('<message_id>');
  });

  it('warns where a value would become program input or cannot be filled in', () => {
    const report = lintOf('bash', 'psql <<EOF', "SELECT '<id>', '$NAME';", 'EOF', "cat <<'EOF'", '<kept>', 'EOF');
    expect(report.issues.map((issue) => [issue.code, issue.line])).toEqual([
      ['parameter-in-heredoc', 5],
      ['parameter-in-heredoc', 5],
      ['placeholder-in-quoted-heredoc', 8],
    ]);
  });

  it('never names a parameter after a variable that steers the shell', () => {
    const [step] = stepsOf('bash', 'ls <path> $LD_PRELOAD $BASH_ENV');
    expect(step!.parameters).toEqual(['PARAM_PATH']);
    expect(step!.renderedCommand).toBe('ls "${PARAM_PATH}" $LD_PRELOAD $BASH_ENV');
  });

  it('leaves markup that merely looks like a placeholder alone', () => {
    const [step] = stepsOf('bash', `curl -d '<b>bold</b>' http://localhost/notes`);
    expect(step!.parameters).toEqual([]);
    expect(step!.renderedCommand).toBe(step!.command);
  });

  it('rewrites placeholders in SQL, PromQL and HTTP steps to references the runner binds', () => {
    const [sql] = stepsOf('sql', "SELECT * FROM messages WHERE id = '<message_id>' AND tenant = ${TENANT};");
    expect(sql!.renderedCommand).toBe("SELECT * FROM messages WHERE id = '${MESSAGE_ID}' AND tenant = ${TENANT};");
    expect(sql!.parameters).toEqual(['TENANT', 'MESSAGE_ID']);
    const [http] = stepsOf('http', 'DELETE http://localhost:8024/dlq/messages/<message_id>');
    expect(http!.renderedCommand).toBe('DELETE http://localhost:8024/dlq/messages/${MESSAGE_ID}');
    expect(http!.destructive.map((command) => command.rule)).toEqual(['HTTP DELETE']);
  });
});
