import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_BUSINESS_HOURS,
  SEVERITY_PRESETS,
  configProblemsOf,
  formatConfigProblems,
  loadConfigFile,
  parseConfig,
  type ConfigProblem,
} from '../../src/config/index.ts';
import { DomainError } from '../../src/core/errors.ts';
import { ConfigFile } from '../../src/config/schema.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/firebreak.yaml', import.meta.url));
const NOW = Date.UTC(2025, 5, 1, 12);

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfig(text, null, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('config_invalid');
    return configProblemsOf(error);
  }
  throw new Error('expected the config to be rejected');
}

const problemAt = (problems: ConfigProblem[], path: string) => problems.find((problem) => problem.path === path);

const MINIMAL = 'version: 1\nseverities:\n  preset: p0-p3\n';

describe('the example firebreak.yaml', () => {
  it('loads, with the playbook severities and the services of the runbooks', async () => {
    const config = await loadConfigFile(EXAMPLE, NOW);
    expect(config.severities).toEqual(SEVERITY_PRESETS['p0-p3']);
    expect(config.roles.map((role) => role.id)).toEqual(['commander', 'communications', 'scribe', 'ops']);
    for (const id of ['rest-api', 'graph-api', 'postgres', 'redis', 'rabbitmq', 'metadata-enrichment', 'dlq-manager', 'scraper-mixesdb']) {
      expect(config.service(id), id).toBeDefined();
    }
    expect(config.businessHours.timezone).toBe('Europe/London');
    expect(config.source.path).toBe(EXAMPLE);
    expect(config.source.loadedAt).toBe(NOW);
    expect(config.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parseConfig', () => {
  it('fills in defaults and expands the preset', () => {
    const config = parseConfig(`${MINIMAL}teams:\n  - id: ops\n    name: Ops\n`, null, NOW);
    expect(config.severities.map((level) => level.id)).toEqual(['P0', 'P1', 'P2', 'P3']);
    expect(config.businessHours).toEqual(DEFAULT_BUSINESS_HOURS);
    expect(config.teams[0]!.members).toEqual([]);
    expect(config.users).toEqual([]);
    expect(config.services).toEqual([]);
    expect(config.source).toEqual({
      path: null,
      sha256: createHash('sha256').update(`${MINIMAL}teams:\n  - id: ops\n    name: Ops\n`).digest('hex'),
      loadedAt: NOW,
    });
  });

  it('looks severities up ignoring case, and services and roles by id', () => {
    const config = parseConfig(
      `${MINIMAL}roles:\n  - id: commander\n    name: Incident commander\nservices:\n  - id: rest-api\n    name: REST API\n`,
      null,
      NOW,
    );
    expect(config.severity('p1')?.name).toBe('High');
    expect(config.severity('P1')?.name).toBe('High');
    expect(config.severity('P9')).toBeUndefined();
    expect(config.service('rest-api')?.name).toBe('REST API');
    expect(config.service('nope')).toBeUndefined();
    expect(config.role('commander')?.name).toBe('Incident commander');
  });

  it('takes custom severity levels in the order written', () => {
    const config = parseConfig(
      'version: 1\nseverities:\n  levels:\n    - id: red\n      name: Red\n      sla: { initialResponse: 10m, updateCadence: 8bh }\n    - id: amber\n      name: Amber\n',
      null,
      NOW,
    );
    expect(config.severities.map((level) => level.id)).toEqual(['red', 'amber']);
    expect(config.severity('RED')?.sla).toEqual({ initialResponse: '10m', updateCadence: '8bh' });
  });

  it('returns a frozen config, so that a holder can share it safely', () => {
    const config = parseConfig(`${MINIMAL}users:\n  - id: alice\n    name: Alice\n`, null, NOW);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.users[0])).toBe(true);
  });

  it('reports every problem of a broken file at once, each with its path, line and a fix', () => {
    const problems = problemsOf(
      [
        'version: 1', //                                   1
        'severities:', //                                  2
        '  preset: p5-p9', //                              3 bad preset
        'colour: red', //                                  4 unknown field
        'users:', //                                       5
        '  - id: alice', //                                6
        '    name: Alice', //                              7
        '    timezone: Europe/Londn', //                   8 bad timezone
        'teams:', //                                       9
        '  - id: platform', //                            10
        '    name: Platform', //                          11
        '    members: [alice, bob]', //                   12 dangling member
        'services:', //                                   13
        '  - id: rest-api', //                            14
        '    name: REST API', //                          15
        '    team: platfrom', //                          16 dangling team
        '  - id: rest-api', //                            17 duplicate id
        '    name: Again', //                             18
        'businessHours:', //                              19
        '  timezone: Mars/Olympus_Mons', //               20 bad timezone
        '  days: [mon]', //                               21
        '  start: "18:00"', //                            22
        '  end: "09:00"', //                              23 end before start
      ].join('\n'),
    );
    expect(problems.map((problem) => problem.path)).toEqual([
      'severities.preset',
      'colour',
      'users[0].timezone',
      'teams[0].members[1]',
      'services[0].team',
      'services[1].id',
      'businessHours.timezone',
      'businessHours.end',
    ]);
    expect(problems.map((problem) => problem.line)).toEqual([3, 4, 8, 12, 16, 17, 20, 23]);
    for (const problem of problems) {
      expect(problem.message).not.toBe('');
      expect(problem.fix).not.toBe('');
    }
    expect(problemAt(problems, 'severities.preset')!.fix).toContain('allowed values: p0-p3, sev1-sev4, level1-level4');
    expect(problemAt(problems, 'colour')!.message).toBe('unknown field "colour"');
    expect(problemAt(problems, 'colour')!.fix).toContain('allowed fields here: version, organization, severities, roles, users, teams, services, businessHours');
    expect(problemAt(problems, 'users[0].timezone')!.fix).toContain('did you mean "Europe/London"?');
    expect(problemAt(problems, 'teams[0].members[1]')!.fix).toContain('add a user with id "bob" under users:, or remove it from the team');
    expect(problemAt(problems, 'services[0].team')!.fix).toContain('did you mean "platform"?');
    expect(problemAt(problems, 'services[1].id')!.message).toContain('duplicate service id "rest-api"');
  });

  it('names the missing fields, wrong types and invalid values of list entries', () => {
    const problems = problemsOf(
      'version: 2\nseverities:\n  levels:\n    - id: P0\n      name: Critical\n      sla: { initialResponse: soon }\n    - id: p0\n' +
        'users:\n  - id: Alice\n    name: Alice\n    email: not-an-address\n',
    );
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['version', 'is number 2, must be 1'],
      ['severities.levels[0].sla.initialResponse', '"soon" is not allowed here'],
      ['severities.levels[1].name', 'missing required field "name"'],
      ['severities.levels[1].id', 'duplicate severity id "p0" (already used by severities.levels[0])'],
      ['users[0].id', '"Alice" is not allowed here'],
      ['users[0].email', '"not-an-address" is not a valid email'],
    ]);
    expect(problemAt(problems, 'severities.levels[0].sla.initialResponse')!.fix).toContain('next-business-day');
    expect(problemAt(problems, 'users[0].id')!.fix).toContain('such as "alice"');
  });

  it('explains a severities section that is neither a preset nor a list of levels', () => {
    const [problem, ...rest] = problemsOf('version: 1\nseverities: p0-p3\n');
    expect(rest).toEqual([]);
    expect(problem!.path).toBe('severities');
    expect(problem!.fix).toContain('preset: p0-p3');
  });

  it('reports a YAML syntax error with its line and column', () => {
    const problems = problemsOf('version: 1\nseverities:\n  preset: p0-p3\nusers:\n  - id: alice\n   name: Alice\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(6);
    expect(problems[0]!.column).toBeGreaterThan(0);
    expect(problems[0]!.message).toMatch(/^YAML syntax error at line 6, column \d+: /);
  });

  it('rejects duplicate keys, an empty file and a document that is not a mapping', () => {
    expect(problemsOf('version: 1\nversion: 1\n')[0]!.message).toContain('line 2');
    expect(problemsOf('')[0]!.message).toBe('the file is empty');
    expect(problemsOf('- version: 1\n')[0]!.message).toBe('the file is a list, expected a mapping of fields');
  });

  it('says how many problems there are, and formats one line per problem', () => {
    let caught: unknown;
    try {
      parseConfig('version: 1\nseverities: { preset: p0-p3 }\nextra: 1\nservices:\n  - id: a\n    name: A\n    team: nobody\n', null, NOW);
    } catch (error) {
      caught = error;
    }
    expect((caught as DomainError).message).toBe('firebreak.yaml is invalid: 2 problems');
    const lines = formatConfigProblems(caught).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`extra (line 3): unknown field "extra" (fix: allowed fields here: ${Object.keys(ConfigFile.properties).join(', ')})`);
    expect(lines[0]).toContain('allowed fields here: version, organization, severities, roles, users');
    expect(lines[1]).toMatch(/^services\[0\]\.team \(line 7\): team "nobody" does not exist \(fix: add a team with id "nobody"/);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'firebreak-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and records where it came from', async () => {
    const path = join(dir, 'firebreak.yaml');
    await writeFile(path, MINIMAL);
    const config = await loadConfigFile(path, NOW);
    expect(config.source.path).toBe(path);
  });

  it('reports a missing file as a config problem', async () => {
    const path = join(dir, 'absent.yaml');
    await expect(loadConfigFile(path, NOW)).rejects.toMatchObject({
      code: 'config_invalid',
      details: [{ path: '', message: `${path} does not exist` }],
    });
  });
});
