import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.ts';
import { configProblemsOf } from '../../src/config/problems.ts';

const CHANNELS = `channels:
  - { kind: webhook, id: bridge, url: "http://127.0.0.1:9/x" }
users:
  - { id: amara, name: Amara, email: amara@example.com }
`;

describe('templates and communications in the configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-templates-config-'));
    mkdirSync(join(dir, 'good'));
    writeFileSync(join(dir, 'good', 'update.liquid'), 'Update on {{ incident.title }}\n');
    writeFileSync(join(dir, 'good', 'update.p0.liquid'), 'P0 update on {{ incident.title }}\n');
    writeFileSync(join(dir, 'good', 'README.md'), 'not a template\n');
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'declaration.liquid'), 'Declared\n\n  {% for x in incident.services %}\n{{ x }}\n');
    writeFileSync(join(dir, 'broken', 'update.P9.liquid'), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = async (yaml: string) => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, `version: 1\nseverities: { preset: p0-p3 }\n${CHANNELS}${yaml}`);
    return loadConfigFile(path, 0);
  };
  const problems = async (yaml: string) => {
    try {
      await load(yaml);
    } catch (error) {
      const found = configProblemsOf(error);
      if (found.length === 0) throw error;
      return found;
    }
    return [];
  };

  it('reads the templates folder relative to the config file, severity variants by their id', async () => {
    const config = await load('templates:\n  path: good\ncommunications:\n  p1: { channels: [bridge], recipients: [amara] }\n');
    expect(config.templates.templates.map((t) => [t.name, t.severity])).toEqual([['update', null], ['update', 'P0']]);
    expect(config.templates.pick('update', 'P0')?.source).toContain('P0 update');
    expect(config.templates.pick('update', 'P2')?.source).toContain('Update on');
    expect(config.communications).toEqual({ p1: { channels: ['bridge'], recipients: ['amara'] } });
  });

  it('counts an edited template as a change of the configuration, so that a reload picks it up', async () => {
    const path = join(dir, 'reload.yaml');
    writeFileSync(path, `version: 1\nseverities: { preset: p0-p3 }\ntemplates:\n  path: reloaded\n`);
    mkdirSync(join(dir, 'reloaded'), { recursive: true });
    writeFileSync(join(dir, 'reloaded', 'update.liquid'), 'first');
    const before = await loadConfigFile(path, 0);
    writeFileSync(join(dir, 'reloaded', 'update.liquid'), 'second');
    const after = await loadConfigFile(path, 0);
    expect(after.source.sha256).not.toBe(before.source.sha256);
    expect(after.templates.pick('update')?.source).toBe('second');
  });

  it('refuses a template that does not parse, with its file, line and column, and a variant of an unknown severity', async () => {
    const found = await problems('templates:\n  path: broken\n');
    expect(found.map((p) => p.path)).toEqual(['templates.path', 'templates.path']);
    expect(found[0]!.message).toBe(`${join(dir, 'broken', 'declaration.liquid')}:3:3: tag {% for x in incident.services %} not closed`);
    expect(found[0]!.line).toBe(8); // the line of templates.path in the YAML
    expect(found[1]!.message).toMatch(/"P9" in update\.P9\.liquid is not a severity/);
  });

  it('refuses a missing folder, and communications naming severities, channels or people that do not exist', async () => {
    expect((await problems('templates:\n  path: nowhere\n'))[0]!.message).toMatch(/nowhere does not exist/);
    const found = await problems('communications:\n  P7: { channels: [bridge] }\n  P1: { channels: [brigde], recipients: [amra] }\n');
    expect(found.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'communications.P7: severity "P7" does not exist',
      'communications.P1.channels[0]: channel "brigde" is not in channels',
      'communications.P1.recipients[0]: user "amra" is not in users',
    ]);
    expect(found[1]!.fix).toContain('did you mean "bridge"');
  });
});
