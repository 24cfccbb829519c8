import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigHolder, loadConfigFile, type Config } from '../../src/config/index.ts';

const NOW = Date.UTC(2025, 5, 1, 12);
const withServices = (...ids: string[]) =>
  `version: 1\nseverities:\n  preset: p0-p3\nservices:\n${ids.map((id) => `  - id: ${id}\n    name: ${id}\n`).join('')}`;

describe('ConfigHolder', () => {
  let dir: string;
  let path: string;
  let holder: ConfigHolder;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'firebreak-holder-'));
    path = join(dir, 'firebreak.yaml');
    await writeFile(path, withServices('rest-api'));
    holder = new ConfigHolder(await loadConfigFile(path, NOW), () => loadConfigFile(path, NOW + 1));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('switches to an edited file and tells the listeners', async () => {
    const seen: [string[], string[]][] = [];
    holder.onChange((next, previous) => seen.push([next.services.map((s) => s.id), previous.services.map((s) => s.id)]));
    await writeFile(path, withServices('rest-api', 'postgres'));

    const result = await holder.reload();

    expect(result).toMatchObject({ ok: true, changed: true });
    expect(holder.current().service('postgres')).toBeDefined();
    expect(seen).toEqual([[['rest-api', 'postgres'], ['rest-api']]]);
  });

  it('keeps the old config when the new file is invalid, and reports why', async () => {
    const before = holder.current();
    let notified = false;
    holder.onChange(() => {
      notified = true;
    });
    await writeFile(path, `${withServices('rest-api')}    team: nobody\n`);

    const result = await holder.reload();

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('config_invalid');
    expect(result.error.details).toMatchObject([{ path: 'services[0].team' }]);
    expect(holder.current()).toBe(before);
    expect(notified).toBe(false);
  });

  it('keeps the old config when the file has disappeared', async () => {
    const before = holder.current();
    await rm(path);
    const result = await holder.reload();
    expect(result.ok).toBe(false);
    expect(holder.current()).toBe(before);
  });

  it('reports an unchanged file as unchanged and notifies nobody', async () => {
    let calls = 0;
    holder.onChange(() => calls++);
    const before = holder.current();
    expect(await holder.reload()).toEqual({ ok: true, config: before, changed: false });
    expect(calls).toBe(0);
  });

  it('stops notifying after unsubscribe, and survives a listener that throws', async () => {
    const errors: unknown[] = [];
    const calls: string[] = [];
    holder = new ConfigHolder(holder.current(), () => loadConfigFile(path, NOW), { onListenerError: (error) => errors.push(error) });
    holder.onChange(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = holder.onChange(() => calls.push('first'));
    holder.onChange(() => calls.push('second'));

    await writeFile(path, withServices('redis'));
    expect((await holder.reload()).ok).toBe(true);
    unsubscribe();
    await writeFile(path, withServices('rabbitmq'));
    expect((await holder.reload()).ok).toBe(true);

    expect(calls).toEqual(['first', 'second', 'second']);
    expect(errors).toHaveLength(2);
    expect(holder.current().service('rabbitmq')).toBeDefined();
  });

  it('applies concurrent reloads one after another', async () => {
    const order: number[] = [];
    let call = 0;
    const initial = holder.current();
    const slowThenFast = async (): Promise<Config> => {
      const mine = ++call;
      await new Promise((resolve) => setTimeout(resolve, mine === 1 ? 30 : 0));
      order.push(mine);
      return { ...initial, source: { ...initial.source, sha256: `v${mine}` } };
    };
    holder = new ConfigHolder(initial, slowThenFast);
    const [first, second] = await Promise.all([holder.reload(), holder.reload()]);
    expect(order).toEqual([1, 2]);
    expect(first).toMatchObject({ ok: true, changed: true });
    expect(second).toMatchObject({ ok: true, changed: true });
    expect(holder.current().source.sha256).toBe('v2');
  });

  it('turns an unexpected loader failure into a config error', async () => {
    holder = new ConfigHolder(holder.current(), () => Promise.reject(new Error('disk on fire')));
    const result = await holder.reload();
    expect(result).toMatchObject({ ok: false, error: { code: 'config_invalid' } });
  });
});
