import { describe, expect, it } from 'vitest';
import { lintRunbooks, parseRunbookFile, parseRunbooks } from '../../src/runbooks/index.ts';

const FENCE = '```';
const fence = (info: string, ...body: string[]) => [`${FENCE}${info}`, ...body, FENCE].join('\n');
const doc = (...blocks: string[]) => `${blocks.join('\n\n')}\n`;

describe('reading runbooks out of Markdown', () => {
  it('reads a file without "Runbook:" headings as one runbook titled by its first heading', () => {
    const [runbook, ...rest] = parseRunbooks(
      doc('# Restart the API', '**Severity:** P2', '**Owner:** _platform_ team', '## Steps', fence('bash', 'systemctl restart api')),
      'runbooks/restart-api.md',
    );
    expect(rest).toEqual([]);
    expect(runbook).toMatchObject({ id: 'restart-the-api', title: 'Restart the API', severity: 'P2', alertName: null, line: 1 });
    expect(runbook!.metadata.map((entry) => [entry.key, entry.value])).toEqual([
      ['severity', 'P2'],
      ['owner', 'platform team'],
    ]);
    expect(runbook!.steps.map((step) => [step.id, step.kind, step.title, step.section])).toEqual([
      ['steps-1', 'shell', 'systemctl restart api', 'steps'],
    ]);
  });

  it('names a runbook without any heading after its file', () => {
    expect(parseRunbooks(fence('sh', 'uptime'), 'ops/check-load.md').map((runbook) => runbook.id)).toEqual(['check-load']);
    expect(parseRunbooks('', 'empty.md')).toEqual([]);
    expect(parseRunbooks('  \n\n', 'blank.md')).toEqual([]);
  });

  it('reads metadata written as **Key**: value too, and keeps other prose as the description', () => {
    const [runbook] = parseRunbooks(
      doc('## Runbook: Queue Backlog', 'Use this when the queue grows.', '**Alert**: `QueueBacklog`\n**Priority**: P3'),
      'x.md',
    );
    expect(runbook).toMatchObject({ alertName: 'QueueBacklog', severity: 'P3', description: 'Use this when the queue grows.' });
  });

  it('treats headings under a resolution section as scenarios', () => {
    const [runbook] = parseRunbooks(
      doc(
        '## Runbook: Stuck Deploy',
        '### Resolution',
        '#### Option 1: Restart the worker',
        fence('bash', 'systemctl restart deployer'),
        '#### Roll back',
        fence('bash', '# 1. Roll back', './rollback.sh', '# 2. Check', './health.sh'),
        '### Verification',
        fence('bash', 'curl -f http://localhost/health'),
      ),
      'x.md',
    );
    expect(runbook!.scenarios.map((scenario) => [scenario.id, scenario.key, scenario.title, scenario.steps])).toEqual([
      ['scenario-1', '1', 'Restart the worker', ['scenario-1-1']],
      ['roll-back', null, 'Roll back', ['roll-back-1', 'roll-back-2']],
    ]);
    expect(runbook!.sections.map((section) => section.id)).toEqual(['resolution', 'verification']);
    expect(runbook!.steps.find((step) => step.id === 'verification-1')!.scenario).toBeNull();
  });

  it('gives each runbook of a file a distinct id', () => {
    const file = parseRunbookFile(doc('## Runbook: Same', fence('sh', 'true'), '## Runbook: Same', fence('sh', 'true')), 'x.md');
    expect(file.runbooks.map((runbook) => runbook.id)).toEqual(['same', 'same-2']);
    expect(file.diagnostics.map((entry) => entry.code)).toEqual(['duplicate-runbook-id']);
  });

  it('keeps fences of other languages as blocks, and output shown after "Expected output" too', () => {
    const [runbook] = parseRunbooks(
      doc(
        '# Blocks',
        fence('json', '{"a": 1}'),
        fence('yaml', 'a: 1'),
        fence('', 'plain text'),
        fence('text', 'more text'),
        'Expected output:',
        fence('bash', 'total 0'),
        fence('sql', 'SELECT 1;'),
        fence('promql', 'rate(http_requests_total[5m])'),
        fence('http', 'GET http://localhost:8080/healthz'),
        fence('shell', 'true'),
      ),
      'x.md',
    );
    expect(runbook!.blocks.map((block) => [block.language, block.reason])).toEqual([
      ['json', 'not-a-step-language'],
      ['yaml', 'not-a-step-language'],
      [null, 'not-a-step-language'],
      ['text', 'not-a-step-language'],
      ['bash', 'output'],
    ]);
    expect(runbook!.steps.map((step) => [step.language, step.kind])).toEqual([
      ['sql', 'sql'],
      ['promql', 'promql'],
      ['http', 'http'],
      ['shell', 'shell'],
    ]);
  });

  it('reads Windows line endings like any others, and keeps carriage returns out of commands', () => {
    const text = doc('## Runbook: R', '**Severity:** P1', fence('bash', '# 1. A', 'echo a \\', '  b', '# 2. B', 'echo c')).replace(/\n/g, '\r\n');
    const [runbook] = parseRunbooks(text, 'x.md');
    expect(runbook!.severity).toBe('P1');
    expect(runbook!.steps.map((step) => step.command)).toEqual(['# 1. A\necho a \\\n  b', '# 2. B\necho c']);
  });

  it('finds fences inside lists and blockquotes', () => {
    const [runbook] = parseRunbooks(
      doc('# Nested', `1. Restart:\n\n   ${FENCE}bash\n   systemctl restart api\n   ${FENCE}`, `> Get approval first.\n>\n> ${FENCE}sh\n> rm -rf /srv/cache\n> ${FENCE}`),
      'x.md',
    );
    expect(runbook!.steps.map((step) => [step.command, step.line, step.approval.required])).toEqual([
      ['systemctl restart api', 6, false],
      ['rm -rf /srv/cache', 12, true],
    ]);
  });

  it('reports an unclosed fence as an error with its line, wherever it is', () => {
    const text = doc('## Runbook: One', fence('bash', 'echo one'), '## Runbook: Two', `${FENCE}bash\necho two`, '## Runbook: Three');
    const file = parseRunbookFile(text, 'x.md');
    // The open fence swallows the third runbook, as any Markdown renderer would show it.
    expect(file.runbooks.map((runbook) => runbook.id)).toEqual(['one', 'two']);
    expect(file.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'unclosed-fence',
        message: expect.stringContaining('never closed'),
        source: 'x.md',
        line: 9,
        runbook: 'two',
        step: null,
      },
    ]);
    const report = lintRunbooks([{ path: 'x.md', text }]);
    expect(report.ok).toBe(false);
    expect(report.errors).toBe(1);
  });
});

