import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.ts';
import { isDomainError } from '../../src/core/errors.ts';

const RUNBOOK = (title: string) => `## Runbook: ${title}\n\n### Resolution\n\n\`\`\`bash\necho ${title}\n\`\`\`\n`;

describe('runbooks in the configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-runbook-config-'));
    mkdirSync(join(dir, 'books', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'books', 'a.md'), RUNBOOK('Disk Full') + RUNBOOK('Queue Stuck'));
    writeFileSync(join(dir, 'books', 'nested', 'b.md'), RUNBOOK('Cache Cold'));
    writeFileSync(join(dir, 'dup.md'), RUNBOOK('Disk Full'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = async (yaml: string) => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, `version: 1\nseverities: { preset: p0-p3 }\n${yaml}`);
    return loadConfigFile(path, 0);
  };
  const problems = async (yaml: string) => {
    try {
      await load(yaml);
    } catch (error) {
      if (isDomainError(error) && error.code === 'config_invalid') return (error.details as Array<{ path: string; message: string }>).map((p) => `${p.path}: ${p.message}`);
      throw error;
    }
    return [];
  };

  it('reads the files and folders of runbooks.paths relative to the config file, with defaults', async () => {
    const config = await load('runbooks:\n  paths: [books/]\n');
    expect(config.runbooks.runbooks.map((r) => r.id)).toEqual(['disk-full', 'queue-stuck', 'cache-cold']);
    expect(config.runbooks.get('cache-cold')?.steps).toHaveLength(1);
    expect(config.runbookSettings).toMatchObject({ defaultTimeout: '15m', runnerLease: '30s', approval: { approverRoles: ['admin', 'responder'], approvals: 1 } });
  });

  it('has no runbooks and default settings without a runbooks section', async () => {
    const config = await load('');
    expect(config.runbooks.runbooks).toEqual([]);
    expect(config.runbookSettings.secrets).toEqual([]);
  });

  it('refuses unreadable paths, ids used twice, unknown severities and catalog links to missing runbooks', async () => {
    expect(await problems('runbooks:\n  paths: [missing/]\n')).toEqual(['runbooks.paths[0]: cannot be read: no such file or folder']);
    const twice = await problems('runbooks:\n  paths: [books/, dup.md]\n');
    expect(twice).toHaveLength(1);
    expect(twice[0]).toMatch(/runbooks\.paths\[1\]: runbook "disk-full" .* has the same id/);
    expect(await problems('runbooks:\n  paths: [books/]\n  authorization:\n    P7: { steps: all }\n')).toEqual(['runbooks.authorization.P7: severity "P7" does not exist']);
    const link = await problems('alerts:\n  catalog:\n    - { alert: DiskFull, severity: P1, runbook: disk-ful }\nrunbooks:\n  paths: [books/]\n');
    expect(link).toEqual(['alerts.catalog[0].runbook: runbook "disk-ful" is not in runbooks.paths']);
    expect(await problems('runbooks:\n  paths: [books/]\n  approval: { approverRoles: [viewer] }\n')).toHaveLength(1);
  });
});
