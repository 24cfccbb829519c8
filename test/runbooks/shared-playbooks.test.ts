import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLintJson, formatLintText, lintRunbooks, parseRunbookFile, parseRunbooks, type Runbook } from '../../src/runbooks/index.ts';

// The shared playbooks are read where they live; no copies are kept in the repository.
const RUNBOOKS_URL = new URL('../../../shared/playbooks/music-platform-runbooks.md', import.meta.url);
const EMERGENCY_URL = new URL('../../../shared/playbooks/music-platform-emergency-response.md', import.meta.url);
const runbooksText = readFileSync(RUNBOOKS_URL, 'utf8');
const emergencyText = readFileSync(EMERGENCY_URL, 'utf8');
const runbooks = parseRunbooks(runbooksText, 'music-platform-runbooks.md');

function runbook(id: string): Runbook {
  const found = runbooks.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no runbook ${id}`);
  return found;
}

function step(runbookId: string, stepId: string) {
  const found = runbook(runbookId).steps.find((candidate) => candidate.id === stepId);
  if (found === undefined) throw new Error(`no step ${stepId} in ${runbookId}`);
  return found;
}

describe('the shared runbooks file', () => {
  it('holds nine runbooks, each with the alert name and severity of its metadata lines', () => {
    expect(runbooks.map((entry) => [entry.id, entry.title, entry.alertName, entry.severity])).toEqual([
      ['dlq-overflow', 'DLQ Overflow', 'DLQDepthCritical', 'P1'],
      ['circuit-breaker-storm', 'Circuit Breaker Storm', 'CircuitBreakerOpen', 'P1'],
      ['low-enrichment-success-rate', 'Low Enrichment Success Rate', 'EnrichmentSuccessRateLow', 'P2'],
      ['data-quality-issues', 'Data Quality Issues', 'DataQualityScoreLow', 'P2'],
      ['database-connection-pool-exhaustion', 'Database Connection Pool Exhaustion', 'DatabaseConnectionPoolHigh', 'P1'],
      ['disk-space-critical', 'Disk Space Critical', 'DiskSpaceHigh', 'P1'],
      ['memory-exhaustion', 'Memory Exhaustion', 'MemoryUsageHigh', 'P1'],
      ['scraper-stalled', 'Scraper Stalled', 'ScraperStalled', 'P2'],
      ['api-gateway-high-error-rate', 'API Gateway High Error Rate', 'APIGatewayErrorRateHigh', 'P1'],
    ]);
  });

  it('keeps every metadata line as a key/value entry with its line', () => {
    expect(runbook('dlq-overflow').metadata).toEqual([
      { key: 'alertName', label: 'Alert Name', value: 'DLQDepthCritical', line: 27 },
      { key: 'severity', label: 'Severity', value: 'P1', line: 28 },
      { key: 'threshold', label: 'Threshold', value: 'DLQ depth > 1000 messages', line: 29 },
      { key: 'impact', label: 'Impact', value: 'Enrichment failures accumulating, potential disk space issues', line: 30 },
    ]);
  });

  it('keeps the sections of the document in order, classified by their headings', () => {
    const sections = runbook('dlq-overflow').sections;
    expect(sections.map((section) => [section.title, section.kind])).toEqual([
      ['Symptoms', 'symptoms'],
      ['Investigation Steps', 'investigation'],
      ['Resolution Steps', 'resolution'],
      ['Verification', 'verification'],
      ['Prevention', 'prevention'],
    ]);
    expect(sections[0]!.items).toEqual([
      'Alert: "Dead Letter Queue depth exceeds 1000 messages"',
      'Grafana: DLQ depth chart spiking',
      'Enrichment success rate declining',
    ]);
  });

  it('finds the resolution scenarios of each runbook with the steps under them', () => {
    const scenarios = (id: string) => runbook(id).scenarios.map((scenario) => [scenario.id, scenario.title, scenario.steps.length]);
    expect(scenarios('dlq-overflow')).toEqual([
      ['scenario-a', 'Circuit Breaker Errors (Most Common)', 8],
      ['scenario-b', 'Timeout Errors', 4],
      ['scenario-c', 'API Rate Limit', 4],
      ['scenario-d', 'Invalid Data', 3],
    ]);
    expect(scenarios('circuit-breaker-storm')).toEqual([
      ['scenario-a', 'External API Outage', 5],
      ['scenario-b', 'Network Issue', 5],
      ['scenario-c', 'Rate Limiting', 4],
      ['scenario-d', 'Circuit Breaker Stuck', 4],
    ]);
    expect(scenarios('low-enrichment-success-rate')).toEqual([
      ['scenario-a', 'Low Cache Hit Rate', 4],
      ['scenario-b', 'One Provider Underperforming', 3],
      ['scenario-c', 'Timeout Issues', 3],
    ]);
    expect(scenarios('data-quality-issues')).toEqual([
      ['scenario-a', 'Missing Required Fields', 2],
      ['scenario-b', 'Incorrect Data', 3],
    ]);
    expect(scenarios('database-connection-pool-exhaustion')).toEqual([
      ['scenario-a', 'Long-Running Queries', 3],
      ['scenario-b', 'Connection Leak', 3],
      ['scenario-c', 'Need More Connections', 2],
    ]);
    for (const id of ['disk-space-critical', 'memory-exhaustion', 'scraper-stalled', 'api-gateway-high-error-rate']) {
      expect(scenarios(id)).toEqual([]);
    }
  });

  it('splits fences into one step per numbered comment, titled by the comment', () => {
    expect(runbooks.map((entry) => [entry.id, entry.steps.length])).toEqual([
      ['dlq-overflow', 26],
      ['circuit-breaker-storm', 26],
      ['low-enrichment-success-rate', 17],
      ['data-quality-issues', 10],
      ['database-connection-pool-exhaustion', 13],
      ['disk-space-critical', 12],
      ['memory-exhaustion', 8],
      ['scraper-stalled', 8],
      ['api-gateway-high-error-rate', 5],
    ]);
    const dlq = runbook('dlq-overflow');
    expect(dlq.steps.filter((entry) => entry.scenario === 'scenario-a').map((entry) => [entry.id, entry.number, entry.title])).toEqual([
      ['scenario-a-1', 1, 'Check which circuit breakers are open'],
      ['scenario-a-2', 2, 'Wait for auto-recovery (60 seconds)'],
      ['scenario-a-3', 3, 'Verify recovery'],
      ['scenario-a-4', 4, 'If still open after 5 minutes, check external API status'],
      ['scenario-a-5', 5, 'If external API is down, disable temporarily'],
      ['scenario-a-6', 6, 'Manual reset if needed (after 5 minutes)'],
      ['scenario-a-7', 7, 'Once recovered, replay DLQ'],
      ['scenario-a-8', 8, 'Monitor replay'],
    ]);
    expect(runbook('disk-space-critical').steps.filter((entry) => entry.section === 'resolution-steps').map((entry) => entry.title)).toEqual([
      'Stop non-critical services',
      'Clean Docker cache',
      'Truncate large logs',
      'Remove old backups',
      'Verify space recovered',
      'Restart services',
      'Implement log rotation (permanent fix)',
    ]);
  });

  it('keeps a heredoc and the command after it in the step of their number', () => {
    const disable = step('dlq-overflow', 'scenario-a-5');
    expect(disable.command).toBe(
      [
        '# 5. If external API is down, disable temporarily',
        'psql -h localhost -p 5433 -U musicdb_user -d musicdb << EOF',
        'UPDATE metadata_enrichment_config',
        'SET enabled = false',
        "WHERE priority_1_provider = 'spotify';",
        'EOF',
        '',
        'curl -X POST http://localhost:8020/admin/config/reload',
      ].join('\n'),
    );
    expect(disable.line).toBe(87);
    expect(disable.endLine).toBe(94);
  });

  it('keeps backslash continuations in one step', () => {
    expect(step('dlq-overflow', 'scenario-a-7').command).toBe(
      [
        '# 7. Once recovered, replay DLQ',
        'curl -X POST http://localhost:8024/dlq/replay/batch \\',
        '  -H "Content-Type: application/json" \\',
        '  -d \'{"batch_size": 100}\'',
      ].join('\n'),
    );
  });

  it('keeps the expected output comments of a step apart from its commands', () => {
    expect(step('dlq-overflow', 'investigation-steps-1').expectedOutput).toBe(
      ['{', '  "total_messages": 2500,', '  "oldest_message_age_minutes": 120,', '  "error_rate_per_minute": 25', '}'].join('\n'),
    );
  });

  it('turns sleep lines into visible waits', () => {
    expect(step('dlq-overflow', 'scenario-a-2').waits).toEqual([{ seconds: 60, line: 78, nested: false }]);
    expect(step('dlq-overflow', 'scenario-a-2').waitOnly).toBe(true);
    expect(step('dlq-overflow', 'scenario-c-2').waits.map((wait) => wait.seconds)).toEqual([900]);
    expect(step('dlq-overflow', 'scenario-c-3').waits.map((wait) => wait.seconds)).toEqual([60]);
    expect(step('dlq-overflow', 'scenario-c-3').waitOnly).toBe(false);
  });

  it('gives commands that never end a default time limit', () => {
    const monitor = step('dlq-overflow', 'scenario-a-8');
    expect(monitor.neverEnding.map((command) => command.command)).toEqual([
      "watch -n 30 'curl -s http://localhost:8024/dlq/stats | jq .total_messages'",
    ]);
    expect(monitor).toMatchObject({ timeoutMs: 300_000, timeoutSource: 'never-ending-default', interactive: true });
    const follow = step('scraper-stalled', 'resolution-steps-2');
    expect(follow).toMatchObject({ timeoutMs: 300_000, timeoutSource: 'never-ending-default', interactive: false });
    expect(step('scraper-stalled', 'resolution-steps-1')).toMatchObject({ timeoutMs: null, timeoutSource: null });
  });

  it('marks the steps whose text asks for approval, and only those', () => {
    const approvals = runbooks.flatMap((entry) =>
      entry.steps.filter((candidate) => candidate.approval.required).map((candidate) => [entry.id, candidate.id, candidate.approval.reason]),
    );
    expect(approvals).toEqual([
      ['data-quality-issues', 'scenario-b-3', '(Get approval first - data loss)'],
      ['database-connection-pool-exhaustion', 'scenario-a-2', 'Kill long-running queries (get approval first)'],
    ]);
  });

  it('reads steps without commands as manual steps', () => {
    expect(step('data-quality-issues', 'scenario-b-3')).toMatchObject({ kind: 'manual', title: 'Purge bad data if necessary' });
    expect(step('api-gateway-high-error-rate', 'resolution-steps-1')).toMatchObject({
      kind: 'manual',
      number: null,
      title: 'Follow Circuit Breaker Storm runbook',
    });
  });

  it('turns conditional comments into decision points a person answers', () => {
    const decisions = runbook('dlq-overflow').decisions.map((decision) => [decision.step, decision.question, decision.action, decision.gatesStep]);
    expect(decisions).toEqual([
      ['scenario-a-4', 'Still open after 5 minutes?', 'check external API status', true],
      ['scenario-a-5', 'External API is down?', 'disable temporarily', true],
      ['scenario-a-6', 'Manual reset if needed (after 5 minutes)?', 'Manual reset', true],
      ['scenario-a-7', 'Recovered?', 'replay DLQ', true],
      ['scenario-b-4', 'Improved?', 'replay DLQ', true],
      ['scenario-d-2', 'Common pattern (e.g., missing field)?', 'fix validation', true],
    ]);
    expect(runbook('circuit-breaker-storm').decisions.find((decision) => decision.step === 'scenario-a-5')).toMatchObject({
      question: 'Recovered?',
      text: 'When recovered, re-enable',
      gatesStep: false,
    });
  });

  it('finds no parameters: the file has no placeholders and its variables are its own', () => {
    expect(runbooks.flatMap((entry) => entry.parameters)).toEqual([]);
    for (const entry of runbooks) for (const candidate of entry.steps) expect(candidate.renderedCommand).toBe(candidate.command);
  });

  it('lints clean of errors and warns about unmarked destructive and never-ending commands', () => {
    const report = lintRunbooks([{ path: 'music-platform-runbooks.md', text: runbooksText }]);
    expect(report.ok).toBe(true);
    expect(report.errors).toBe(0);
    expect(report.runbooks).toHaveLength(9);
    const destructive = report.issues.filter((issue) => issue.code === 'destructive-without-approval');
    expect(destructive.map((issue) => [issue.runbook, issue.step, issue.line])).toEqual([
      ['dlq-overflow', 'scenario-d-3', 161],
      ['disk-space-critical', 'resolution-steps-2', 734],
      ['disk-space-critical', 'resolution-steps-3', 737],
      ['disk-space-critical', 'resolution-steps-4', 740],
      ['memory-exhaustion', 'resolution-steps-3', 810],
    ]);
    // The session kill is destructive too, but its text asks for approval.
    expect(destructive.some((issue) => issue.step === 'scenario-a-2')).toBe(false);
    const endless = report.issues.filter((issue) => issue.code === 'never-ending-without-timeout');
    expect(endless).toHaveLength(10);
    expect(endless.every((issue) => issue.severity === 'warning')).toBe(true);

    const dlq = report.runbooks[0]!;
    expect(dlq.scenarios[0]).toEqual({
      id: 'scenario-a',
      title: 'Circuit Breaker Errors (Most Common)',
      line: 70,
      steps: ['scenario-a-1', 'scenario-a-2', 'scenario-a-3', 'scenario-a-4', 'scenario-a-5', 'scenario-a-6', 'scenario-a-7', 'scenario-a-8'],
    });
    expect(dlq.steps.find((entry) => entry.id === 'scenario-a-8')).toMatchObject({ timeout: '5m', interactive: true });
    expect(report.runbooks.find((entry) => entry.id === 'data-quality-issues')!.approvalSteps).toEqual([
      { step: 'scenario-b-3', reason: '(Get approval first - data loss)' },
    ]);
  });

  it('renders the report as text and as JSON', () => {
    const report = lintRunbooks([{ path: 'music-platform-runbooks.md', text: runbooksText }]);
    const text = formatLintText(report);
    expect(text).toContain('music-platform-runbooks.md: 9 runbooks');
    expect(text).toContain('dlq-overflow  "DLQ Overflow"  (alert DLQDepthCritical, severity P1)');
    expect(text).toContain('approval: scenario-a-2 — Kill long-running queries (get approval first)');
    expect(text).toContain('music-platform-runbooks.md:734: warning [destructive-without-approval]');
    expect(text.trimEnd().split('\n').pop()).toBe('9 runbooks, 125 steps, 0 errors, 15 warnings');
    expect(JSON.parse(formatLintJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });
});

describe('the shared emergency playbook', () => {
  const file = parseRunbookFile(emergencyText, 'music-platform-emergency-response.md');

  it('parses as one runbook without diagnostics', () => {
    expect(file.runbooks.map((entry) => entry.title)).toEqual(['Emergency Response Playbook']);
    expect(file.diagnostics).toEqual([]);
  });

  it('reads the mitigation paragraphs as scenarios and the fence warnings as approvals', () => {
    const playbook = file.runbooks[0]!;
    expect(playbook.scenarios.map((scenario) => [scenario.id, scenario.title, scenario.steps.length])).toEqual([
      ['scenario-3a', 'Disk Space Emergency Cleanup', 7],
      ['scenario-3b', 'Memory Exhaustion Recovery', 4],
      ['scenario-3c', 'Database Recovery', 7],
      ['scenario-3d', 'Rollback Recent Deployment', 1],
      ['scenario-3e', 'Full System Restart (Nuclear Option)', 4],
    ]);
    const approved = playbook.steps.filter((entry) => entry.approval.required);
    expect(new Set(approved.map((entry) => entry.scenario))).toEqual(new Set(['scenario-3a', 'scenario-3e']));
    expect(approved.find((entry) => entry.id === 'scenario-3a-2')!.approval.reason).toBe('WARNING: This deletes data. Get approval first.');
    expect(approved.find((entry) => entry.id === 'scenario-3e-1')!.approval.reason).toBe(
      'WARNING: Last resort. Get approval from engineering lead.',
    );
  });

  it('keeps templates and the decision tree as non-executable blocks', () => {
    const captions = file.runbooks[0]!.blocks.map((block) => block.caption);
    expect(captions).toContain('Incident Declaration Template:');
    expect(captions).toContain('Root Cause Decision Tree:');
    expect(file.runbooks[0]!.blocks.every((block) => block.language === null)).toBe(true);
  });

  it('keeps a loop that sleeps as one step with a nested wait', () => {
    const wait = file.runbooks[0]!.steps.find((entry) => entry.id === 'scenario-3c-5')!;
    expect(wait.title).toBe('Wait for database ready');
    expect(wait.waits).toEqual([{ seconds: 2, line: 244, nested: true }]);
    expect(wait.waitOnly).toBe(false);
  });

  it('treats variables the fence assigns, and loop variables, as its own rather than parameters', () => {
    expect(file.runbooks[0]!.parameters).toEqual([]);
  });
});
