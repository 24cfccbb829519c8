import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  envNameOf,
  formatLintJson,
  formatLintText,
  isReservedEnvName,
  lintRunbooks,
  parseRunbookFile,
  parseRunbooks,
  prepareStepCommand,
} from '../../src/runbooks/index.ts';

const FENCE = '```';

/** Lines that stress the shell reader: open quotes, heredocs, continuations, numbering, placeholders. */
const shellLine = fc.oneof(
  fc.constantFrom(
    '# 1. Check',
    '# 2. If still open after 5 minutes, reset',
    '# STEP 3: Clean',
    '# WARNING: Get approval first',
    '# Expected output:',
    '#   {"a": 1}',
    'psql <<EOF',
    "cat <<'EOF'",
    'cat <<-END',
    'EOF',
    '\tEND',
    'curl -X POST http://x \\',
    "  -d '{\"a\": 1}'",
    'echo "unterminated',
    "echo 'unterminated",
    'echo $(date',
    'echo `date',
    'if [[ -f x ]]; then',
    'fi',
    'for i in 1 2; do',
    'done',
    '{',
    '}',
    'case $x in a) echo;; esac',
    'watch -n 5 date',
    'tail -f /var/log/syslog',
    'sleep 60',
    'sleep $DELAY',
    'rm -rf /tmp/x',
    'DELETE FROM t;',
    'X=1',
    'echo $X ${Y:-2} ${#Z} ${!W} $? $$ $1',
    'echo <message_id> "<provider>" \'<id>\'',
    'echo <b>x</b>',
    '$(',
    ')',
    '\\',
    '<<',
    '<<<',
    '',
  ),
  fc.string({ maxLength: 40 }),
);