describe('fence attributes', () => {
  it('override what the text implies: name, approval, timeout, runner, interactive', () => {
    const [runbook] = parseRunbooks(
      doc(
        '# Replay',
        fence(
          'bash {"name":"replay-dlq","approval":"required","timeout":"5m","runner":"db","interactive":false}',
          '# 1. Watch the queue',
          'watch -n 5 date',
          '# 2. Replay',
          'curl -X POST http://localhost:8024/dlq/replay',
        ),
      ),
      'x.md',
    );
    expect(runbook!.steps).toHaveLength(1);
    expect(runbook!.steps[0]).toMatchObject({
      id: 'replay-dlq',
      approval: { required: true, reason: 'Fence attribute "approval": "required"' },
      timeoutMs: 300_000,
      timeoutSource: 'attribute',
      runner: 'db',
      interactive: false,
      attributes: { name: 'replay-dlq', approval: 'required', timeout: '5m', runner: 'db', interactive: false },
    });
    const report = lintRunbooks([{ path: 'x.md', text: doc('# Replay', fence('bash {"timeout":"10m"}', 'tail -f /var/log/syslog')) }]);
    expect(report.issues).toEqual([]);
  });

  it('are read when written without a space after the language, or without a language', () => {
    const [runbook] = parseRunbooks(doc('# R', fence('bash{"name":"tight"}', 'echo a'), fence('{"name":"bare","kind":"shell"}', 'echo b')), 'x.md');
    expect(runbook!.steps.map((step) => [step.id, step.language, step.kind])).toEqual([
      ['tight', 'bash', 'shell'],
      ['bare', null, 'shell'],
    ]);
  });

  it('leave the warning about a never-ending command standing unless they answer it', () => {
    const codes = (info: string) => lintRunbooks([{ path: 'x.md', text: doc('# R', fence(info, 'tail -f app.log')) }]).issues.map((issue) => issue.code);
    expect(codes('bash')).toEqual(['never-ending-without-timeout']);
    expect(codes('bash {"interactive":false}')).toEqual(['never-ending-without-timeout']);
    expect(codes('bash {"interactive":true}')).toEqual([]);
    expect(codes('bash {"timeout":"30s"}')).toEqual([]);
  });

  it('apply to every numbered step of an unnamed fence', () => {
    const [runbook] = parseRunbooks(doc('# R', fence('bash {"runner":"env=prod","timeout":90}', '# 1. A', 'echo a', '# 2. B', 'echo b')), 'x.md');
    expect(runbook!.steps.map((step) => [step.id, step.runner, step.timeoutMs])).toEqual([
      ['step-1', 'env=prod', 90_000],
      ['step-2', 'env=prod', 90_000],
    ]);
  });

  it('can lift an approval the text asks for, saying what it overrides', () => {
    const [runbook] = parseRunbooks(doc('# R', 'Get approval first.', fence('bash {"approval":"none"}', 'echo safe')), 'x.md');
    expect(runbook!.steps[0]!.approval).toEqual({
      required: false,
      reason: 'Fence attribute "approval": "none" overrides: Get approval first.',
    });
  });

  it('can set the kind of a fence', () => {
    const [runbook] = parseRunbooks(doc('# R', fence('text {"kind":"sql"}', 'SELECT 1;')), 'x.md');
    expect(runbook!.steps.map((step) => [step.kind, step.language])).toEqual([['sql', 'text']]);
  });

  it('report malformed JSON, unknown kinds and bad values as errors with the fence line', () => {
    const text = doc(
      '# R',
      fence('bash {"name": "x",}', 'echo one'),
      fence('bash {"kind":"python"}', 'echo two'),
      fence('bash {"timeout":"soon","interactive":"maybe","approval":"later"}', 'echo three'),
      fence('python {"name":"script"}', 'print(1)'),
    );
    const report = lintRunbooks([{ path: 'x.md', text }]);
    expect(report.issues.map((issue) => [issue.severity, issue.code, issue.line])).toEqual([
      ['error', 'malformed-attributes', 3],
      ['error', 'unknown-step-kind', 7],
      ['error', 'invalid-attribute', 11],
      ['error', 'invalid-attribute', 11],
      ['error', 'invalid-attribute', 11],
      ['warning', 'not-a-step-language', 15],
    ]);
    expect(report.ok).toBe(false);
    // The steps are still read, with the attributes that made sense.
    expect(report.runbooks[0]!.steps.map((step) => step.kind)).toEqual(['shell', 'shell', 'shell']);
  });

  it('warn about a repeated step name and keep ids unique', () => {
    const file = parseRunbookFile(doc('# R', fence('sh {"name":"check"}', 'true'), fence('sh {"name":"check"}', 'true')), 'x.md');
    expect(file.runbooks[0]!.steps.map((step) => step.id)).toEqual(['check', 'check-1']);
    expect(file.diagnostics.map((entry) => entry.code)).toEqual(['duplicate-step-name']);
  });
});

