import { Type } from '@sinclair/typebox';
import { DomainError } from '../../core/errors.ts';
import type { ConfigProblem } from '../../config/index.ts';
import type { Env } from './delivery.ts';

/**
 * Secrets (webhook URLs with tokens, bot tokens, signing secrets, SMTP passwords)
 * are set either literally (`url: https://…`) or by naming an environment
 * variable (`urlEnv: SLACK_WEBHOOK_URL`), so that firebreak.yaml can be
 * committed without them. Exactly one of the two must be given.
 */
export const EnvName = Type.String({
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description: 'the name of an environment variable, such as SLACK_WEBHOOK_URL',
});

export const ChannelId = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$', description: 'lower-case letters, digits, - _ .' });

export interface SecretSetting {
  /** The literal setting's name, such as `url`; its env form is `${field}Env`. */
  field: string;
  literal: string | undefined;
  envName: string | undefined;
  /** What the value is, for messages: "the Slack webhook URL". */
  what: string;
  /** Whether the setting may be left out entirely. */
  optional?: boolean;
  /** Checks a present value; answers a problem message and its fix, or null when fine. */
  check?: (value: string) => { message: string; fix: string } | null;
}

export function secretProblems(setting: SecretSetting, env: Env): ConfigProblem[] {
  const envField = `${setting.field}Env`;
  if (setting.literal !== undefined && setting.envName !== undefined) {
    return [
      {
        path: envField,
        message: `both ${setting.field} and ${envField} are set`,
        fix: `keep one: ${envField} (the name of an environment variable holding ${setting.what}) or ${setting.field}`,
      },
    ];
  }
  if (setting.literal === undefined && setting.envName === undefined) {
    if (setting.optional === true) return [];
    return [
      {
        path: envField,
        message: `${setting.what} is missing`,
        fix: `set ${envField} to the name of an environment variable that holds ${setting.what} (or ${setting.field} to the value itself)`,
      },
    ];
  }
  let value: string;
  let path: string;
  if (setting.envName !== undefined) {
    const fromEnv = env[setting.envName];
    path = envField;
    if (fromEnv === undefined || fromEnv === '') {
      return [
        {
          path,
          message: `environment variable ${setting.envName} is not set`,
          fix: `set ${setting.envName} to ${setting.what} in the server's environment, or change ${envField}`,
        },
      ];
    }
    value = fromEnv;
  } else {
    value = setting.literal!;
    path = setting.field;
  }
  const problem = setting.check?.(value) ?? null;
  if (problem === null) return [];
  const where = setting.envName === undefined ? '' : ` (from ${setting.envName})`;
  return [{ path, message: `${problem.message}${where}`, fix: problem.fix }];
}

/** The secret's value, or a config_invalid error saying what to set. */
export function resolveSecret(setting: SecretSetting, env: Env): string | undefined {
  const problems = secretProblems(setting, env);
  if (problems.length > 0) {
    const problem = problems[0]!;
    throw new DomainError('config_invalid', `${problem.path}: ${problem.message} (fix: ${problem.fix})`, problems);
  }
  if (setting.envName !== undefined) return env[setting.envName];
  return setting.literal;
}

/** A check for settings that must be an absolute http(s) URL. */
export function httpUrlCheck(what: string): (value: string) => { message: string; fix: string } | null {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { message: `${what} is not a URL`, fix: `give the full URL, starting with https://` };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { message: `${what} must use https (or http), not ${url.protocol.replace(/:$/, '')}`, fix: 'give an https:// URL' };
    }
    return null;
  };
}