const fenceInfo = fc.oneof(
  fc.constantFrom('bash', 'sh', 'shell', 'sql', 'promql', 'http', 'json', 'yaml', 'text', '', 'python', '{"name":"x"}'),
  fc.constantFrom(
    'bash {"name":"replay-dlq","approval":"required","timeout":"5m","runner":"db","interactive":false}',
    'bash {"name": "x",}',
    'bash {"kind":"python"}',
    'bash {"timeout":"soon"}',
    'bash {"approval":"none"}',
    'bash {',
    'bash [1,2]',
    'sh {"timeout":0}',
  ),
  fc.string({ maxLength: 30 }).map((info) => info.replace(/[`\n]/g, '')),
);

const block = fc.oneof(
  fc.constantFrom(
    '## Runbook: DLQ Overflow',
    '## Runbook:',
    '# Title',
    '### Resolution Steps',
    '### Investigation',
    '#### Scenario B',
    '**Scenario A: Circuit Breaker Errors**',
    '**Alert Name:** `X`\n**Severity:** P1',
    '**Severity**: P2',
    'Expected output:',
    '> WARNING: Get approval first',
    '- item\n- item two',
    '---',
    FENCE,
    '~~~',
    `${FENCE}bash`,
    '| a | b |\n|---|---|\n| 1 | 2 |',
    '<!-- html -->',
  ),
  fc.tuple(fenceInfo, fc.array(shellLine, { maxLength: 12 }), fc.boolean()).map(
    ([info, lines, closed]) => [`${FENCE}${info}`, ...lines, ...(closed ? [FENCE] : [])].join('\n'),
  ),
  fc.string({ maxLength: 60 }),
);

const markdownDocument = fc.array(block, { maxLength: 14 }).map((blocks) => blocks.join('\n\n'));

describe('property: malformed Markdown', () => {
  it('never makes the parser or the linter throw, and what they return holds together', () => {
    fc.assert(
      fc.property(fc.oneof(markdownDocument, fc.string({ maxLength: 400 }), fc.string({ maxLength: 200, unit: 'binary' })), (text) => {
        const file = parseRunbookFile(text, 'random.md');
        const lineCount = text.split(/\r\n|\r|\n/).length;
        for (const runbook of file.runbooks) {
          const ids = runbook.steps.map((step) => step.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const step of runbook.steps) {
            expect(step.line).toBeGreaterThanOrEqual(1);
            expect(step.endLine).toBeGreaterThanOrEqual(step.line);
            expect(step.endLine).toBeLessThanOrEqual(lineCount);
            expect(step.line).toBeGreaterThanOrEqual(runbook.line);
            expect(step.endLine).toBeLessThanOrEqual(runbook.endLine);
            for (const name of step.parameters) {
              expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
              expect(isReservedEnvName(name)).toBe(false);
            }
          }
          for (const decision of runbook.decisions) expect(ids).toContain(decision.step);
        }
        for (const entry of file.diagnostics) expect(entry.line).toBeGreaterThanOrEqual(1);
        const report = lintRunbooks([{ path: 'random.md', text }]);
        expect(report.issues.some((issue) => issue.code === 'parser-failure')).toBe(false);
        expect(JSON.parse(formatLintJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
        expect(typeof formatLintText(report)).toBe('string');
      }),
      { numRuns: 400 },
    );
  });

  it('splits a shell fence into steps that together hold every line of it, in order', () => {
    fc.assert(
      fc.property(fc.array(shellLine, { minLength: 1, maxLength: 20 }), (lines) => {
        const body = lines.join('\n').replace(/`{3,}|~{3,}/g, '');
        if (body.split('\n').some((line) => /^\s*(?:`{3,}|~{3,})/.test(line))) return;
        const [runbook] = parseRunbooks(`# R\n\n${FENCE}bash\n${body}\n${FENCE}\n`, 'x.md');
        const nonBlank = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
        expect(runbook!.steps.flatMap((step) => nonBlank(step.command))).toEqual(nonBlank(body));
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: placeholders become environment references, never values', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'firebreak-runbooks-'));
  const marker = join(scratch, 'pwned');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const attacks = [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `; touch ${marker}`,
    `' ; touch ${marker}; '`,
    `" ; touch ${marker}; "`,
    `\ntouch ${marker}\n`,
    `EOF\ntouch ${marker}\nEOF`,
    `\${IFS}touch\${IFS}${marker}`,
    `<message_id>`,
    `$HOME && touch ${marker}`,
  ];
  const value = fc.oneof(
    fc.constantFrom(...attacks),
    fc.string({ maxLength: 30 }).map((text) => text.replace(/\0/g, '')),
    fc.tuple(fc.constantFrom(...attacks), fc.string({ maxLength: 10 })).map(([attack, tail]) => `${attack}${tail}`.replace(/\0/g, '')),
  );
  const placeholderName = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);

  it('runs in bash with the value as data: the output is the value and nothing else happens', () => {
    fc.assert(
      fc.property(placeholderName, value, (name, secret) => {
        const markdown = [
          '# Replay one message',
          '',
          `${FENCE}bash`,
          `printf '[%s]\\n' <${name}>`,
          `printf '[%s]\\n' "pre-<${name}>-post"`,
          `printf '[%s]\\n' '<${name}>'`,
          'cat <<EOF',
          `[<${name}>]`,
          'EOF',
          FENCE,
          '',
        ].join('\n');
        const [runbook] = parseRunbooks(markdown, 'x.md');
        const step = runbook!.steps[0]!;
        const variable = envNameOf(name);
        expect(step.parameters).toEqual([variable]);
        expect(step.renderedCommand).not.toContain(`<${name}>`);
        expect(step.renderedCommand).toContain(`"\${${variable}}"`);

        const prepared = prepareStepCommand(step, runbook!.parameters, { [variable]: secret });
        expect(prepared.command).toBe(step.renderedCommand);
        expect(prepared.env).toEqual({ [variable]: secret });
        expect(prepared.missing).toEqual([]);

        const run = spawnSync('bash', ['-c', prepared.command], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...prepared.env },
          encoding: 'utf8',
        });
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(`[${secret}]\n[pre-${secret}-post]\n[${secret}]\n[${secret}]\n`);
        expect(existsSync(marker)).toBe(false);
      }),
      // Starting bash costs ~0.2 s here, so fewer runs; the attacks are drawn often by construction.
      { numRuns: 30 },
    );
  });

  it('renders the same command text whatever the values are', () => {
    const [runbook] = parseRunbooks(`# R\n\n${FENCE}bash\ncurl "http://localhost/<message_id>" -d <body>\n${FENCE}\n`, 'x.md');
    const step = runbook!.steps[0]!;
    expect(step.renderedCommand).toBe('curl "http://localhost/${MESSAGE_ID}" -d "${BODY}"');
    fc.assert(
      fc.property(value, value, (first, second) => {
        const prepared = prepareStepCommand(step, runbook!.parameters, { MESSAGE_ID: first, BODY: second, PATH: '/evil' });
        expect(prepared.command).toBe(step.renderedCommand);
        expect(Object.keys(prepared.env).sort()).toEqual(['BODY', 'MESSAGE_ID']);
      }),
    );
  });

  it('reports missing values and refuses a NUL byte, which no environment can carry', () => {
    const [runbook] = parseRunbooks(`# R\n\n${FENCE}bash\necho <message_id> \${LIMIT:-10}\n${FENCE}\n`, 'x.md');
    const step = runbook!.steps[0]!;
    expect(prepareStepCommand(step, runbook!.parameters, {}).missing).toEqual(['MESSAGE_ID']);
    expect(() => prepareStepCommand(step, runbook!.parameters, { MESSAGE_ID: 'a\0b' })).toThrow(/NUL/);
  });
});