describe('approvals', () => {
  const approvalOf = (...blocks: string[]) => parseRunbooks(doc('# R', ...blocks), 'x.md')[0]!.steps.map((step) => step.approval);

  it('come from the paragraph or blockquote before the fence', () => {
    expect(approvalOf('**WARNING:** this drops the table. Get approval first.', fence('bash', 'psql -c "DROP TABLE t"'))).toEqual([
      { required: true, reason: 'WARNING: this drops the table. Get approval first.' },
    ]);
    expect(approvalOf('> Requires approval from the database owner.', fence('bash', 'echo x'))).toEqual([
      { required: true, reason: 'Requires approval from the database owner.' },
    ]);
    expect(approvalOf('APPROVAL REQUIRED', fence('bash', 'echo x'))[0]!.required).toBe(true);
  });

  it('come from a comment inside the step, and stay with that step', () => {
    expect(approvalOf(fence('bash', '# 1. Look', 'ls', '# 2. Remove (approval required)', 'rm -rf /srv/cache'))).toEqual([
      { required: false, reason: '' },
      { required: true, reason: 'Remove (approval required)' },
    ]);
  });

  it('cover every step of a fence when the fence starts with the warning', () => {
    const approvals = approvalOf(fence('bash', '# WARNING: destructive. Get approval first.', '', '# 1. One', 'echo 1', '# 2. Two', 'echo 2'));
    expect(approvals.map((approval) => approval.required)).toEqual([true, true]);
  });

  it('are not read into text that says none is needed, or into prose further away', () => {
    expect(approvalOf('No approval required for this one.', fence('bash', 'echo x'))[0]!.required).toBe(false);
    expect(approvalOf('Get approval first.', '## Next', fence('bash', 'echo x'))[0]!.required).toBe(false);
  });
});
